"""Bar charts as inline SVG: no plotting extension to register in Voila."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import esc

#: Colours of the outcomes and series (colour-blind safe, Okabe-Ito).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
)


def stacked_bars(
    data: Mapping[str, Mapping[str, int]],
    series: Sequence[str],
    *,
    title: str = "",
    width: int = 560,
    bar_height: int = 22,
) -> str:
    """A horizontal stacked bar chart: a bar per key of ``data``, a colour per series.

    Args:
        data: ``{bar label: {series name: value}}``.
        series: the series in stacking and legend order.
        title: a caption above the chart.
        width: total width in pixels.
        bar_height: height of one bar in pixels.

    Returns:
        An HTML fragment holding one ``<svg>``; every bar segment has a ``<title>``
        with its exact value (a tooltip in the browser) and ``data-value``.
    """
    label_w, total_w, gap = 110, 70, 6
    plot_w = max(50, width - label_w - total_w)
    totals = {k: sum(int(v.get(s, 0)) for s in series) for k, v in data.items()}
    top = max(totals.values(), default=0) or 1
    legend_h = 20
    height = legend_h + len(data) * (bar_height + gap) + gap
    parts = [
        f'<svg class="fsk-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" role="img" aria-label="{esc(title)}" '
        f'style="font:12px sans-serif">'
    ]
    parts.append(_legend(series, label_w))
    y = legend_h + gap
    for key, values in data.items():
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.0f}" '
            f'text-anchor="end">{esc(key)}</text>'
        )
        segments, x0 = _segments(
            key,
            values,
            series,
            x0=float(label_w),
            y=y,
            scale=(plot_w, top),
            height=bar_height,
        )
        parts.append(segments)
        parts.append(
            f'<text x="{x0 + 4:.1f}" y="{y + bar_height * 0.7:.0f}">'
            f"{totals[key]}</text>"
        )
        y += bar_height + gap
    parts.append("</svg>")
    caption = f"<div style='font-weight:600'>{esc(title)}</div>" if title else ""
    return caption + "".join(parts)


def _legend(series: Sequence[str], x: int) -> str:
    """A colour swatch and the name of every series, left to right from ``x``."""
    parts = []
    for i, name in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="13">{esc(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return "".join(parts)


def _segments(
    key: str,
    values: Mapping[str, int],
    series: Sequence[str],
    *,
    x0: float,
    y: int,
    scale: tuple[int, int],
    height: int,
) -> tuple[str, float]:
    """One bar's segments from ``x0``, and the x where the bar ends.

    ``scale`` is (plot width, largest total): a value of the largest total fills it.
    """
    plot_w, top = scale
    parts = []
    for i, name in enumerate(series):
        value = int(values.get(name, 0))
        if value <= 0:
            continue
        seg = plot_w * value / top
        parts.append(
            f'<rect x="{x0:.1f}" y="{y}" width="{max(seg, 1):.1f}" '
            f'height="{height}" fill="{PALETTE[i % len(PALETTE)]}" '
            f'data-series="{esc(name)}" data-value="{value}">'
            f"<title>{esc(key)} {esc(name)}: {value}</title></rect>"
        )
        x0 += seg
    return "".join(parts), x0


def simple_bars(data: Mapping[str, int], *, title: str = "", width: int = 560) -> str:
    """A horizontal bar chart of one series."""
    return stacked_bars(
        {k: {"records": v} for k, v in data.items()},
        ["records"],
        title=title,
        width=width,
    )
