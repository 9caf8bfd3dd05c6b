"""Write the benchmark's sections of ``docs/performance.md``, keeping everyone else's.

The file is split at its ``## `` headings; the sections named in ``OWN`` are replaced
(or appended, in that order, when missing) and every other section (``Dashboard``...)
is kept byte for byte. A missing file is created with a title line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import _bench

OWN = ("Force", "Preview", "Memory", "Undo", "PostgreSQL", "Growth")
TITLE = "# Performance\n"
REPRODUCE = (
    "Reproduce: `make bench` (demo scale 30, about a minute) or "
    "`python benchmarks/run.py --scale 1000 --repeat 5 --save out/bench.pkl "
    "--write-docs docs/performance.md` (full scale, DuckDB and PostgreSQL, about 25 "
    "minutes); `python benchmarks/force_vs_bare.py --db FILE` "
    "times one force against the two bare statements. Times are medians of several "
    "runs on a shared, noisy 2-core machine: read ratios, which are measured in the "
    "same run, rather than absolute times."
)

#: Analysis kept with the generated tables (edit here, not in the Markdown). The
#: figures quoted come from ``profile_statements.py`` and ``proposals.py`` runs at
#: scale 1000 on the same machine and day (2026-11-29). ``proposals.py`` held the
#: prototypes P1 to P8; it was removed once they were adopted or rejected (its last
#: version is in the git history, commit 09d433f).
NOTES: dict[str, str] = {
    "Force": """
The toolkit runs the same 25 statements (28 on PostgreSQL) whatever the number of
records: 15 small reads (rights, context, gates), 3 key reads, then one INSERT ...
SELECT staging the classified selection into FSYLOG with new SYDNUMs, one copying the
replaced rows into FSYOLD, one DELETE, one INSERT ... SELECT of the R rows, one count
and the run header (`db.trace` during the force; listed by `force_vs_bare.py`).

Where a DuckDB force spends its time (`profile_statements.py`, 1.15 M records): the
COMMIT (9 to 15 s) and the checkpoint when the connection closes (2 to 6 s), not the
statements (about 6 s). SYNCDATA's PRIMARY KEY on SYDNUM is an ART index, and DuckDB
removes every deleted row from it at commit time (duckdb/duckdb#22535, PR #15629);
the bare SQL deletes the same rows and pays the same, hence a ratio near 1. Without
that key (proposal P4, a DuckDB-only schema change: keep a unique index on
PostgreSQL) the force takes 4.8 s instead of 15.8 s, the bare SQL 2.1 s instead of
12.4 s (toolkit / bare 2.3x), and an undo 1.5 s instead of 34 s, with the same
SYNCDATA (`proposals.py`, since removed).

The per-record loop is timed on 2,000 records spread over the selection (every
575th in key order), in one transaction, with an index on SYNCDATA (SYDUSR, SYDTYP,
SYDKEY) added on DuckDB to give it X3's access path; the extrapolation adds its
driving read of the selection once. On PostgreSQL a statement round trip costs about
0.3 ms, so even the bare SQL is only 37x faster than the loop: 500x is out of reach
there for any set-based implementation (see PostgreSQL).
""",
    "Preview": """
The suspicion is confirmed: `preview` classifies the whole selection twice, once for
the counts (GROUP BY) and once for the page (ORDER BY / LIMIT / OFFSET over the
classified selection, then `describe`); each costs about 0.5 s on DuckDB at 1.15 M
records, and a page turn repeats both, so it costs a whole preview (1.2 s; 5 to 7 s
on PostgreSQL). Measured prototypes (`proposals.py`, since removed; same results
checked row for row against `preview`):

- P2 + P6, page statement only: order and limit the *unclassified* selection first,
  then classify just the page's keys (SYNCDATA / SYNCLINK aggregates restricted to
  them) and describe them. Preview (counts + page 1) on DuckDB 1.32 s -> 0.83 s in
  one run, 1.09 s -> 0.70 s in another where the bare SQL took 0.68 s (1.6x -> 1.03x
  the bare SQL); on PostgreSQL it is slower (4.3 s -> 5.2 s), where the preview
  already meets its goal. Valid without an outcome / out-of-phase page filter (a
  type filter can be applied to the selection). Restricting the aggregates for the
  whole selection (P6 everywhere) does not pay: 0.85x to 1.1x on DuckDB, 0.32x on
  PostgreSQL.
