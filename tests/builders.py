"""Tiny explicit data builders for tests: named rows, inserted with SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from forcedsync_kit import schema as s
from forcedsync_kit.marking import forcing

NOW = dt.datetime(2026, 11, 29, 12, 0, 0)
T0 = dt.datetime(2026, 11, 1, 9, 0, 0)  # default UPDDATTIM of records


class World:
    """A small X3 folder: call the ``add_*`` methods, then ``commit()`` once."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.rows: dict[sa.Table, list[dict[str, Any]]] = {}
        self._sydnum = 0
        self._sylnum = 0

    def _add(self, table: sa.Table, **values: Any) -> dict[str, Any]:
        self.rows.setdefault(table, []).append(values)
        return values

    # -- reference data ----------------------------------------------------------
    def base(self) -> World:
        """Folder parameters, companies FR10/US20, sites, operator ADMIN (rep R1)."""
        self.param("CRMSYNC", "2")
        for obj in ("COR", "TSK", "CLL", "BAP"):
            self.param(f"CRMSYNC{obj}", "2")
        self.param("AUSCRMA", "5")
        self._add(s.company, cpy="FR10", cpynam="France")
        self._add(s.company, cpy="US20", cpynam="USA")
        self._add(s.facility, fcy="FR1", fcynam="Paris", legcpy="FR10")
        self._add(s.facility, fcy="FR2", fcynam="Lyon", legcpy="FR10")
        self._add(s.facility, fcy="US1", fcynam="Boston", legcpy="US20")
        self._add(s.afctfct, prffct="ADMIN", fct="FUNSYD6", acs=2)
        self._add(s.afctfct, prffct="SALES", fct="FUNSYD6", acs=1)
        for rep in ("R1", "R2", "R3"):
            self._add(s.salesrep, repnum=rep, repnam=f"Rep {rep}", fcy="FR1")
        self.user("ADMIN", rep="R1", function=3)
        return self

    def param(self, name: str, value: str, lev: str = "GEN", key: str = "") -> None:
        self._add(s.adoval, param=name, lev=lev, levkey=key, valeur=value)

    def user(
        self,
        code: str,
        *,
        rep: str | None = None,
        function: int | None = 1,
        profile: str = "ADMIN",
        active: bool = True,
        company: str = "FR10",
        syncpar: bool = True,
        flags: dict[str, int] | None = None,
    ) -> None:
        self._add(
            s.autilis,
            codusr=code,
            nomusr=f"User {code}",
            enaflg=2 if active else 1,
            prffct=profile,
            cpy=company,
        )
        if rep:
            self.param("AUSCRMF", rep, "USR", code)
        if function is not None:
            self.param("AUSCRMA", str(function), "USR", code)
        if syncpar:
            values = {f"{o}otk{a}": 2 for o in s.SYNC_OBJECTS for a in ("cre", "upd")}
            values.update(flags or {})
            self._add(s.syncpar, sypusr=code, otkusr=code.lower(), **values)

    # -- records -----------------------------------------------------------------
    def customer(
        self,
        num: str,
        rep0: str | None = None,
        rep1: str | None = None,
        active: bool = True,
    ) -> None:
        self._add(
            s.bpcustomer,
            bpcnum=num,
            bpcnam=f"Customer {num}",
            rep_0=rep0,
            rep_1=rep1,
            bpcsta=2 if active else 1,
        )

    def lead(self, num: str, rep: str | None) -> None:
        self._add(s.lead, pstnum=num, pstnam=f"Lead {num}", pstrep=rep, pststa=1)

    def contact(
        self,
        num: str,
        *,
        cortyp: int = 1,
        bpr: str | None = None,
        bpatyp: int | None = 1,
        rep: str | None = None,
        fnc: int | None = 1,
        upd: dt.datetime = T0,
        reps_in_charge: tuple[str, ...] = (),
    ) -> None:
        self._add(
            s.correspond,
            cornum=num,
            cortyp=cortyp,
            bprnum=bpr,
            cpybpatyp=bpatyp,
            repnum=rep,
            fnc=fnc,
            cntlna=f"Last{num}",
            cntfna="First",
            cntema=f"{num.lower()}@example.com",
            upddattim=upd,
        )
        for r in reps_in_charge:
            self._add(s.correp, coprep=r, copnum=num)

    def task(
        self,
        num: str,
        *,
        rep: str = "R1",
        start: dt.date = dt.date(2026, 6, 1),
        due: dt.date | None = None,
        site: str = "FR1",
        cor: str | None = None,
        upd: dt.datetime = T0,
    ) -> None:
        self._add(
            s.btask,
            tsknum=num,
            tskstr=start,
            tskdat=due or start,
            tskrep=rep,
            tskcor=cor,
            salfcy=site,
            tskdon=1,
            fulobj=f"Task {num}",
            upddattim=upd,
        )

    def call(
        self,
        num: str,
        *,
        rep: str = "R1",
        date: dt.date = dt.date(2026, 6, 1),
        site: str = "FR1",
        cor: str | None = None,
        upd: dt.datetime = T0,
    ) -> None:
        self._add(
            s.bcall,
            cllnum=num,
            clldat=date,
            cllrep=rep,
            cllcor=cor,
            salfcy=site,
            fulobj=f"Call {num}",
            upddattim=upd,
        )

    def appointment(
        self,
        num: str,
        *,
        organizer: str = "R1",
        reps: tuple[str, ...] = (),
        cors: tuple[str, ...] = (),
        date: dt.date = dt.date(2026, 6, 1),
        site: str = "FR1",
        upd: dt.datetime = T0,
    ) -> None:
        values: dict[str, Any] = {f"aptrepnum_{i}": None for i in range(s.APT_ARRAY)}
        values.update({f"aptcor_{i}": None for i in range(s.APT_ARRAY)})
        for i, r in enumerate(reps):
            values[f"aptrepnum_{i}"] = r
        for i, c in enumerate(cors):
            values[f"aptcor_{i}"] = c
        self._add(
            s.bappoint,
            aptnum=num,
            aptdat=date,
            aptdatend=date,
            apthou="100000",
            atprepmna=organizer,
            salfcy=site,
            fulobj=f"Meeting {num}",
            upddattim=upd,
            **values,
        )

    def queue(
        self,
        typ: str,
        key: str,
        action: str,
        *,
        user: str = "ADMIN",
        when: dt.datetime = dt.datetime(2026, 11, 28, 8, 0, 0),
    ) -> int:
        self._sydnum += 1
        self._add(
            s.syncdata,
            sydnum=self._sydnum,
            sydusr=user,
            sydtyp=typ,
            sydkey=key,
            sydatttyp=action,
            syddat=when.date(),
            sydhou=when.strftime("%H%M%S"),
            sydgen="0",
            sydupd="0",
            sydotksta="0",
            creusr="X3",
            credattim=when,
            updusr="X3",
            upddattim=when,
        )
        return self._sydnum

    def anomaly(
        self,
        typ: str,
        key: str,
        field: str,
        x3: str,
        otk: str,
        *,
        user: str = "ADMIN",
        todo: bool = True,
    ) -> None:
        self._sylnum += 1
        self._add(
            s.synclink,
            sylnum=self._sylnum,
            sylusr=user,
            syltyp=typ,
            sylkey=key,
            sylfie=field,
            sylvaladx=x3,
            sylvalotk=otk,
            sylflgdpt=2 if todo else 1,
        )

    def commit(self) -> World:
        with self.engine.begin() as conn:
            for table in s.metadata.sorted_tables:
                rows = self.rows.get(table)
                if rows:
                    keys = sorted({k for r in rows for k in r})
                    conn.execute(
                        sa.insert(table), [{k: r.get(k) for k in keys} for r in rows]
                    )
        self.rows = {}
        return self


