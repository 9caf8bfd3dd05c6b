"""The measurements themselves, shared by ``force_vs_bare.py`` and ``run.py``.

Each function takes a ``Workspace`` (a built demo and a way to get an identical copy),
measures the toolkit and its reference in the same process, alternating their order
between runs, and returns plain dataclasses the scripts print.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _bare
import _bench
import sqlalchemy as sa

import forcedsync_kit as fs
from forcedsync_kit import db as fsdb
from forcedsync_kit.demo import DEMO_CLOCK
from forcedsync_kit.selection import split_reasons

NOW = DEMO_CLOCK  # a fixed clock: both sides write identical rows


def med(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


@dataclass
class Selection:
    """What the criteria select, from a preview of the untouched database."""

    selected: int
    to_write: int
    counts: dict[str, dict[str, int]]
    preview_seconds: float


def selection_size(url: str, criteria: fs.Criteria) -> Selection:
    engine = fs.connect(url)
    seconds, p = _bench.timed(
        lambda: fs.preview(engine, criteria, operator=_bench.USER, now=NOW, page_size=1)
    )
    counts = {t: dict(o) for t, o in p.counts.items()}
    return Selection(p.selected, p.to_write, counts, seconds)


def scope_for(url: str, window: tuple[dt.date, dt.date] | None) -> _bare.Scope:
    return _bare.Scope(fs.user_defaults(fs.connect(url), _bench.USER), window)


# --- 1 + 4: force, bare, undo --------------------------------------------------------


@dataclass
class ForceFigures:
    toolkit: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    undo: list[float] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # traced during one force
    same_syncdata: bool | None = None  # toolkit and bare leave identical SYNCDATA
    undo_restores: bool | None = None  # undo gives back the original SYNCDATA
    undo_restored: int = 0
    undo_kept: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def measure_force(
    ws: _bench.Workspace,
    criteria: fs.Criteria,
    window: tuple[dt.date, dt.date] | None,
    *,
    repeat: int,
    undo: bool = True,
    check: bool = True,
    budget: Callable[[], float] = lambda: 1e9,
) -> ForceFigures:
    """Toolkit force (then its undo) and the two bare statements, each on a copy."""
    out = ForceFigures()
    original: tuple[int, str] | None = None
    for i in range(repeat):
        if i and budget() <= 0:
            _bench.log("force: time budget spent, fewer runs")
            break
        order = ("toolkit", "bare") if i % 2 == 0 else ("bare", "toolkit")
        for side in order:
            url = ws.fresh()
            engine = fs.connect(url)
            if check and i == 0 and original is None:
                original = _bare.syncdata_digest(engine)
            if side == "toolkit":
                sink: list[str] = []
                t0 = time.perf_counter()
                if i == 0:
                    with fsdb.trace(engine, lambda sql, params, s=sink: s.append(sql)):
                        res = fs.force(engine, criteria, operator=_bench.USER, now=NOW)
                else:
                    res = fs.force(engine, criteria, operator=_bench.USER, now=NOW)
                out.toolkit.append(time.perf_counter() - t0)
                if i == 0:
                    out.statements = sink
                    out.counts = {t: dict(o) for t, o in res.counts.items()}
                    if check:
                        toolkit_digest = _bare.syncdata_digest(engine)
                if undo:
                    t0 = time.perf_counter()
                    u = fs.undo(engine, res.run_id, operator=_bench.USER, now=NOW)
                    out.undo.append(time.perf_counter() - t0)
                    out.undo_restored, out.undo_kept = u.restored, u.kept
                    if check and i == 0:
                        out.undo_restores = _bare.syncdata_digest(engine) == original
            else:
                scope = scope_for(url, window)
                t0 = time.perf_counter()
                _bare.bare_force(engine, scope, NOW)
                out.bare.append(time.perf_counter() - t0)
                if check and i == 0:
                    bare_digest = _bare.syncdata_digest(engine)
            engine.dispose()
            last = (out.toolkit if side == "toolkit" else out.bare)[-1]
            _bench.log(f"force run {i + 1}/{repeat} {side}: {last:.2f} s")
    if check:
        out.same_syncdata = toolkit_digest == bare_digest
    return out


# --- 1: the per-record loop ----------------------------------------------------------


def measure_loop(
    ws: _bench.Workspace,
    window: tuple[dt.date, dt.date] | None,
    *,
    sample: int,
    index: bool,
) -> _bare.LoopTiming:
    """The X3-style loop over a sample of the selection, on a fresh copy."""
    url = ws.fresh()
    engine = fs.connect(url)
    if index and engine.dialect.name == "duckdb":
        # X3 reads SYNCDATA by user, type and key through an index: give the loop one
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE INDEX bench_syd ON syncdata (sydusr, sydtyp, sydkey)")
            )
    timing = _bare.loop_force(engine, scope_for(url, window), NOW, sample=sample)
    engine.dispose()
    return timing


# --- 2: preview ----------------------------------------------------------------------


@dataclass
class PreviewFigures:
    toolkit: list[float] = field(default_factory=list)  # counts + first page
    bare: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)  # toolkit, a middle page
    turn_bare: list[float] = field(default_factory=list)  # bare page only, same page
    turn_page: int = 0
    same_counts: bool | None = None
    same_page: bool | None = None
    same_turn: bool | None = None


def _page_rows(records: Any) -> list[tuple[Any, ...]]:
    return [
        (
            r.object_type,
            r.record_key,
            r.outcome,
            int(r.out_of_phase),
            r.reasons,
            r.description,
            r.date,
            r.rep,
        )
        for r in records
    ]


def _bare_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        (t, k, o, int(f), split_reasons(rs), d, day, rep)
        for t, k, o, f, rs, d, day, rep in rows
    ]


def measure_preview(
    url: str,
    criteria: fs.Criteria,
    window: tuple[dt.date, dt.date] | None,
    selected: int,
    *,
    repeat: int,
    page_size: int = 200,
    budget: Callable[[], float] = lambda: 1e9,
) -> PreviewFigures:
    """preview(page 1) vs the bare counts + page; then a turn to the middle page."""
    out = PreviewFigures()
    engine = fs.connect(url)
    scope = scope_for(url, window)
    mid = max(1, (selected // page_size) // 2)
    out.turn_page = mid
    for i in range(repeat):
        if i and budget() <= 0:
            _bench.log("preview: time budget spent, fewer runs")
            break
        for side in ("toolkit", "bare") if i % 2 == 0 else ("bare", "toolkit"):
            if side == "toolkit":
                t, p = _bench.timed(
                    lambda: fs.preview(
                        engine,
                        criteria,
                        operator=_bench.USER,
                        now=NOW,
                        page_size=page_size,
                    )
                )
                out.toolkit.append(t)
                t2, p2 = _bench.timed(
                    lambda: fs.preview(
                        engine,
                        criteria,
                        operator=_bench.USER,
                        now=NOW,
                        page=mid,
                        page_size=page_size,
                    )
                )
                out.turn.append(t2)
            else:
                t, b = _bench.timed(
                    lambda: _bare.bare_preview(
                        engine,
                        scope,
                        NOW,
                        staledays=criteria.staledays,
                        page_size=page_size,
                    )
                )
                out.bare.append(t)
                t2, b2 = _bench.timed(
                    lambda: _bare.bare_preview(
                        engine,
                        scope,
                        NOW,
                        staledays=criteria.staledays,
                        page=mid,
                        page_size=page_size,
                        counts=False,
                    )
                )
                out.turn_bare.append(t2)
        if i == 0:
            tk = {t: {o: n for o, n in c.items() if n} for t, c in p.counts.items()}
            tk = {t: c for t, c in tk.items() if c}
            out.same_counts = tk == b.counts and {
                t: n for t, n in p.out_of_phase.items() if n
            } == {t: n for t, n in b.oop.items() if n}
            out.same_page = _page_rows(p.records) == _bare_rows(b.page)
            out.same_turn = _page_rows(p2.records) == _bare_rows(b2.page)
        _bench.log(
            f"preview run {i + 1}/{repeat}: toolkit {out.toolkit[-1]:.2f} s, "
            f"bare {out.bare[-1]:.2f} s, turn {out.turn[-1]:.2f} s"
        )
    engine.dispose()
    return out


# --- 3: memory -----------------------------------------------------------------------


@dataclass
class MemoryFigures:
    toolkit_kb: list[int] = field(default_factory=list)
    bare_kb: list[int] = field(default_factory=list)
    idle_kb: int = 0  # the same imports, no work


def measure_memory(
    ws: _bench.Workspace,
    window: tuple[dt.date, dt.date] | None,
    *,
    repeat: int,
    timeout: float,
) -> MemoryFigures:
    out = MemoryFigures()
    args = [window[0].isoformat(), window[1].isoformat()] if window else []
    now = NOW.isoformat()
    out.idle_kb = int(_bench.run_child(["idle", ws.fresh(), now], timeout)["maxrss_kb"])
    for i in range(repeat):
        for side in ("toolkit", "bare") if i % 2 == 0 else ("bare", "toolkit"):
            res = _bench.run_child([side, ws.fresh(), now, *args], timeout)
            (out.toolkit_kb if side == "toolkit" else out.bare_kb).append(
                int(res["maxrss_kb"])
            )
            _bench.log(
                f"memory run {i + 1}/{repeat} {side}: {res['maxrss_kb'] / 1024:.0f} MiB"
            )
    return out


# --- 6: growth -----------------------------------------------------------------------


def window_for(fraction: float) -> tuple[dt.date, dt.date]:
    """A date window holding about ``fraction`` of the demo's dated activities."""
    from forcedsync_kit.demo import PERIOD

    days = (PERIOD[1] - PERIOD[0]).days + 1
    n = max(1, round(days * fraction))
    return PERIOD[0], PERIOD[0] + dt.timedelta(days=n - 1)


@dataclass
class GrowthPoint:
    label: str
    window: tuple[dt.date, dt.date] | None
    selected: int
    toolkit: list[float]
    bare: list[float]
