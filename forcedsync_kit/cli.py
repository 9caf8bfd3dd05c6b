"""The ``forcedsync`` command line: a thin click group over the public API.

Exit codes: 0 success, 1 a refusal or error of the toolkit (message on stderr, nothing
written), 2 a usage error.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from . import db, marking, runlog
from .clock import parse_clock
from .criteria import OBJECT_TYPES, Criteria, read_params_file
from .errors import CriteriaError, ForcedSyncError
from .results import ForceResult, PreviewResult, RecordRow, RunInfo

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(exc: ForcedSyncError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


def handle_errors(func: F) -> F:
    """Turn a ForcedSyncError into its message on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ForcedSyncError as exc:
            _fail(exc)

    return wrapper  # type: ignore[return-value]


def db_option(func: F) -> F:
    """``--db``: a URL or DuckDB path (default $FORCEDSYNC_DB, ./forcedsync.duckdb)."""
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Database URL or DuckDB file path (default: $FORCEDSYNC_DB_URL, "
        "$FORCEDSYNC_DB, else ./forcedsync.duckdb).",
    )(func)


def criteria_options(func: F) -> F:
    """The options shared by ``preview`` and ``force``."""
    options = [
        click.option(
            "--operator",
            metavar="USER",
            help="Connected user: login or X3 code (default: $JUPYTERHUB_USER, "
            "then $FORCEDSYNC_USER).",
        ),
        click.option(
            "--params",
            "params_file",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="YAML or JSON file of criteria (SPEC parameter names).",
        ),
        click.option(
            "-p",
            "--param",
            "params",
            metavar="NAME=VALUE",
            multiple=True,
            help="A criterion, e.g. -p SELTSK=1 -p TSKDATDEB=2026-01-01; "
            "overrides --params.",
        ),
        click.option(
            "--now",
            metavar="ISO",
            help="Fix the run's clock (UTC), e.g. 2026-11-29T12:00:00.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
        click.option(
            "--page",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Page of records to show.",
        ),
        click.option(
            "--page-size",
            type=click.IntRange(1, marking.MAX_PAGE_SIZE),
            default=50,
            show_default=True,
            help="Records per page.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return db_option(func)


def build_criteria(params_file: str | None, pairs: Sequence[str]) -> Criteria:
    """Criteria from a parameters file and NAME=VALUE pairs (pairs win).

    Raises:
        CriteriaError: a pair without '=', an unknown name or a bad value.
    """
    values: dict[str, Any] = {}
    if params_file:
        values.update(
            {str(k).upper(): v for k, v in read_params_file(params_file).items()}
        )
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CriteriaError(
                "-p", pair, f"-p {pair!r} is not NAME=VALUE (e.g. -p SELTSK=1)."
            )
        values[name.strip().upper()] = value
    return Criteria.from_params(values)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="forcedsync")
def cli() -> None:
    """Forced Outlook synchronization for Sage X3 CRM (FUNSYD6), with preview and undo.

    Example: forcedsync preview --operator ADMIN -p SELTSK=1 -p TSKDATDEB=2026-01-01
    """


# --- presentation ---------------------------------------------------------------------


def _counts_table(counts: Any, oop: Any | None = None) -> list[str]:
    head = f"{'type':<5}{'insert':>9}{'supersede':>11}{'already':>9}{'skip':>7}"
    lines = [head + (f"{'out of phase':>14}" if oop is not None else "")]
    for t in OBJECT_TYPES:
        c = counts.get(str(t), {})
        line = (
            f"{t!s:<5}{c.get('insert', 0):>9}{c.get('supersede', 0):>11}"
            f"{c.get('already', 0):>9}{c.get('skip', 0):>7}"
        )
        if oop is not None:
            line += f"{oop.get(str(t), 0):>14}"
        lines.append(line)
    return lines


def _records_table(rows: Sequence[RecordRow]) -> list[str]:
    lines = [
        f"{'type':<5}{'key':<16}{'outcome':<11}{'oop':<5}{'description':<32}reasons"
    ]
    for r in rows:
        lines.append(
            f"{r.object_type:<5}{r.record_key:<16}{r.outcome:<11}"
            f"{'yes' if r.out_of_phase else '':<5}{(r.description or '')[:30]:<32}"
            f"{' | '.join(r.reasons)}"
        )
    return lines


def _print_preview(res: PreviewResult) -> None:
    ctx = res.context
    click.echo(
        f"Preview for user {ctx.user} (operator {ctx.operator}, company {ctx.company}, "
        f"rep {ctx.rep or '-'}), clock {res.now.isoformat()}"
    )
    for line in _counts_table(res.counts, res.out_of_phase):
        click.echo(line)
    click.echo(f"Selected: {res.selected}   to write (R): {res.to_write}")
    for w in res.warnings:
        click.echo(f"Warning: {w}")
    if res.records:
        click.echo(f"Records, page {res.page} of {res.pages} ({res.total} records):")
        for line in _records_table(res.records):
            click.echo(line)


def _progress(step: str, fraction: float) -> None:
    if sys.stderr.isatty():
        click.echo(f"[{fraction:>4.0%}] {step}", err=True)


# --- commands -------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@db_option
@handle_errors
def init(db_url: str | None) -> None:
    """Create the X3 and toolkit tables that are missing (never drops or alters).

    Example: forcedsync init --db ./forcedsync.duckdb
    """
    engine = db.connect(db_url)
    created = db.init(engine)
    click.echo(
        f"{db.masked(engine.url)}: created {len(created)} table(s)"
        + (f": {', '.join(created)}" if created else "")
    )


@cli.command(context_settings=CONTEXT)
@db_option
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Size factor (linear); 1 is a few thousand activities.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option("--replace", is_flag=True, help="Empty the tables first.")
@handle_errors
def demo(db_url: str | None, scale: int, seed: int, replace: bool) -> None:
    """Create a deterministic demo folder (users ADMIN, SALES1, NOREP...).

    Example: forcedsync demo --db demo.duckdb --scale 10 --seed 7
    """
    from . import demo as demo_data

    engine = db.connect(db_url)
    summary = demo_data.build(
        engine, scale=scale, seed=seed, replace=replace, progress=_progress
    )
    click.echo(
        f"Demo data in {db.masked(engine.url)} (scale {scale}, seed {seed}, "
        f"{summary.seconds:.1f} s):"
    )
    for table, n in summary.rows.items():
        click.echo(f"  {table:<12}{n:>12,}")


@cli.command(context_settings=CONTEXT)
@criteria_options
@handle_errors
def preview(
    db_url: str | None,
    operator: str | None,
    params_file: str | None,
    params: tuple[str, ...],
    now: str | None,
    as_json: bool,
    page: int,
    page_size: int,
) -> None:
    """Show what a force would write and which records are out of phase; writes nothing.

    Example: forcedsync preview --operator ADMIN -p SELCOR=1 -p ONLYOOP=1 --json
    """
    criteria = build_criteria(params_file, params)
    res = marking.preview(
        db.connect(db_url),
        criteria,
        operator=operator,
        now=now,
        page=page,
        page_size=page_size,
    )
    if as_json:
        click.echo(json.dumps(res.to_json_dict(), indent=2, default=str))
    else:
        _print_preview(res)


def _check_writable(path: str) -> None:
    """Refuse, before anything is written, a log file that cannot be created."""
    target = Path(path)
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            with open(target, "a", encoding="utf-8"):
                pass
        else:  # probe the folder without leaving the log file behind
            with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".fsy-"):
                pass
    except OSError as exc:
        raise CriteriaError(
            "--log",
            path,
            f"--log {path} cannot be written ({exc.strerror or exc}); nothing was "
            f"forced.",
        ) from None


def _log_target(res: ForceResult, log: str | None) -> str | None:
    if log:
        return log
    if res.criteria.flgtrcdet:
        return f"forcedsync-{res.run_id}.log"
    return None


@cli.command(context_settings=CONTEXT)
@criteria_options
@click.option("--yes", is_flag=True, help="Really write (without it: a preview).")
@click.option(
    "--log",
    metavar="FILE",
    help="Write the log (summary; with FLGTRCDET=1 one line per record) to FILE.",
)
@handle_errors
def force(
    db_url: str | None,
    operator: str | None,
    params_file: str | None,
    params: tuple[str, ...],
    now: str | None,
    as_json: bool,
    page: int,
    page_size: int,
    yes: bool,
    log: str | None,
) -> None:
    """Mark the selected records R for the next synchronization (needs --yes).

    Example: forcedsync force --operator ADMIN -p SELTSK=1 -p FLGTRCDET=1 --yes
    """
    criteria = build_criteria(params_file, params)
    engine = db.connect(db_url)
    if not yes:
        res = marking.preview(
            engine, criteria, operator=operator, now=now, page=page, page_size=page_size
        )
        if as_json:
            click.echo(json.dumps(res.to_json_dict(), indent=2, default=str))
        else:
            _print_preview(res)
            click.echo(f"Nothing written: add --yes to force {res.to_write} record(s).")
        return
    if log:
        _check_writable(log)
    done = marking.force(
        engine, criteria, operator=operator, now=now, progress=_progress
    )
    target = _log_target(done, log)
    if target:
        try:
            runlog.write_log(engine, done.run_id, target, details=criteria.flgtrcdet)
        except OSError as exc:
            click.echo(
                f"Error: run {done.run_id} was committed ({done.written} record(s) "
                f"marked R), but its log could not be written to {target}: "
                f"{exc.strerror or exc}; use 'forcedsync log --run {done.run_id}'.",
                err=True,
            )
            sys.exit(1)
    rows, _ = runlog.run_records(engine, done.run_id, page=page, page_size=page_size)
    if as_json:
        out = done.to_json_dict()
        out["records"] = [r.to_json_dict() for r in rows]
        out["page"] = page
        out["log"] = target
        click.echo(json.dumps(out, indent=2, default=str))
        return
    click.echo(
        f"Run {done.run_id}: {done.written} record(s) marked R for user "
        f"{done.context.user}."
    )
    for line in _counts_table(done.counts):
        click.echo(line)
    for w in done.warnings:
        click.echo(f"Warning: {w}")
    if target:
        click.echo(f"Log: {target}")


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--run", "run_id", required=True, metavar="ID", help="Run id to undo.")
@click.option("--operator", metavar="USER", help="Connected user.")
@click.option("--yes", is_flag=True, help="Really undo (without it: show the run).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def undo(
    db_url: str | None, run_id: str, operator: str | None, yes: bool, as_json: bool
) -> None:
    """Restore SYNCDATA as it was before a force run, for its records still pending.

    Example: forcedsync undo --run 3f2a... --yes
    """
    engine = db.connect(db_url)
    if not yes:
        info = runlog.get_run(engine, run_id)
        for line in runlog.summary_lines(info):
            click.echo(line)
        click.echo(f"Nothing changed: add --yes to undo run {info.run_id}.")
        return
    res = marking.undo(engine, run_id, operator=operator)
    if as_json:
        click.echo(json.dumps(res.to_json_dict(), indent=2, default=str))
        return
    click.echo(
        f"Undo {res.run_id} of run {res.target_run_id}: {res.restored} record(s) "
        f"restored, {res.kept} left as they are."
    )
    for typ, key, why in res.kept_records[:20]:
        click.echo(f"  kept {typ} {key}: {why}")
    for w in res.warnings:
        click.echo(f"Warning: {w}")


def _run_line(r: RunInfo) -> str:
    when = r.started.strftime("%Y-%m-%d %H:%M:%S") if r.started else "-"
    extra = f"undone by {r.undo_run_id}" if r.undo_run_id else ""
    if r.kind == "UNDO":
        extra = f"undo of {r.target_run_id}"
    return (
        f"{r.run_id}  {r.kind:<5} {when}  {r.operator or '-':<8} {r.user or '-':<8} "
        f"{r.written if r.kind == 'FORCE' else '':>8}  {r.status or '':<7}{extra}"
    )


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def runs(db_url: str | None, limit: int, as_json: bool) -> None:
    """List the run history, newest first.

    Example: forcedsync runs --json
    """
    items = runlog.list_runs(db.connect(db_url), limit=limit)
    if as_json:
        click.echo(json.dumps([r.to_json_dict() for r in items], indent=2, default=str))
        return
    click.echo(
        f"{'run':<32}  kind  {'started':<19}  operator user      written  status"
    )
    for r in items:
        click.echo(_run_line(r))


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--run", "run_id", required=True, metavar="ID", help="Run id.")
@click.option("--out", metavar="FILE", help="Write to FILE instead of the terminal.")
@handle_errors
def log(db_url: str | None, run_id: str, out: str | None) -> None:
    """Print a run's detailed log (summary, then one line per record).

    Example: forcedsync log --run 3f2a... --out run.log
    """
    engine = db.connect(db_url)
    if out:
        n = runlog.write_log(engine, run_id, out)
        click.echo(f"{n} line(s) written to {out}")
    else:
        for line in runlog.iter_log_lines(engine, run_id):
            click.echo(line)


@cli.command(context_settings=CONTEXT)
@db_option
@click.option(
    "--params",
    "params_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="YAML or JSON file of criteria (SPEC parameter names).",
)
@click.option(
    "-p",
    "--param",
    "params",
    metavar="NAME=VALUE",
    multiple=True,
    help="A criterion, e.g. -p SELTSK=1; overrides --params.",
)
@click.option("--commit", is_flag=True, help="Really force (without it: a preview).")
@click.option(
    "--output",
    "output_dir",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Directory for job.ipynb, "
    "summary.json and, with FLGTRCDET=1, the detailed log.",
)
@click.option(
    "--operator",
    metavar="USER",
    help="Connected user: login or X3 code (default: $JUPYTERHUB_USER, "
    "then $FORCEDSYNC_USER).",
)
@click.option("--now", metavar="ISO", help="Fix the run's clock (UTC).")
@handle_errors
def job(
    db_url: str | None,
    params_file: str | None,
    params: tuple[str, ...],
    commit: bool,
    output_dir: str,
    operator: str | None,
    now: str | None,
) -> None:
    """Run the job notebook headless with papermill; exit 1 if it raised.

    Example: forcedsync job --params nightly.yaml --commit --output runs/2026-11-29
    """
    from . import job as jobs

    values = jobs.job_parameters(params_file, params)
    try:
        out = jobs.execute_job(
            values,
            output_dir=output_dir,
            db_url=db_url,
            operator=operator,
            commit=commit,
            now=now,
        )
    except jobs.JobError as exc:
        if exc.notebook:
            click.echo(f"Executed notebook (shows the error): {exc.notebook}")
        raise
    s = out.summary
    click.echo(
        f"Run {s['run_id']}: {s['written']} record(s) marked R."
        if s["commit"]
        else f"Preview only: {s['to_write']} record(s) would be marked R."
    )
    for label, path in (
        ("Notebook", out.notebook),
        ("Summary", out.summary_file),
        ("Log", out.log),
    ):
        if path:
            click.echo(f"{label}: {path}")


@cli.command(context_settings=CONTEXT)
@db_option
@click.option("--user", required=True, metavar="USER", help="Whose queue to send.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    help="Folder for contacts.vcf, tasks.ics, events.ics, deletions.json.",
)
@click.option("--now", metavar="ISO", help="Fix the clock (DTSTAMP), UTC.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def sync(
    db_url: str | None, user: str, out_dir: str, now: str | None, as_json: bool
) -> None:
    """Run the next synchronization for USER: export the queue, then acknowledge it.

    A stand-in for the Outlook add-in (SPEC §6): writes vCard 4 / iCalendar files and
    removes the SYNCDATA rows it sent and the anomalies they resolve.

    Example: forcedsync sync --user ADMIN --out ./outlook-ADMIN
    """
    from . import outlook

    clock = parse_clock(now) if now else None
    result = outlook.synchronize(db.connect(db_url), user, out_dir, now=clock)
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2, default=str))
        return
    for line in result.summary_lines():
        click.echo(line)


