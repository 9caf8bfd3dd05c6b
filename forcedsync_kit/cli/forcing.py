"""``preview``, ``force`` and ``undo``: the commands that look at or change SYNCDATA."""

from __future__ import annotations

from typing import IO, Any

import click
from sqlalchemy.engine import Engine

from .. import db, marking, outputs, present, runlog
from .. import token as preview_token
from ..criteria import Criteria
from ..edges import cut_path
from ..errors import (
    CriteriaError,
    LogNotWrittenError,
    OutputPathError,
    PreviewChangedError,
)
from ..export import export_format, write_export
from ..results import ForceResult, PreviewResult, UndoResult
from ..snapshot import open_snapshot
from . import teams
from .options import (
    CONTEXT,
    RunArgs,
    criteria_options,
    db_option,
    echo_lines,
    echo_result,
    json_option,
    mark_written,
    progress,
)

n = present.number


def preview_lines(res: PreviewResult) -> list[str]:
    """The text of a preview: who, counts with out of phase, totals, one page."""
    ctx = res.context
    lines = [
        f"Preview for user {ctx.user} (operator {ctx.operator}, company {ctx.company}, "
        f"rep {ctx.rep or '-'}), clock {res.now.isoformat()}"
    ]
    lines += present.counts_table(res.counts, res.out_of_phase)
    lines.append(f"Selected: {n(res.selected)}   to write (R): {n(res.to_write)}")
    lines += [f"Warning: {w}" for w in res.warnings]
    if res.records:
        lines.append(
            f"Records, page {n(res.page)} of {n(res.pages)} ({n(res.total)} records):"
        )
        lines += present.records_table(res.records)
    return lines


class QueueChanged(click.ClickException):
    """A refused ``force --expect``: the Error line, then the differences table."""

    def __init__(self, exc: PreviewChangedError) -> None:
        super().__init__(str(exc))
        self.differences = exc.differences

    def show(self, file: IO[Any] | None = None) -> None:
        """The ``Error:`` line then the table, both on stderr (stdout stays empty)."""
        super().show(file)
        for line in present.differences_table(self.differences):
            click.echo(line, err=True)


def preview_json(res: PreviewResult, out: str | None = None, rows: int = 0) -> str:
    """A preview's JSON with its token (and the export written, if any)."""
    data = res.to_json_dict()
    data["token"] = preview_token.for_preview(res)
    if out is not None:
        data["export"] = {"path": out, "rows": rows}
    return present.to_json(data)


def _preview_export(
    engine: Engine, criteria: Criteria, args: RunArgs, out: str
) -> tuple[PreviewResult, int]:
    """One snapshot: the page shown and the export of every record agree."""
    with open_snapshot(engine, criteria, operator=args.operator, now=args.now) as snap:
        res = snap.result(snap.page(args.page, args.page_size))
        return res, write_export(snap, out).rows


def _show_preview(
    engine: Engine, criteria: Criteria, args: RunArgs, *, force_hint: bool
) -> None:
    """The preview of ``preview`` and of ``force`` without ``--yes`` (a team's too)."""
    if criteria.team:  # USERS...: a team run, per user
        team = teams.run_preview(engine, criteria, args.operator, args.now)
        teams.show_preview(team, args.as_json, force_hint=force_hint)
        return
    res = marking.preview(
        engine, criteria, operator=args.operator, now=args.now, page=args.page,
        page_size=args.page_size,
    )  # fmt: skip
    if args.as_json:
        click.echo(preview_json(res))
        return
    echo_lines(preview_lines(res))
    if force_hint:
        click.echo(f"Nothing written: add --yes to force {n(res.to_write)} record(s).")


@click.command(context_settings=CONTEXT)
@criteria_options
@click.option(
    "--out",
    metavar="FILE",
    help="Also write every selected record to FILE (.csv or .parquet).",
)
def preview(args: RunArgs, out: str | None) -> None:
    """Show what a force would write and which records are out of phase; writes nothing.

    --json includes the preview's token: give it to 'force --expect' so that the force
    writes nothing if the queue changed in between. --out FILE.csv|.parquet writes every
    selected record (type, key, description, date, rep, outcome, out of phase, reasons).

    Example: forcedsync preview --operator ADMIN -p SELCOR=1 -p ONLYOOP=1 --json
    """
    criteria = args.criteria()
    engine = db.connect(args.db_url)
    if out is None or criteria.team:
        _show_preview(engine, criteria, args, force_hint=False)
        return
    export_format(out)  # a bad extension is refused before the database opens
    res, rows = _preview_export(engine, criteria, args, out)
    if args.as_json:
        click.echo(preview_json(res, out, rows))
        return
    echo_lines(preview_lines(res))
    click.echo(f"Exported {n(rows)} record(s) to {out}.")


def check_log(engine: Engine, log: str | None, details: bool) -> None:
    """Refuse, before anything is written, a log that could not be written after.

    ``--log`` is checked as an output path (never opened: a FIFO would block); with
    FLGTRCDET and no ``--log`` the current folder must take ``forcedsync-<run>.log``.
    """
    if log:
        outputs.check_output_path(log, engine, option="--log")
    elif details:
        outputs.check_implicit_log(engine)


