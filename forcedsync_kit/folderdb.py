"""A live X3 folder's side of opening a database: which layout, and its write lock.

``folder_layout`` turns ``--x3-folder``/``--mapping``/``--toolkit-schema`` (or their
environment variables) into a ``Layout``; ``db.connect`` binds it to the engine.
``folder_lock`` serialises the toolkit's writers on one folder on every dialect.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import dialects
from .errors import BackendError
from .layout import Layout

logger = logging.getLogger(__name__)

#: Environment variables naming a live X3 folder, its mapping and the toolkit schema.
FOLDER_VARIABLE = "FORCEDSYNC_X3_FOLDER"
MAPPING_VARIABLE = "FORCEDSYNC_MAPPING"
TOOLKIT_SCHEMA_VARIABLE = "FORCEDSYNC_TOOLKIT_SCHEMA"
#: Schema of the toolkit's own tables next to a live folder (``--toolkit-schema``).
DEFAULT_TOOLKIT_SCHEMA = "FORCEDSYNC"

_FOLDER_DEFAULTS: contextvars.ContextVar[Mapping[str, str | None] | None] = (
    contextvars.ContextVar("forcedsync_folder_defaults", default=None)
)


@contextlib.contextmanager
def folder_defaults(
    folder: str | None, mapping: str | None, toolkit_schema: str | None
) -> Iterator[None]:
    """Meanwhile, ``connect()`` without a layout uses these (the CLI's options)."""
    token = _FOLDER_DEFAULTS.set(
        {"folder": folder, "mapping": mapping, "toolkit_schema": toolkit_schema}
    )
    try:
        yield
    finally:
        _FOLDER_DEFAULTS.reset(token)


def folder_environment() -> dict[str, str]:
    """The live-folder settings in force, as environment variables of a child process.

    ``forcedsync dashboard`` and ``forcedsync job`` give them to their kernels, whose
    ``connect()`` then opens the same folder as the command line named.
    """
    given = _FOLDER_DEFAULTS.get() or {}
    out: dict[str, str] = {}
    for key, name in (
        ("folder", FOLDER_VARIABLE),
        ("mapping", MAPPING_VARIABLE),
        ("toolkit_schema", TOOLKIT_SCHEMA_VARIABLE),
    ):
        value = given.get(key) or os.environ.get(name)
        if value:
            out[name] = value
    return out


def folder_layout(
    folder: str | None = None,
    mapping: str | None = None,
    toolkit_schema: str | None = None,
) -> Layout | None:
    """The layout named by the arguments, the CLI's options or the environment.

    ``FORCEDSYNC_X3_FOLDER``, ``FORCEDSYNC_MAPPING`` and ``FORCEDSYNC_TOOLKIT_SCHEMA``
    fill what the arguments leave out. None (the toolkit layout) when neither a
    folder nor a mapping other than ``toolkit`` is named.

    Raises:
        MappingError: the mapping is not a preset or a valid mapping file.
    """
    given = _FOLDER_DEFAULTS.get() or {}
    folder = folder or given.get("folder") or os.environ.get(FOLDER_VARIABLE) or None
    mapping = mapping or given.get("mapping") or os.environ.get(MAPPING_VARIABLE)
    if not folder and (not mapping or mapping == "toolkit"):
        return None
    own = (
        toolkit_schema
        or given.get("toolkit_schema")
        or os.environ.get(TOOLKIT_SCHEMA_VARIABLE)
        or DEFAULT_TOOLKIT_SCHEMA
    )
    return Layout(mapping or "x3", folder=folder, toolkit_schema=own)


def folder_lock(conn: Connection, layout: Layout, wait: float, shown_url: str) -> None:
    """The writers' lock of a live folder (``dialects.lock_statement``), one per folder.

    Raises:
        BackendError: another run held it for longer than ``wait`` seconds.
    """
    caps = dialects.caps(conn)
    ms = max(1, int(wait * 1000))
    stmt = dialects.lock_statement(caps, layout.schema or "", ms)
    if stmt is None:
        return
    if caps.name == "postgresql":
        conn.execute(
            sa.text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": f"{ms}ms"}
        )
    try:
        conn.execute(stmt)
    except sa.exc.DBAPIError as exc:
        if "lock" not in str(exc).lower():
            raise
        raise BackendError(
            f"Database {shown_url!r} is busy: another forcedsync run "
            f"has held the write lock of folder {layout.schema!r} for over {wait:g} s;"
            " try again when it has finished."
        ) from None
    if caps.name == "postgresql":
        conn.execute(sa.text("SELECT set_config('lock_timeout', '0', true)"))
