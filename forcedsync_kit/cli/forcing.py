"""``preview``, ``force`` and ``undo``: the commands that look at or change SYNCDATA."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from .. import db, marking, present, runlog
from ..errors import CriteriaError
from ..results import ForceResult, PreviewResult
from . import teams
from .options import (
    CONTEXT,
    WrittenThenFailed,
    build_criteria,
    criteria_options,
    db_option,
    echo_lines,
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


@click.command(context_settings=CONTEXT)
@criteria_options
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
    if criteria.team:  # USERS...: a team run, per user
        team = teams.run_preview(db.connect(db_url), criteria, operator, now)
        teams.show_preview(team, as_json, force_hint=False)
        return
    res = marking.preview(
        db.connect(db_url),
        criteria,
        operator=operator,
        now=now,
        page=page,
        page_size=page_size,
    )
    if as_json:
        click.echo(present.to_json(res))
    else:
        echo_lines(preview_lines(res))


def check_writable(path: str) -> None:
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


def _write_log(engine: Engine, done: ForceResult, log: str | None) -> str | None:
    """Write the run's log where asked (FLGTRCDET: a default name); its path."""
    target = log or (
        f"forcedsync-{done.run_id}.log" if done.criteria.flgtrcdet else None
    )
    if target:
        try:
            runlog.write_log(
                engine, done.run_id, target, details=done.criteria.flgtrcdet
            )
        except OSError as exc:
            raise WrittenThenFailed(
                f"run {done.run_id} was committed ({n(done.written)} record(s) "
                f"marked R), but its log could not be written to {target}: "
                f"{exc.strerror or exc}; use 'forcedsync log --run {done.run_id}'."
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
    if criteria.team:  # USERS...: a team run, per user
        if yes:
            teams.run_force(engine, criteria, operator, now, as_json=as_json, log=log)
        else:
            team = teams.run_preview(engine, criteria, operator, now)
            teams.show_preview(team, as_json, force_hint=True)
        return
    if not yes:
        res = marking.preview(
            engine, criteria, operator=operator, now=now, page=page, page_size=page_size
        )
        if as_json:
            click.echo(present.to_json(res))
        else:
            echo_lines(preview_lines(res))
            click.echo(
                f"Nothing written: add --yes to force {n(res.to_write)} record(s)."
            )
        return
    if log:
        check_writable(log)
    done = marking.force(
        engine, criteria, operator=operator, now=now, progress=progress
    )
    mark_written(
        f"run {done.run_id} was committed ({n(done.written)} record(s) marked R)"
    )
    target = _write_log(engine, done, log)
    if not as_json:
        echo_lines(_force_lines(done, target))
        return
    rows, _ = runlog.run_records(engine, done.run_id, page=page, page_size=page_size)
    out = done.to_json_dict()
    out.update(records=[r.to_json_dict() for r in rows], page=page, log=target)
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
    if bool(run_id) == bool(batch_id):
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
    if as_json:
        click.echo(present.to_json(res))
        return
    click.echo(
        f"Undo {res.run_id} of run {res.target_run_id}: {n(res.restored)} record(s) "
        f"restored, {n(res.kept)} left as they are."
    )
    echo_lines(
        [f"  kept {typ} {key}: {why}" for typ, key, why in res.kept_records[:20]]
    )
    echo_lines([f"Warning: {w}" for w in res.warnings])