@cli.command(context_settings=CONTEXT)
@db_option
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8866,
    show_default=True,
    help="TCP port.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; a non-loopback one needs an identity source.",
)
@click.option("--base-url", default=None, help="Path prefix behind a proxy.")
@click.option(
    "--identity-header",
    "header",
    metavar="NAME",
    default=None,
    help="Request header holding each person's login, set by an authenticating proxy.",
)
@click.option(
    "--operator",
    default=None,
    metavar="LOGIN",
    help="The one person served (loopback only; default $JUPYTERHUB_USER, "
    "$FORCEDSYNC_USER).",
)
@click.option("--demo", is_flag=True, help="Serve the demo's operator (a.martin).")
@click.option("--open", "open_browser", is_flag=True, help="Open a web browser.")
@handle_errors
def dashboard(
    db_url: str | None,
    port: int,
    host: str,
    base_url: str | None,
    header: str | None,
    operator: str | None,
    demo: bool,
    open_browser: bool,
) -> None:
    """Serve the Voila dashboard on http://HOST:PORT until Ctrl-C.

    Example: forcedsync dashboard --db forcedsync.duckdb --identity-header
    X-Forwarded-User
    """
    from .dashboard import serve

    sys.exit(
        serve(
            db_url,
            port=port,
            open_browser=open_browser,
            host=host,
            base_url=base_url,
            header=header,
            operator=operator,
            demo=demo,
        )
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    cli.main(args=list(argv) if argv is not None else None, prog_name="forcedsync")


__all__ = ["build_criteria", "cli", "main"]
