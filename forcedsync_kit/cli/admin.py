"""``init``, ``demo`` and ``dashboard``: setting a folder up and serving the UI."""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import db, present, tables, x3check
from ..errors import FolderNotEmptyError
from .options import CONTEXT, db_option, mark_written, progress


@click.command(context_settings=CONTEXT)
@db_option
def init(db_url: str | None) -> None:
    """Create the X3 and toolkit tables that are missing (never drops or alters).

    With --x3-folder, only the toolkit's own tables (in --toolkit-schema), once the
    folder passes 'forcedsync check'.

    Example: forcedsync init --db ./forcedsync.duckdb
    """
    engine = db.connect(db_url)
    created = db.init(engine)
    if created:
        mark_written(f"{len(created)} table(s) were created")
    click.echo(
        f"{db.masked(engine.url)}: created {len(created)} table(s)"
        + (f": {', '.join(created)}" if created else "")
    )


@click.command(context_settings=CONTEXT)
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
def demo(db_url: str | None, scale: int, seed: int, replace: bool) -> None:
    """Create a deterministic demo folder (users ADMIN, SALES1, NOREP...).

    Example: forcedsync demo --db demo.duckdb --scale 10 --seed 7
    """
    from .. import demo as demo_data

    engine = db.connect(db_url)
    folder = tables.layout_of(engine)
    if folder is not None:  # the demo writes X3 tables: never into a live folder
        x3check.refuse_init(folder)
    try:
        summary = demo_data.build(
            engine, scale=scale, seed=seed, replace=replace, progress=progress
        )
    except FolderNotEmptyError as exc:
        raise exc.with_remedy(
            "give another --db, or add --replace to delete every row first."
        ) from None
    mark_written("the demo data was written")
    click.echo(
        f"Demo data in {db.masked(engine.url)} (scale {scale}, seed {seed}, "
        f"{summary.seconds:.1f} s):"
    )
    for table, rows in summary.rows.items():
        click.echo(f"  {table:<12}{present.number(rows):>12}")


@click.command(context_settings=CONTEXT)
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
def dashboard(**options: Any) -> None:
    """Serve the Voila dashboard on http://HOST:PORT until Ctrl-C.

    Example: forcedsync dashboard --db forcedsync.duckdb --identity-header
    X-Forwarded-User
    """
    from ..dashboard import serve

    sys.exit(serve(**options))  # db_url, port, host, base_url, header, ...


@click.group(context_settings=CONTEXT)
def kernel() -> None:
    """The Jupyter kernel 'forcedsync' that 'forcedsync job' runs its notebook on.

    Example: forcedsync kernel install --sys-prefix
    """


@kernel.command(name="install", context_settings=CONTEXT)
@click.option("--user", is_flag=True, help="Into your own Jupyter folder (~/.local).")
@click.option(
    "--sys-prefix",
    is_flag=True,
    help="Into this Python environment (the default).",
)
@click.option(
    "--prefix",
    metavar="PREFIX",
    default=None,
    help="Into PREFIX/share/jupyter/kernels (e.g. another Jupyter's environment).",
)
def kernel_install(user: bool, sys_prefix: bool, prefix: str | None) -> None:
    """Install the kernelspec 'forcedsync', running this Python (needs [jobs]).

    Example: forcedsync kernel install --sys-prefix
    """
    from ..kernel import KERNEL_NAME, install_kernel

    folder = install_kernel(user=user, sys_prefix=sys_prefix, prefix=prefix)
    mark_written(f"the kernel {KERNEL_NAME!r} was installed")
    click.echo(
        f"Installed the Jupyter kernel {KERNEL_NAME!r} ({sys.executable}) in {folder}"
    )
