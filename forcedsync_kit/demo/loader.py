"""Demo bulk loading: frames into the open transaction of a connection.

DuckDB scans a frame registered on the connection (``INSERT … SELECT``); PostgreSQL
receives ``COPY … FROM STDIN`` in text format.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import db

logger = logging.getLogger(__name__)


class Loader:
    """Bulk-loads frames into the open transaction of a connection, counting rows."""

    _VIEW = "fsdemo_frame"
    _COPY_BATCH = 50_000

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = db.capabilities(conn).name
        self.rows: Counter[str] = Counter()

    def load(self, table: sa.Table, columns: Mapping[str, Any]) -> None:
        frame = _frame(columns)
        if frame.empty:
            return
        cols = [str(c) for c in frame.columns]
        unknown = [c for c in cols if c not in table.c]
        if unknown:
            raise KeyError(f"table {table.name} has no column {unknown[0]!r}")
        raw: Any = self.conn.connection.driver_connection
        if self.dialect == "duckdb":
            # duckdb-engine's wrapper scans a frame registered on the same connection,
            # hence inside the transaction of the statements SQLAlchemy sends.
            raw.register(self._VIEW, frame)
            try:
                source = sa.select(*(sa.column(c) for c in cols))
                source = source.select_from(sa.table(self._VIEW))
                self.conn.execute(sa.insert(table).from_select(cols, source))
            finally:
                raw.unregister(self._VIEW)
        else:
            from psycopg import sql as pgsql  # local: the [postgres] extra

            stmt = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
                pgsql.Identifier(table.name),
                pgsql.SQL(", ").join(pgsql.Identifier(c) for c in cols),
            )
            # Text format is safe: no generated value holds a tab, newline or backslash.
            with raw.cursor() as cur, cur.copy(stmt) as copy:
                for start in range(0, len(frame), self._COPY_BATCH):
                    part = frame.iloc[start : start + self._COPY_BATCH]
                    text = part.to_csv(
                        sep="\t",
                        header=False,
                        index=False,
                        na_rep="\\N",
                        quoting=csv.QUOTE_NONE,
                        lineterminator="\n",
                    )
                    copy.write(text)
        self.rows[table.name] += len(frame)


def _frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """A frame of arrays and broadcast constants, keeping strings as Python objects.

    pandas would otherwise convert every string column to its Arrow-backed dtype, which
    costs more than the whole load; both loaders read object columns directly.
    """
    arrays = {k: v for k, v in columns.items() if not isinstance(v, str | int)}
    n = len(next(iter(arrays.values())))
    data = {}
    for name, value in columns.items():
        if isinstance(value, str):
            value = np.full(n, value, dtype=object)
        elif isinstance(value, int):
            value = np.full(n, value, dtype=np.int16)
        elif not isinstance(value, np.ndarray):
            is_text = isinstance(value[0], str)
            value = np.asarray(value, dtype=object if is_text else None)
        data[name] = pd.Series(value, dtype=object if value.dtype == object else None)
    return pd.DataFrame(data, copy=False)