def write_run_log(engine: Engine, done: ForceResult, log: str | None) -> str | None:
    """Write the run's log where asked (FLGTRCDET: a default name); its path.

    Raises:
        LogNotWrittenError: the run is committed but the file could not be written.
    """
    target = log or (
        str(outputs.implicit_log_path(done.run_id)) if done.criteria.flgtrcdet else None
    )
    if target is None:
        return None
    option = "--log" if log else "the detailed log"
    try:
        with outputs.atomic_writer(target, engine, option=option) as fh:
            runlog.write_log(engine, done.run_id, fh, details=done.criteria.flgtrcdet)
    except (OSError, OutputPathError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        reason = str(reason).removesuffix("; nothing was written.")
        raise LogNotWrittenError(
            done.run_id,
            f"run {done.run_id} was committed ({n(done.written)} record(s) marked R), "
            f"but its log could not be written to {cut_path(target)}: {reason}; get "
            f"it with 'forcedsync log --run {done.run_id} --out FILE'.",
        ) from None
    return target


def _force_lines(done: ForceResult, target: str | None) -> list[str]:
    lines = [
        f"Run {done.run_id}: {n(done.written)} record(s) marked R for user "
        f"{done.context.user}."
    ]
    lines += present.counts_table(done.counts)
    lines += [f"Warning: {w}" for w in done.warnings]
    return lines + ([f"Log: {target}"] if target else [])


@click.command(context_settings=CONTEXT)
@criteria_options
@click.option("--yes", is_flag=True, help="Really write (without it: a preview).")
@click.option(
    "--log",
    metavar="FILE",
    help="Write the log (summary; with FLGTRCDET=1 one line per record) to FILE.",
)
@click.option(
    "--expect",
    metavar="TOKEN",
    help="The token of 'preview --json' (one user's or a team's): write nothing if "
    "the queue changed since.",
)
def force(args: RunArgs, yes: bool, log: str | None, expect: str | None) -> None:
    """Mark the selected records R for the next synchronization (needs --yes).

    Example: forcedsync force --operator ADMIN -p SELTSK=1 -p FLGTRCDET=1 --yes
    """
    criteria = args.criteria()
    engine = db.connect(args.db_url)
    if not yes:
        _show_preview(engine, criteria, args, force_hint=True)
        return
    if criteria.team:  # USERS...: a team run, per user
        teams.run_force(
            engine, criteria, args.operator, args.now, as_json=args.as_json, log=log,
            expect=expect,
        )  # fmt: skip
        return
    check_log(engine, log, criteria.flgtrcdet)
    try:
        done = marking.force(
            engine, criteria, operator=args.operator, now=args.now,
            progress=progress, expect=expect,
        )  # fmt: skip
    except PreviewChangedError as exc:
        raise QueueChanged(exc) from None
    mark_written(
        f"run {done.run_id} was committed ({n(done.written)} record(s) marked R)"
    )
    target = write_run_log(engine, done, log)
    if not args.as_json:
        echo_lines(_force_lines(done, target))
        return
    rows, _ = runlog.run_records(
        engine, done.run_id, page=args.page, page_size=args.page_size
    )
    out = done.to_json_dict()
    out.update(records=[r.to_json_dict() for r in rows], page=args.page, log=target)
    click.echo(present.to_json(out))


@click.command(context_settings=CONTEXT)
@db_option
@click.option("--run", "run_id", metavar="ID", help="Run id to undo.")
@click.option(
    "--batch", "batch_id", metavar="ID", help="Team run to undo (every user's run)."
)
@click.option("--operator", metavar="USER", help="Connected user.")
@click.option("--yes", is_flag=True, help="Really undo (without it: show the run).")
@json_option
def undo(
    db_url: str | None,
    run_id: str | None,
    batch_id: str | None,
    operator: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Restore SYNCDATA as it was before a force run, for its records still pending.

    Example: forcedsync undo --run 3f2a... --yes
    """
    if run_id is None and batch_id is None:
        raise click.UsageError("Give --run ID (one run) or --batch ID (a team run).")
    if run_id is not None and batch_id is not None:
        raise CriteriaError(
            "--run", run_id, "Give --run ID (one run) or --batch ID (a team run)."
        )
    engine = db.connect(db_url)
    if batch_id:
        teams.run_undo(engine, batch_id, operator, yes, as_json)
        return
    assert run_id is not None
    if not yes:
        info = runlog.get_run(engine, run_id)
        echo_lines(runlog.summary_lines(info))
        click.echo(f"Nothing changed: add --yes to undo run {info.run_id}.")
        return
    res = marking.undo(engine, run_id, operator=operator)
    mark_written(f"undo {res.run_id} of run {res.target_run_id} was committed")
    echo_result(res, as_json, _undo_lines(res))


def _undo_lines(res: UndoResult) -> list[str]:
    lines = [
        f"Undo {res.run_id} of run {res.target_run_id}: {n(res.restored)} record(s) "
        f"restored, {n(res.kept)} left as they are."
    ]
    lines += [f"  kept {typ} {key}: {why}" for typ, key, why in res.kept_records[:20]]
    return lines + [f"Warning: {w}" for w in res.warnings]
