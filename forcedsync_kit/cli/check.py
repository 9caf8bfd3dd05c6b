"""``check``: a live X3 folder against its mapping, read-only (SPEC §8)."""

from __future__ import annotations

import click

from .. import db, dialects, x3check
from .options import CONTEXT, db_option


@click.command(context_settings=CONTEXT)
@db_option
def check(db_url: str | None) -> None:
    """Check a live X3 folder against the mapping, before any run (never writes).

    Prints every missing table or column and every incompatible type in one table;
    exits 1 when one stops a run, 0 otherwise (warnings allowed).

    Example: forcedsync check --db postgresql://x3@host/x3 --x3-folder SEED
    """
    layout = db.folder_layout()
    if layout is None:
        raise click.UsageError(
            "forcedsync check needs the folder to check: give --x3-folder NAME "
            "(or --mapping FILE)."
        )
    engine = db.connect(db_url, layout=layout)
    dialects.caps(engine)
    report = x3check.check(engine, layout)
    click.echo(x3check.render(report))
    if report.exit_code:
        raise click.exceptions.Exit(report.exit_code)
