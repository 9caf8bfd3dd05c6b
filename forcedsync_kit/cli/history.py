"""``runs`` and ``log``: the run history and a run's detailed log."""

from __future__ import annotations

import click

from .. import db, outputs, present, runlog
from .options import CONTEXT, count_callback, db_option, echo_lines, json_option


@click.command(context_settings=CONTEXT)
@db_option
@click.option(
    "--limit", default="100", callback=count_callback(1), metavar="N", show_default=True
)
@json_option
def runs(db_url: str | None, limit: int, as_json: bool) -> None:
    """List the run history, newest first.

    Example: forcedsync runs --json
    """
    items = runlog.list_runs(db.connect(db_url), limit=limit)
    if as_json:
        click.echo(present.to_json(items))
    else:
        echo_lines(present.runs_table(items))


@click.command(context_settings=CONTEXT)
@db_option
@click.option("--run", "run_id", required=True, metavar="ID", help="Run id.")
@click.option("--out", metavar="FILE", help="Write to FILE instead of the terminal.")
def log(db_url: str | None, run_id: str, out: str | None) -> None:
    """Print a run's detailed log (summary, then one line per record).

    Example: forcedsync log --run 3f2a... --out run.log
    """
    engine = db.connect(db_url)
    if out:
        runlog.get_run(engine, run_id)  # an unknown run: refused, no file written
        with outputs.atomic_writer(out, engine, option="--out") as fh:
            lines = runlog.write_log(engine, run_id, fh)
        click.echo(f"{present.number(lines)} line(s) written to {out}")
    else:
        for line in runlog.iter_log_lines(engine, run_id):
            click.echo(line)