def syncdata_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """Every SYNCDATA row, all columns, ordered by SYDNUM (for exact comparisons)."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.select(s.syncdata).order_by(s.syncdata.c.sydnum))
        ]


def pending(engine: sa.Engine, user: str = "ADMIN") -> dict[tuple[str, str], list[str]]:
    """(type, key) -> list of actions pending for a user."""
    q = s.syncdata
    out: dict[tuple[str, str], list[str]] = {}
    with engine.connect() as conn:
        for t, k, a in conn.execute(
            sa.select(q.c.sydtyp, q.c.sydkey, q.c.sydatttyp)
            .where(q.c.sydusr == user)
            .order_by(q.c.sydnum)
        ):
            out.setdefault((t, k), []).append(a)
    return out


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
        )


@contextlib.contextmanager
def part_failing(user: str, message: str = "disk full") -> Iterator[None]:
    """Inside: the force of ``user`` fails after its R rows are inserted."""
    real = forcing.insert_forced

    def broken(conn: Any, run_id: str, ctx: Any, now: Any) -> None:
        real(conn, run_id, ctx, now)
        if ctx.user == user:
            raise RuntimeError(message)

    forcing.insert_forced = broken  # type: ignore[assignment]
    try:
        yield
    finally:
        forcing.insert_forced = real  # type: ignore[assignment]