- P3, a preview session: keep the sorted (type, key, outcome, oop) of the selection
  in the caller's memory; a page turn slices it and runs one statement that reads
  only the page's keys with constant `IN (...)` filters (no join to a whole record
  table, which DuckDB would scan). Page turn 1.2 s -> 84 to 97 ms on DuckDB, 5 to
  7 s -> 12 to 17 ms on PostgreSQL: the 100 ms goal is met on both, narrowly on
  DuckDB (about 40 ms of it is opening the file and checking the operator's right).
  Opening the session (the ordered fetch of 1.15 M rows) costs 3 s / 8 s and 270 MB
  as Python tuples
  (a few tens of MB as numpy or Arrow columns); it can replace the counts statement
  (counts from the fetched rows) or be opened on the first page turn.
- P1 (classify once into a TEMPORARY table, counts and page from it): 1.27x on
  DuckDB but 0.5x on PostgreSQL; P8 (UNION ALL between object types in
  `compile_selection`): no measurable gain. Neither is proposed.
""",
    "Memory": """
Peak resident set (VmHWM) of a process that runs one force and nothing else; both
sides import the same modules first ("imports alone"). On DuckDB the database engine
runs in the process, so this is the whole cost; the toolkit's extra is the staged
FSYLOG / FSYOLD rows of the transaction. On PostgreSQL the work happens in the
server backend, so the client figures only show that the toolkit fetches nothing
per record.
""",
    "Undo": """
On DuckDB an undo deletes the 1.08 M R rows of the run from SYNCDATA and puts the
replaced rows back: its time is the same ART-index commit cost as the force's DELETE
(see Force). With SYNCDATA without a primary key on DuckDB (P4) the undo takes 1.5 s
instead of 34 s. On PostgreSQL an undo costs about as much as the force.
""",
    "PostgreSQL": """
PostgreSQL runs at the same scale as DuckDB (the demo loads with COPY in about 75 s).
Each measurement starts from SYNCDATA reloaded from a snapshot and VACUUM ANALYZE
instead of a file copy. Where a force spends its time (`profile_statements.py --url`):
staging FSYLOG 18 s (the classification, a window sort that spills to disk with the
default 4 MB work_mem, 1.15 M rows and their index), INSERT of the R rows 8 s, FSYOLD
copy 7 s, DELETE 4 s. The planner's row estimates for the classified selection are
far too high (16 M for 1.15 M) and trigger JIT compilation when they cross
`jit_above_cost`: 2.7 s of a 7.6 s preview in one run (7.4 s -> 4.3 s with
`jit=off`, proposal P7, db.py), no gain in runs where the estimate stayed below it.

The per-record loop costs 0.6 ms per record here (two to three statements of about
0.2 ms over a local socket), so the loop / toolkit ratio is bounded by loop / bare
SQL = 37x: the >= 500x goal cannot be met on PostgreSQL by any set-based
implementation; it is met on DuckDB, whose per-statement cost is ten times higher.
""",
    "Growth": """
Time grows no faster than linearly: a run has a fixed cost (rights, gates, one pass
over the user's whole SYNCDATA for the classification, commit and checkpoint) of
about 1.5 s at this data size, and each extra record costs 10 to 25 microseconds.
""",
}


def _split(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Head (before the first ``## ``) and (title, body incl. heading) sections."""
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], []
    for part in parts[1:]:
        title = part.splitlines()[0][3:].strip()
        sections.append((title, part))
    return head, sections


def write(path: Path, new: dict[str, str]) -> None:
    text = path.read_text() if path.exists() else TITLE
    head, sections = _split(text)
    done: set[str] = set()
    out = [
        head
        if head.endswith("\n\n") or not head.strip()
        else head.rstrip("\n") + "\n\n"
    ]
    for title, body in sections:
        if title in new:
            out.append(new[title].rstrip("\n") + "\n\n")
            done.add(title)
        else:
            out.append(body if body.endswith("\n\n") else body.rstrip("\n") + "\n\n")
    for title in OWN:
        if title in new and title not in done:
            out.append(new[title].rstrip("\n") + "\n\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out).rstrip("\n") + "\n")


def sections(
    stamp: str,
    header: Sequence[str],
    results: Sequence[Any],
    rows_for: Callable[[Any], list[list[str]]],
    checks_for: Callable[[Any], list[str]],
) -> dict[str, str]:
    heads = ["figure", "toolkit", "reference", "ratio", "goal", "met", "runs"]
    intro = "\n".join(f"- {line}" for line in header)
    out: dict[str, str] = {}
    by_backend = {r.backend: r for r in results}
    duck = by_backend.get("duckdb")
    for title in OWN:
        body = [f"## {title}", ""]
        if title == "Force":
            body += [f"Measured {stamp}.", "", intro, "", REPRODUCE, ""]
        else:
            body += [f"Measured {stamp} (machine, versions and data: see Force).", ""]
        if title == "PostgreSQL":
            pg = by_backend.get("postgresql")
            if pg is None:
                body.append("Not measured in this run (server unreachable or --no-pg).")
            else:
                rows = [r[1:] for r in rows_for(pg)]
                body += [_bench.table(["figure", *heads[1:]], rows), ""]
                body += [f"- {c}" for c in checks_for(pg)]
        elif duck is not None:
            rows = [r[1:] for r in rows_for(duck) if r[0] == title]
            if rows:
                body += [f"DuckDB, {duck.selection.selected:,} records selected:", ""]
                body += [_bench.table(heads, rows)]
            if title == "Force":
                body += [""] + [f"- {c}" for c in checks_for(duck)]
        if NOTES.get(title):
            body += ["", NOTES[title].strip()]
        out[title] = "\n".join(body)
    return out
