"""Options shared by the commands, and the helpers their bodies share."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from .. import db, folderdb, marking, present
from ..criteria import Criteria
from ..edges import MAX_INT32, ascii_int
from ..params import merge_params

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
}
#: ``click.Context.meta`` key set once a command has written something.
WRITTEN = "forcedsync.written"
#: Exit code of a command that wrote something, then failed.
EXIT_WRITTEN = 3


class WrittenThenFailed(click.ClickException):
    """A failure after the command wrote something: exit 3, not 1."""

    exit_code = EXIT_WRITTEN


def db_option(func: F) -> F:
    """``--db`` and the live-folder options (``folder_options``) of every command."""
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Database URL or DuckDB file path (default: $FORCEDSYNC_DB_URL, "
        "$FORCEDSYNC_DB, else ./forcedsync.duckdb).",
    )(folder_options(func))


#: ``click.Context.meta`` key of the live-folder options given to a command.
FOLDER = "forcedsync.folder"


def _remember_folder(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Collect --x3-folder/--mapping/--toolkit-schema; ``db.connect`` then uses them.

    The values hold for the command's run only (``db.folder_defaults``, released
    when the command ends), so the command bodies keep calling ``db.connect(url)``.
    """
    given = ctx.meta.setdefault(FOLDER, {})
    given[str(param.name)] = value.strip() if isinstance(value, str) else value
    if len(given) == len(FOLDER_OPTIONS):
        ctx.with_resource(
            db.folder_defaults(
                given["x3_folder"] or None,
                given["mapping"] or None,
                given["toolkit_schema"] or None,
            )
        )
    return value


#: (option, metavar, environment variable, help) of the live-folder options.
_FOLDER_OPTION_TABLE = (
    (
        "--x3-folder",
        "NAME",
        folderdb.FOLDER_VARIABLE,
        "Run on the live X3 folder NAME (its schema), checked first "
        f"(default: ${folderdb.FOLDER_VARIABLE}; none = the toolkit's own tables).",
    ),
    (
        "--mapping",
        "PRESET|FILE",
        folderdb.MAPPING_VARIABLE,
        "Logical -> physical names: preset x3 or toolkit, or a YAML file "
        "(default: x3 with --x3-folder).",
    ),
    (
        "--toolkit-schema",
        "NAME",
        folderdb.TOOLKIT_SCHEMA_VARIABLE,
        "Schema of the toolkit's run history next to a live folder "
        f"(default: {folderdb.DEFAULT_TOOLKIT_SCHEMA}).",
    ),
)
FOLDER_OPTIONS = tuple(
    click.option(
        flag,
        flag.removeprefix("--").replace("-", "_"),
        metavar=metavar,
        envvar=envvar,
        expose_value=False,
        callback=_remember_folder,
        help=text,
    )
    for flag, metavar, envvar, text in _FOLDER_OPTION_TABLE
)


def folder_options(func: F) -> F:
    """``--x3-folder``, ``--mapping`` and ``--toolkit-schema`` (SPEC §8)."""
    for option in reversed(FOLDER_OPTIONS):
        func = option(func)
    return func


def json_option(func: F) -> F:
    """``--json``: print JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def operator_option(func: F) -> F:
    """``--operator``: the connected user."""
    return click.option(
        "--operator",
        metavar="USER",
        help="Connected user: login or X3 code (default: $JUPYTERHUB_USER, "
        "then $FORCEDSYNC_USER).",
    )(func)


def params_options(example: str) -> Callable[[F], F]:
    """``--params FILE`` and ``-p NAME=VALUE`` (``example`` ends the ``-p`` help)."""

    def decorate(func: F) -> F:
        func = click.option(
            "-p",
            "--param",
            "params",
            metavar="NAME=VALUE",
            multiple=True,
            help=f"A criterion, e.g. {example}; overrides --params.",
        )(func)
        return click.option(
            "--params",
            "params_file",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="YAML or JSON file of criteria (SPEC parameter names).",
        )(func)

    return decorate


def count_callback(
    lo: int, hi: int = MAX_INT32
) -> Callable[[click.Context, click.Parameter, str], int]:
    """An option's value as a whole number in ``lo..hi`` written in ASCII digits.

    A bad value is a refusal (exit 1, one ``Error:`` line naming the option), checked
    before anything opens the database.
    """

    def parse(ctx: click.Context, param: click.Parameter, value: str) -> int:
        return ascii_int(param.opts[0], value, lo, hi)

    return parse


@dataclass(frozen=True)
class RunArgs:
    """The values of the options that ``preview`` and ``force`` share."""

    db_url: str | None
    operator: str | None
    params_file: str | None
    params: tuple[str, ...]
    now: str | None
    as_json: bool
    page: int
    page_size: int

    def criteria(self) -> Criteria:
        """The criteria of ``--params`` and ``-p`` (pairs win)."""
        return build_criteria(self.params_file, self.params)


def criteria_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by ``preview`` and ``force``, given as one ``RunArgs``."""

    @functools.wraps(func)
    def command(**values: Any) -> Any:
        shared = {name: values.pop(name) for name in RunArgs.__dataclass_fields__}
        return func(RunArgs(**shared), **values)

    options = [
        click.option(
            "--now",
            metavar="ISO",
            help="Fix the run's clock (UTC), e.g. 2026-11-29T12:00:00.",
        ),
        json_option,
        click.option(
            "--page",
            default="1",
            callback=count_callback(1),
            metavar="N",
            show_default=True,
            help="Page of records to show.",
        ),
        click.option(
            "--page-size",
            default="50",
            callback=count_callback(1, marking.MAX_PAGE_SIZE),
            metavar="N",
            show_default=True,
            help="Records per page.",
        ),
    ]
    wrapped: Callable[..., Any] = command
    for option in reversed(options):
        wrapped = option(wrapped)
    wrapped = params_options("-p SELTSK=1 -p TSKDATDEB=2026-01-01")(wrapped)
    return db_option(operator_option(wrapped))


def build_criteria(params_file: str | None, pairs: Sequence[str]) -> Criteria:
    """Criteria from a parameters file and NAME=VALUE pairs (pairs win).

    Raises:
        CriteriaError: a pair without '=', an unknown name or a bad value.
    """
    return Criteria.from_params(merge_params(params_file, pairs))


def progress(step: str, fraction: float) -> None:
    """Progress of a long run on a terminal's stderr (silent otherwise)."""
    if sys.stderr.isatty():
        click.echo(f"[{fraction:>4.0%}] {step}", err=True)


def echo_lines(lines: Sequence[str]) -> None:
    """Print lines on stdout."""
    for line in lines:
        click.echo(line)


def echo_result(res: object, as_json: bool, lines: Sequence[str]) -> None:
    """Print a result as JSON (``--json``) or as its text lines."""
    if as_json:
        click.echo(present.to_json(res))
    else:
        echo_lines(lines)


def mark_written(what: str) -> None:
    """Record that the command has written ``what``: a later failure exits 3, not 1."""
    click.get_current_context().meta[WRITTEN] = what
