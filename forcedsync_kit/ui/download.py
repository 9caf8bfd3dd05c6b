"""Download the whole preview (CSV or Parquet) as a file Voila serves, not a data URI.

Voila 0.5 serves the files under its root directory at ``voila/files/<path>``
(``AllowListFileHandler``), only those matching ``VoilaConfiguration.file_allowlist``
(dashboards/voila.json allows ``fsk-exports/<32 hex>/<name>.csv|.parquet``). The
kernel runs in that root directory (the dashboard notebook's folder: the writable
runtime folder ``forcedsync dashboard`` prepares, never the installed package's
folder), so an export is
written to ``fsk-exports/<session id>/`` there and linked relatively: the page is
served at ``<base_url>`` so the link resolves to ``<base_url>voila/files/...``. The
session id is random (nobody guesses another session's file), and the folder is
removed when the session's application closes or its kernel exits.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import ipywidgets as w

from ..present import number
from .base import Part, esc

logger = logging.getLogger(__name__)

#: The folder, under Voila's root (the kernel's working directory), of the exports.
EXPORT_FOLDER = "fsk-exports"
#: Where Voila serves the files of its root directory (relative to the page).
SERVED_PREFIX = "voila/files/"

#: ``(path) -> rows written``: writes the whole preview to ``path``.
Writer = Callable[[Path], int]


class SessionFiles:
    """A per-session folder of served files, removed at close (or at exit)."""

    def __init__(self, root: Path | None = None) -> None:
        base = Path(os.environ.get("FORCEDSYNC_EXPORT_ROOT") or Path.cwd())
        self.root = root or base
        self.session = uuid.uuid4().hex
        self.relative = Path(EXPORT_FOLDER) / self.session
        self.folder = self.root / self.relative
        atexit.register(self.remove)

    def path(self, name: str) -> Path:
        """A file of the session folder (created on first use)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / name

    def url(self, path: Path) -> str:
        """The page-relative address Voila serves ``path`` at."""
        rel = path.relative_to(self.root).as_posix()
        return SERVED_PREFIX + quote(rel)

    def remove(self) -> None:
        """Delete the session folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        atexit.unregister(self.remove)


class DownloadPanel(Part):
    """ "Download CSV" / "Download Parquet": writes the whole preview, then a link.

    Args:
        write: ``(path) -> rows``, bound by the App to the open snapshot.
        files: the session's served folder.
        log: the shared log Output widget.
    """

    def __init__(
        self, write: Writer, files: SessionFiles, *, log: w.Output | None = None
    ) -> None:
        super().__init__(log)
        self._write = write
        self.files = files
        self.ready = False
        self.csv_button = w.Button(description="Download CSV", icon="download")
        self.parquet_button = w.Button(description="Download Parquet", icon="download")
        self.csv_button.add_class("fsk-export-csv")
        self.parquet_button.add_class("fsk-export-parquet")
        self.link = w.HTML("")
        self.link.add_class("fsk-export-link")
        self._buttons = [self.csv_button, self.parquet_button]
        self.csv_button.on_click(self.guard(lambda _: self.export("csv")))
        self.parquet_button.on_click(self.guard(lambda _: self.export("parquet")))
        self.root = w.HBox(
            [self.csv_button, self.parquet_button, self.link, self.status]
        )
        self.refresh_buttons()

    def set_ready(self, ready: bool) -> None:
        """Offer the download while a preview is shown; clear the previous link."""
        self.ready = ready
        self.link.value = ""
        self.status.value = ""
        self.refresh_buttons()

    def export(self, fmt: str) -> Path | None:
        """Write every previewed record to a served file and show its link."""
        if not self.ready:
            return None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path = self.files.path(f"preview-{stamp}.{fmt}")
        with self.busy():
            rows = self._write(path)
        self.link.value = (
            f'<a class="fsk-export-file" download="{esc(path.name)}" target="_blank" '
            f'href="{esc(self.files.url(path))}">{esc(path.name)}</a> '
            f"({esc(number(rows))} records)"
        )
        return path

    def refresh_buttons(self) -> None:
        """The buttons work while a preview is shown."""
        for b in self._buttons:
            b.disabled = not self.ready
