"""A preview held open: the selection classified once, then counted and paged cheaply.

``open_snapshot`` checks the context (SPEC §4.1-4.3) and classifies the selection
(§4.4, §5) into a temporary table (``snapstore``); counts, pages and the export then
read only that table. Page N of a snapshot is page N of ``preview`` (same filters).
On DuckDB, whose connections hold the file against every other process, a thread moves
the table, described, into a private in-memory DuckDB after the first page and closes
the file's connection (``Snapshot.released``); pages asked meanwhile wait for it.
PostgreSQL keeps it on a held session. Use ``with``, or call ``close()``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import db, snapstore
from . import token as preview_token
from .clock import When, parse_clock
from .criteria import OBJECT_TYPES, OUTCOMES, Criteria
from .errors import BackendError
from .marking.plan import Plan, check_filter, check_page, make_plan
from .results import PreviewResult, RecordRow, empty_counts
from .selection import record_row

logger = logging.getLogger(__name__)

#: A page filter: object type, outcome, out of phase only.
Keep = tuple[str | None, str | None, bool]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a snapshot among the ``total`` records that pass its filters.

    ``after`` is the keyset cursor of the next page (``None`` on the last page).
    """

    records: tuple[RecordRow, ...]
    number: int
    size: int
    total: int
    after: int | None

    @property
    def pages(self) -> int:
        """Number of pages of ``total`` records."""
        return max(1, -(-self.total // self.size))


class Snapshot:
    """The classified selection of one preview, held in a table of its own."""

    def __init__(
        self,
        store: tuple[Connection, sa.Table],
        stack: contextlib.ExitStack,
        criteria: Criteria,
        p: Plan,
        *,
        numbered: bool = True,
    ) -> None:
        self.criteria = criteria
        self.context = p.ctx
        self.now = p.now
        self.warnings = p.warnings
        self.skipped_types = p.skipped
        self._plan = p
        self._numbered = numbered  # False: r_all is set by the move (DuckDB)
        self._conn, self._table = store
        self._stack = stack
        self._filters: dict[tuple[str | None, bool], sa.Table] = {}
        self._lock = threading.RLock()  # one thread at a time on the store
        self._moved = threading.Event()
        self._moved.set()
        self._move_pending = False
        self._closing = False
        self._grouped = snapstore.grouped_counts(self._conn, self._table)
        self._types = list(dict.fromkeys(t for t, _, _, _ in self._grouped))
        self.counts: dict[str, dict[str, int]] = empty_counts()
        self.out_of_phase: dict[str, int] = {str(t): 0 for t in OBJECT_TYPES}
        for typ, out, flag, n in self._grouped:
            self.counts[typ][out] += n
            self.out_of_phase[typ] += n if flag else 0

    # --- lifetime -------------------------------------------------------------
    def release_in_background(self) -> None:
        """Move the table into a private in-memory DuckDB once the first page is out.

        DuckDB only. The move starts in a thread after the first ``page`` (or on
        ``released``) and takes the store's lock, so a page asked meanwhile waits
        for it; afterwards the database file's connection is closed.
        """
        self._moved.clear()
        self._move_pending = True

    def _start_move(self) -> None:
        if self._move_pending:
            self._move_pending = False
            threading.Thread(target=self._move, name="fsysnap-move").start()

    @contextlib.contextmanager
    def _moving_after(self) -> Iterator[None]:
        """Start a pending move once the block (the first page) is done."""
        try:
            yield
        finally:
            self._start_move()

    def _move(self) -> None:
        try:
            with self._lock:
                if self._conn.closed:  # closed before the move began
                    return
                held = contextlib.ExitStack()
                try:
                    store = held.enter_context(
                        snapstore.memory_store(
                            self._conn, self._table, self._types,
                            number=not self._numbered,
                        )
                    )  # fmt: skip
                except Exception:  # closing, or failed: keep the file's connection
                    if not self._closing:
                        logger.warning("Snapshot kept on the database", exc_info=True)
                    return
                self._drop_tables()
                old, self._stack = self._stack, held
                self._conn, self._table = store
                self._filters, self._numbered = {}, True
                old.close()  # the database file is released here
        finally:
            self._moved.set()

    def released(self, timeout: float | None = None) -> bool:
        """Wait (up to ``timeout`` s) for the move; True once no database is held.

        On PostgreSQL (no move) this is False while the snapshot is open: its
        temporary table lives on a held session, which blocks no other session.
        """
        with self._lock:
            self._start_move()
        self._moved.wait(timeout)
        with self._lock:
            return self._conn.closed or snapstore.is_described(self._table)

    @property
    def closed(self) -> bool:
        """True once ``close`` has run."""
        return self._conn.closed

    def _drop_tables(self) -> None:
        if self._conn.in_transaction():  # a caller's unfinished read
            self._conn.rollback()
        if not snapstore.is_described(self._table):  # in memory: freed on close
            for pos in self._filters.values():
                snapstore.drop(self._conn, pos)
            snapstore.drop(self._conn, self._table)

    def close(self) -> None:
        """Drop the tables and release the connection (idempotent).

        A move under way is interrupted (DuckDB stops its statement).
        """
        self._closing = True
        if not self._moved.is_set() and not self._move_pending:
            snapstore.interrupt(self._conn)
        with self._lock:
            if self._move_pending:  # never started: nothing to wait for
                self._move_pending = False
                self._moved.set()
            if self._conn.closed:
                return
            try:
                self._drop_tables()
            finally:
                self._stack.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def token(self) -> str:
        """The preview token of this snapshot (``token.encode``), for ``force``."""
        return preview_token.encode(self.criteria, self.context.user, self.counts)

    def _open_conn(self) -> Connection:
        if self._conn.closed:
            raise BackendError("This preview snapshot is closed: open a new one.")
        return self._conn

    @contextlib.contextmanager
    def store(self) -> Iterator[tuple[Connection, sa.Table]]:
        """The store's connection and table, for this thread only while in the block.

        Raises:
            BackendError: the snapshot is closed.
        """
        with self._lock:
            yield self._open_conn(), self._table

    @property
    def table(self) -> sa.Table:
        """The store's table now (columns: ``snapstore.snapshot_table``)."""
        return self._table

    # --- counts ---------------------------------------------------------------
    def total(self) -> int:
        """Records selected, whatever their outcome."""
        return sum(n for _, _, _, n in self._grouped)

    def counts_for(
        self,
        *,
        object_type: str | None = None,
        outcome: str | None = None,
        only_oop: bool = False,
    ) -> int:
        """Records that pass the page filters (no database access)."""
        ftype = check_filter("object_type", object_type, OBJECT_TYPES)
        fout = check_filter("outcome", outcome, OUTCOMES)
        return sum(
            n
            for t, o, f, n in self._grouped
            if ftype in (None, t) and fout in (None, o) and (f or not only_oop)
        )

    def _before(self, typ: str, outcome: str | None, only_oop: bool) -> int:
        """Records of the filter whose type sorts before ``typ``."""
        ahead = self._types[: self._types.index(typ)] if typ in self._types else []
        return sum(
            self.counts_for(object_type=t, outcome=outcome, only_oop=only_oop)
            for t in ahead
        )

    # --- pages ----------------------------------------------------------------
    def _types_between(
        self, first: int, last: int, outcome: str | None, only_oop: bool
    ) -> list[str]:
        """Types at filtered positions ``first..last`` (types are contiguous)."""
        found, end = [], 0
        for typ in self._types:
            start = end + 1
            end += self.counts_for(object_type=typ, outcome=outcome, only_oop=only_oop)
            if start <= last and end >= first and end >= start:
                found.append(typ)
        return found

    def _positions(self, outcome: str | None, only_oop: bool) -> sa.Table | None:
        if outcome is None and not only_oop:
            return None
        key = (outcome, only_oop)
        if key not in self._filters:
            label = f"{(outcome or 'any')[:3]}{'o' if only_oop else ''}"
            pos = snapstore.positions_table(self._table, label)
            snapstore.create_positions(
                self._open_conn(), self._table, pos, outcome, only_oop
            )
            self._filters[key] = pos
        return self._filters[key]

    def page(
        self,
        number: int = 1,
        size: int = 200,
        *,
        after: int | None = None,
        object_type: str | None = None,
        outcome: str | None = None,
        only_oop: bool = False,
    ) -> Page:
        """Page ``number`` (1-based) of the records passing the filters.

        Each page is a range of stored positions: page 5,000 costs what page 1 costs.
        ``after`` (the ``Page.after`` cursor of a page with the same filters) gives
        the records that follow that page instead, by keyset, labelled ``number``.

        Raises:
            CriteriaError: a bad number, size, cursor or filter value.
        """
        check_page(number, size)
        ftype = check_filter("object_type", object_type, OBJECT_TYPES)
        fout = check_filter("outcome", outcome, OUTCOMES)
        total = self.counts_for(object_type=ftype, outcome=fout, only_oop=only_oop)
        with self._lock, self._moving_after():
            if after is not None:
                self._number_now()
                rows = self._rows_after(
                    snapstore.check_cursor(after), size, ftype, fout, only_oop
                )
                return self._page(rows[:size], number, size, total, len(rows) > size)
            start = (number - 1) * size
            if start >= total:
                self._open_conn()
                return Page((), number, size, total, None)
            if not self._numbered:  # the first page, before the move
                return self._offset_page(number, size, total, (ftype, fout, only_oop))
            base = self._before(ftype, fout, only_oop) if ftype else 0
            last = min(start + size, total)
            pos = self._positions(fout, only_oop)
            first, end = base + start + 1, base + last
            types = self._types_between(first, end, fout, only_oop)
            conn = self._open_conn()
            rows = snapstore.page_rows(conn, self._table, pos, first, end, types)
        return self._page(rows, number, size, total, last < total)

    def _number_now(self) -> None:
        """Number an unnumbered table in place (a keyset page before any move)."""
        if self._numbered:
            return
        old, new = self._table, snapstore.snapshot_table()
        snapstore.create(self._open_conn(), new, snapstore.unnumbered(old))
        snapstore.drop(self._conn, old)
        self._table, self._numbered = new, True

    def _offset_page(self, number: int, size: int, total: int, keep: Keep) -> Page:
        """A page of the unnumbered table, by ORDER BY and OFFSET (the first page)."""
        ftype, fout, oop = keep
        start = (number - 1) * size
        last = min(start + size, total)
        base = self._before(ftype, fout, oop) if ftype else 0
        types = self._types_between(base + start + 1, base + last, fout, oop)
        rows, cursor = snapstore.offset_rows(
            self._open_conn(), self._table, keep, start, size, types
        )
        return Page(tuple(record_row(r) for r in rows), number, size, total, cursor)

    def _rows_after(
        self, after: int, size: int, ftype: str | None, fout: str | None, oop: bool
    ) -> list[Any]:
        """Keyset: up to ``size + 1`` rows of the filter after ``r_all`` = ``after``."""
        if ftype:
            types: list[str] | None = [ftype]
        elif fout is None and not oop:  # r_all after..after+size: exact
            types = self._types_between(after + 1, after + size + 1, None, False)
        else:  # found from the page's rows (snapstore.rows_after)
            types = None
        return snapstore.rows_after(
            self._open_conn(), self._table, after, size + 1,
            object_type=ftype, outcome=fout, only_oop=oop, types=types,
        )  # fmt: skip

    @staticmethod
    def _page(rows: list[Any], number: int, size: int, total: int, more: bool) -> Page:
        records = tuple(record_row(r) for r in rows)
        cursor = int(rows[-1].r_all) if rows and more else None
        return Page(records, number, size, total, cursor)

    def result(self, page: Page) -> PreviewResult:
        """The ``PreviewResult`` of ``preview`` for this page (presenters reuse it)."""
        counts = (self.counts, self.out_of_phase)
        shown = (page.total, page.number, page.size)
        return self._plan.preview_result(self.criteria, counts, page.records, shown)


def open_snapshot(
    engine: Engine, criteria: Criteria, *, operator: str | None = None, now: When = None
) -> Snapshot:
    """Classify the selection once into a table of its own; writes no X3 table.

    ``engine``, ``criteria``, ``operator`` and ``now`` are ``preview``'s. Returns an
    open ``Snapshot`` (close it, or use ``with``); raises ``preview``'s refusals
    (``UserResolutionError``, ``BackendError``).
    """
    clock = parse_clock(now)
    stack = contextlib.ExitStack()
    try:
        conn = stack.enter_context(db.reading(engine))
        with conn.begin():
            p = make_plan(conn, criteria, operator, clock)
        duck = conn.dialect.name == "duckdb"  # numbered by the move, after page 1
        table = snapstore.snapshot_table()
        snapstore.create(conn, table, p.classified, number=not duck)
        snap = Snapshot((conn, table), stack, criteria, p, numbered=not duck)
    except BaseException:
        stack.close()
        raise
    if duck:
        snap.release_in_background()
    return snap
