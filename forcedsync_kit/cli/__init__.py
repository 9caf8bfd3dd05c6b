"""The ``forcedsync`` command line: a thin click group over the public API.

Exit codes: 0 success; 1 a refusal or error (one ``Error:`` line on stderr, nothing
written); 2 a usage error; 3 something was written (a run committed, files exported)
but a later step failed, as the ``Error:`` line says (also a run committed and then
interrupted: the line gives its id). ``-v/--debug`` shows the traceback of an
unexpected exception instead of its one line, and the library's log on stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import (
    CommitUncertainError,
    ForcedSyncError,
    LogNotWrittenError,
    RunCommittedError,
)
from .admin import dashboard, demo, init, kernel
from .batch import job, sync
from .check import check
from .forcing import force, preview, undo
from .history import log, runs
from .options import CONTEXT, EXIT_WRITTEN, WRITTEN, WrittenThenFailed, build_criteria

logger = logging.getLogger(__name__)


class ToolkitGroup(click.Group):
    """A group whose commands' errors become one ``Error: ...`` line."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a toolkit error, or any unexpected one without
        ``--debug``, becomes a ``click.ClickException`` (exit 1, or 3 after a write).
        """
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            raise _reader_gone() from None
        except (RunCommittedError, CommitUncertainError, LogNotWrittenError) as exc:
            # Written (or maybe written): exit 3, and the message names the run.
            raise WrittenThenFailed(" ".join(str(exc).split())) from None
        except ForcedSyncError as exc:
            raise _failure(ctx, " ".join(str(exc).split())) from None
        except KeyboardInterrupt:
            if ctx.params.get("debug"):
                raise
            raise _interrupted(ctx) from None
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            logger.debug("unexpected error", exc_info=True)
            text = " ".join(str(exc).split())
            message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
            raise _failure(ctx, f"{message} (-v shows the traceback).") from None


def _reader_gone() -> click.exceptions.Exit:
    """The reader of stdout went away (``forcedsync log ... | head``): a quiet end.

    What the command had to do is done (a run is committed before anything is
    printed); the rest of its output goes to /dev/null so that Python's flush at
    exit does not print a second error.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real descriptor (click's test runner)
        pass
    finally:
        os.close(devnull)
    return click.exceptions.Exit(0)


def _interrupted(ctx: click.Context) -> click.ClickException:
    """The truth after Ctrl-C: what was written, or that nothing was."""
    written = ctx.meta.get(WRITTEN)
    if written:
        return WrittenThenFailed(f"Interrupted after {written}.")
    return click.ClickException(
        "Interrupted: nothing was written (a run in progress was rolled back)."
    )


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the current ``sys.stderr`` (click's test runner swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


VERBOSE_HANDLER = _StderrHandler()
VERBOSE_HANDLER.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))


def _failure(ctx: click.Context, message: str) -> click.ClickException:
    written = ctx.meta.get(WRITTEN)
    if written:
        return WrittenThenFailed(f"{written}, then this failed: {message}")
    return click.ClickException(message)


@click.group(cls=ToolkitGroup, context_settings=CONTEXT)
@click.version_option(package_name="forcedsync")
@click.option(
    "-v", "--debug", is_flag=True, help="Show the traceback of an unexpected error."
)
def cli(debug: bool) -> None:
    """Forced Outlook synchronization for Sage X3 CRM (FUNSYD6), with preview and undo.

    Example: forcedsync preview --operator ADMIN -p SELTSK=1 -p TSKDATDEB=2026-01-01
    """
    if debug:
        package = logging.getLogger("forcedsync_kit")
        level = package.level
        package.setLevel(logging.DEBUG)
        package.addHandler(VERBOSE_HANDLER)

        def restore() -> None:  # for the next command of this process (tests)
            package.removeHandler(VERBOSE_HANDLER)
            package.setLevel(level)

        click.get_current_context().call_on_close(restore)


for _command in (
    init,
    check,
    demo,
    preview,
    force,
    undo,
    runs,
    log,
    job,
    sync,
    dashboard,
    kernel,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point.

    The library's log goes nowhere unless ``-v`` is given: a failure is the one
    ``Error:`` line (Python's last-resort handler would print warnings and tracebacks).
    """
    logging.basicConfig(handlers=[logging.NullHandler()])
    cli.main(args=list(argv) if argv is not None else None, prog_name="forcedsync")


__all__ = ["EXIT_WRITTEN", "build_criteria", "cli", "main"]
