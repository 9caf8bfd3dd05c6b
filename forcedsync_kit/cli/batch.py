"""``job`` and ``sync``: the headless job notebook, and the Outlook stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .. import db, outputs, present
from ..clock import parse_clock
from ..export import FORMATS
from .options import (
    CONTEXT,
    db_option,
    echo_lines,
    json_option,
    mark_written,
    operator_option,
    params_options,
)


def _committed_run(output_dir: str) -> None:
    """After a failed job: note a run its summary.json says was committed."""
    try:
        summary = json.loads((Path(output_dir) / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(summary, dict) and summary.get("run_id"):
        mark_written(f"run {summary['run_id']} was committed")
    elif (
        isinstance(summary, dict) and summary.get("batch_id") and summary.get("written")
    ):
        mark_written(f"team run {summary['batch_id']} was partly committed")


@click.command(context_settings=CONTEXT)
@db_option
@params_options("-p SELTSK=1")
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
@operator_option
@click.option("--now", metavar="ISO", help="Fix the run's clock (UTC).")
@click.option(
    "--kernel",
    "kernel_name",
    default="forcedsync",
    show_default=True,
    metavar="NAME",
    help="Jupyter kernel to run on ('forcedsync kernel install' adds forcedsync).",
)
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Stop the job when one cell runs longer (default: no limit).",
)
@click.option(
    "--export",
    type=click.Choice(sorted(FORMATS.values()), case_sensitive=False),
    default=None,
    help="Write every selected record to preview.csv/.parquet in --output.",
)
@click.option(
    "--expect",
    metavar="TOKEN",
    default=None,
    help="With --commit: the token of a preview (summary.json, preview --json); "
    "nothing is forced if the queue changed since.",
)
def job(
    params_file: str | None, params: tuple[str, ...], output_dir: str, **options: Any
) -> None:
    """Run the job notebook headless with papermill; exit 1 if it raised.

    Example: forcedsync job --params nightly.yaml --commit --output runs/2026-11-29
    --timeout 3600
    """
    from .. import job as jobs  # local: papermill is only needed here

    values = jobs.job_parameters(params_file, params)
    try:
        # db_url, operator, commit, now, kernel_name, timeout, export, expect: as
        # execute_job names them
        out = jobs.execute_job(values, output_dir=output_dir, **options)
    except jobs.JobError as exc:
        if exc.notebook:
            click.echo(f"Executed notebook (shows the error): {exc.notebook}")
        _committed_run(output_dir)
        raise
    s = out.summary
    if s.get("team"):
        click.echo(jobs.team_headline(s))
    else:
        click.echo(
            f"Run {s['run_id']}: {present.number(s['written'])} record(s) marked R."
            if s["commit"]
            else f"Preview only: {present.number(s['to_write'])} record(s) would be "
            f"marked R."
        )
    export = out.summary_file.parent / s["export"] if s.get("export") else None
    files = (
        ("Notebook", out.notebook),
        ("Summary", out.summary_file),
        ("Log", out.log),
        ("Export", export),
    )
    echo_lines([f"{label}: {path}" for label, path in files if path])


@click.command(context_settings=CONTEXT)
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
@json_option
def sync(
    db_url: str | None, user: str, out_dir: str, now: str | None, as_json: bool
) -> None:
    """Run the next synchronization for USER: export the queue, then acknowledge it.

    A stand-in for the Outlook add-in (SPEC §6): writes vCard 4 / iCalendar files and
    removes the SYNCDATA rows it sent and the anomalies they resolve.

    Example: forcedsync sync --user ADMIN --out ./outlook-ADMIN
    """
    from .. import outlook

    clock = parse_clock(now) if now else None
    engine = db.connect(db_url)
    outputs.check_output_dir(out_dir, outlook.OUTPUT_FILES, engine, option="--out")
    result = outlook.synchronize(engine, user, out_dir, now=clock)
    mark_written(f"the queue of {user} was exported to {out_dir}")
    if as_json:
        click.echo(present.to_json(result))
    else:
        echo_lines(result.summary_lines())
