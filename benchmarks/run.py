"""Benchmarks at scale (issue #7): force, preview, memory, undo, PostgreSQL, growth.

Builds the demo folder (DuckDB in a temp dir; PostgreSQL in schema ``bench``, dropped
at the end), then measures, each as the median of several runs beside its reference
measured in the same run:

1. Force: the toolkit (run history + undo detail) vs the two bare SQL statements vs an
   X3-style per-record loop (a sample, extrapolated).   goals: <= 3x bare, >= 500x loop
2. Preview: counts per type/outcome + first page vs the bare SQL computing the same;
   a page turn to the middle page.                       goals: <= 1.5x, <= 100 ms
3. Memory: peak RSS of a force process vs a bare-SQL process.        goal: <= 1.5x
4. Undo of that run vs its force time.
5. 1-4 on PostgreSQL.
6. Growth: force time at 1 %, 10 % and 100 % of the selection (10k/100k/1M at scale
   1000): should grow linearly.

    python benchmarks/run.py --scale 30                       # make bench (< 5 min)
    python benchmarks/run.py --scale 1000 --write-docs docs/performance.md  # full

Times are printed, never asserted. Ctrl-C (or ``timeout -s INT``) cleans up.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import _bench
import _docs
import _measure

GOAL_BARE, GOAL_LOOP, GOAL_PREVIEW, GOAL_TURN, GOAL_MEM = 3.0, 500.0, 1.5, 0.100, 1.5


@dataclasses.dataclass
class BackendResult:
    backend: str
    source: str
    build_seconds: float
    sizes: dict[str, int]
    selection: _measure.Selection
    force: _measure.ForceFigures | None = None
    loop: Any = None
    loop_note: str = ""
    preview: _measure.PreviewFigures | None = None
    memory: _measure.MemoryFigures | None = None
    growth: list[_measure.GrowthPoint] = dataclasses.field(default_factory=list)


def run_backend(
    ws: _bench.Workspace, args: argparse.Namespace, budget: Any, growth: bool
) -> BackendResult:
    criteria = _bench.activity_criteria()
    url = ws.fresh()
    sizes = _bench.data_sizes(url)
    sel = _measure.selection_size(url, criteria)
    _bench.log(
        f"{ws.backend}: {sizes['activities']:,} activities, {sizes['syncdata']:,} "
        f"SYNCDATA; selection {sel.selected:,} ({sel.to_write:,} to write)"
    )
    res = BackendResult(ws.backend, ws.source, ws.build_seconds, sizes, sel)
    res.force = _measure.measure_force(
        ws, criteria, None, repeat=args.repeat, budget=budget
    )
    res.loop = _measure.measure_loop(ws, None, sample=args.loop_sample, index=True)
    res.loop_note = (
        "ART index on SYNCDATA (SYDUSR, SYDTYP, SYDKEY) added for the loop"
        if ws.backend == "duckdb"
        else "the toolkit's SYNCDATA index"
    )
    _bench.log(
        f"{ws.backend}: loop {res.loop.sample} records in {res.loop.seconds:.2f} s"
    )
    res.preview = _measure.measure_preview(
        ws.fresh(), criteria, None, sel.selected, repeat=args.repeat, budget=budget
    )
    res.memory = _measure.measure_memory(
        ws, None, repeat=args.mem_repeat, timeout=args.child_timeout
    )
    if growth:
        full = sel.selected
        targets = (
            (10_000, 100_000, 1_000_000)
            if full >= 1_000_000
            else (full // 100, full // 10, full)
        )
        for target in targets:
            if budget() <= 0:
                _bench.log("growth: time budget spent, point skipped")
                break
            window = None if target >= full else _measure.window_for(target / full)
            crit = _bench.activity_criteria(window)
            n = _measure.selection_size(ws.fresh(), crit).selected
            f = _measure.measure_force(
                ws,
                crit,
                window,
                repeat=args.growth_repeat,
                undo=False,
                check=False,
                budget=budget,
            )
            res.growth.append(
                _measure.GrowthPoint(f"{target:,}", window, n, f.toolkit, f.bare)
            )
    return res


def rows_for(r: BackendResult) -> list[list[str]]:
    """The report lines of one backend: figure, toolkit, reference, ratio, goal, met."""
    m, fmt, fr = _measure, _bench.fmt_seconds, _bench.fmt_ratio
    out: list[list[str]] = []

    def add(
        section: str,
        figure: str,
        tk: float | None,
        ref: float | None,
        rat: float | None,
        goal: str,
        met: bool | None,
        runs: str,
    ) -> None:
        out.append(
            [
                section,
                figure,
                fmt(tk) if tk is not None else "-",
                fmt(ref) if ref is not None else "-",
                fr(rat),
                goal,
                "-" if met is None else ("yes" if met else "NO"),
                runs,
            ]
        )

    f, p, mem = r.force, r.preview, r.memory
    n = f"{r.selection.selected:,}"
    assert f is not None and p is not None and mem is not None
    tk, bare = m.med(f.toolkit), m.med(f.bare)
    rb = m.ratio(tk, bare)
    add(
        "Force",
        f"force {n} records: toolkit vs bare SQL",
        tk,
        bare,
        rb,
        "<= 3x",
        rb is not None and rb <= GOAL_BARE,
        f"{len(f.toolkit)}/{len(f.bare)}",
    )
    loop_total = r.loop.extrapolate(r.selection.selected)
    rl = m.ratio(loop_total, tk)
    add(
        "Force",
        f"force {n}: per-record loop (x{r.selection.selected / r.loop.sample:,.0f} "
        f"of a {r.loop.sample}-record sample) / toolkit",
        tk,
        loop_total,
        rl,
        ">= 500x",
        rl is not None and rl >= GOAL_LOOP,
        "1",
    )
    ptk, pb = m.med(p.toolkit), m.med(p.bare)
    rp = m.ratio(ptk, pb)
    add(
        "Preview",
        "counts + first page: toolkit vs bare SQL",
        ptk,
        pb,
        rp,
        "<= 1.5x",
        rp is not None and rp <= GOAL_PREVIEW,
        f"{len(p.toolkit)}/{len(p.bare)}",
    )
    tt, tb = m.med(p.turn), m.med(p.turn_bare)
    add(
        "Preview",
        f"page turn (page {p.turn_page:,}): toolkit preview vs bare page query",
        tt,
        tb,
        m.ratio(tt, tb),
        "<= 100 ms",
        tt is not None and tt <= GOAL_TURN,
        f"{len(p.turn)}/{len(p.turn_bare)}",
    )
    mt, mb = (
        m.med([float(x) for x in mem.toolkit_kb]),
        m.med([float(x) for x in mem.bare_kb]),
    )
    rm = m.ratio(mt, mb)
    out.append(
        [
            "Memory",
            f"peak RSS of a {n}-record force process vs bare SQL process "
            f"(imports alone: {mem.idle_kb / 1024:.0f} MiB)",
            f"{mt / 1024:.0f} MiB" if mt else "-",
            f"{mb / 1024:.0f} MiB" if mb else "-",
            fr(rm),
            "<= 1.5x",
            "yes" if rm is not None and rm <= GOAL_MEM else "NO",
            f"{len(mem.toolkit_kb)}/{len(mem.bare_kb)}",
        ]
    )
    u = m.med(f.undo)
    add(
        "Undo",
        f"undo of the {n}-record run vs its force",
        u,
        tk,
        m.ratio(u, tk),
        "report",
        None,
        f"{len(f.undo)}/{len(f.toolkit)}",
    )
    prev: tuple[int, float] | None = None
    for g in r.growth:
        gt, gb = m.med(g.toolkit), m.med(g.bare)
        per = ""
        if gt is not None and prev is not None and g.selected > prev[0]:
            # the slope between two sizes: the fixed cost of a run cancels out
            slope = (gt - prev[1]) / (g.selected - prev[0]) * 1e6
            per = f"; {slope:.1f} us per extra record since {prev[0]:,}"
        if gt is not None:
            prev = (g.selected, gt)
        add(
            "Growth",
            f"force {g.selected:,} records (target {g.label}){per}",
            gt,
            gb,
            m.ratio(gt, gb),
            "linear",
            None,
            f"{len(g.toolkit)}/{len(g.bare)}",
        )
    return out


HEADERS = ["section", "figure", "toolkit", "reference", "ratio", "goal", "met", "runs"]


def checks_for(r: BackendResult) -> list[str]:
    f, p = r.force, r.preview
    assert f is not None and p is not None
    yn = {True: "yes", False: "NO", None: "not checked"}
    loop_bare = _measure.ratio(
        r.loop.extrapolate(r.selection.selected), _measure.med(f.bare)
    )
    return [
        f"{r.backend}: toolkit and bare SQL leave identical SYNCDATA: "
        f"{yn[f.same_syncdata]}",
        f"{r.backend}: undo restored {f.undo_restored:,}, kept {f.undo_kept:,}; "
        f"SYNCDATA back to the original: {yn[f.undo_restores]}",
        f"{r.backend}: statements during one force: {len(f.statements)} (bare SQL: 2; "
        f"loop: {r.loop.statements:,} for {r.loop.sample:,} records)",
        f"{r.backend}: bare preview gives the same counts: {yn[p.same_counts]}, "
        f"first page: {yn[p.same_page]}, page {p.turn_page:,}: {yn[p.same_turn]}",
        f"{r.backend}: loop: {r.loop_note}; its driving read of the selection "
        f"{_bench.fmt_seconds(r.loop.driving_seconds)} is counted once; "
        f"{r.loop.seconds / r.loop.sample * 1000:.2f} ms per record",
        f"{r.backend}: loop / bare SQL = {_bench.fmt_ratio(loop_bare)}: the ceiling "
        f"of the loop-vs-toolkit ratio for any set-based force on this backend",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scale",
        type=int,
        default=30,
        help="DuckDB demo scale (1000: 5.2 M activities)",
    )
    ap.add_argument(
        "--db",
        type=Path,
        help="use this demo DuckDB file (copied) instead of building one",
    )
    ap.add_argument(
        "--pg-scale",
        type=int,
        default=None,
        help="PostgreSQL demo scale (default: --scale)",
    )
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--no-growth", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    ap.add_argument("--mem-repeat", type=int, default=2)
    ap.add_argument("--growth-repeat", type=int, default=3)
    ap.add_argument("--loop-sample", type=int, default=2000)
    ap.add_argument(
        "--budget",
        type=float,
        default=1e9,
        help="seconds after which figures get fewer runs (at least one each)",
    )
    ap.add_argument("--child-timeout", type=float, default=1800)
    ap.add_argument("--tmp", type=Path, default=None)
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument(
        "--write-docs",
        type=Path,
        help="replace this script's sections of this Markdown file",
    )
    ap.add_argument("--save", type=Path, help="keep the results (pickle) for --render")
    ap.add_argument(
        "--render",
        type=Path,
        help="measure nothing: print (and --write-docs) the results saved by --save",
    )
    args = ap.parse_args(argv)
    if args.render:
        with args.render.open("rb") as fh:
            stamp, lines, results, mach, vers = pickle.load(fh)
    else:
        stamp, lines, results, mach, vers = measure(args)
        if args.save:
            args.save.parent.mkdir(parents=True, exist_ok=True)
            with args.save.open("wb") as fh:
                pickle.dump((stamp, lines, results, mach, vers), fh)
    report(args, stamp, lines, results, mach, vers)
    return 0


def measure(
    args: argparse.Namespace,
) -> tuple[str, list[str], list[BackendResult], dict[str, str], dict[str, str]]:
    """Build the data and take every figure; return what the report needs."""
    started = time.monotonic()
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")

    def budget() -> float:
        return args.budget - (time.monotonic() - started)

    pg_error = None if args.no_pg else _bench.pg_reachable()
    results: list[BackendResult] = []
    duck = _bench.DuckWorkspace(args.scale, master=args.db, tmp=args.tmp)
    try:
        results.append(run_backend(duck, args, budget, growth=not args.no_growth))
    finally:
        duck.close()
    if not args.no_pg and pg_error is None:
        pg = _bench.PgWorkspace(args.pg_scale or args.scale)
        try:
            results.append(run_backend(pg, args, budget, growth=False))
        finally:
            pg.close()
    elapsed = time.monotonic() - started

    mach, vers = (
        _bench.machine(),
        _bench.versions(pg=pg_error is None and not args.no_pg),
    )
    lines = [
        f"date: {stamp}; total {elapsed:.0f} s",
        "machine: " + ", ".join(f"{k} {v}" for k, v in mach.items()),
        "versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()),
    ]
    for r in results:
        z = r.sizes
        lines.append(
            f"data {r.backend} ({r.source}, built in {r.build_seconds:.0f} s): "
            f"{z['activities']:,} activities ({z['btask']:,} tasks, "
            f"{z['bcall']:,} calls, {z['bappoint']:,} appointments), "
            f"{z['correspond']:,} contacts, "
            f"{z['syncdata']:,} SYNCDATA, {z['synclink']:,} SYNCLINK; selection "
            f"{r.selection.selected:,} records ({r.selection.to_write:,} written)"
        )
    if args.no_pg:
        lines.append("postgresql: skipped (--no-pg)")
    elif pg_error:
        lines.append(f"postgresql: skipped, server unreachable: {pg_error}")
    return stamp, lines, results, mach, vers


def report(
    args: argparse.Namespace,
    stamp: str,
    lines: list[str],
    results: list[BackendResult],
    mach: dict[str, str],
    vers: dict[str, str],
) -> None:
    """Print the report; write the JSON and the Markdown sections when asked."""
    print("\n".join(lines))
    print()
    for r in results:
        print(f"## {r.backend}")
        print(_bench.table(HEADERS, rows_for(r)))
        print()
        print("\n".join(checks_for(r)))
        print()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "date": stamp,
                    "machine": mach,
                    "versions": vers,
                    "results": [
                        dataclasses.asdict(r) | {"loop": dataclasses.asdict(r.loop)}
                        for r in results
                    ],
                },
                indent=1,
                default=str,
            )
        )
    if args.write_docs:
        _docs.write(
            args.write_docs, _docs.sections(stamp, lines, results, rows_for, checks_for)
        )
        _bench.log(f"wrote the benchmark sections of {args.write_docs}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(
            "interrupted: temp files and the bench schema were cleaned up",
            file=sys.stderr,
        )
        sys.exit(130)
