"""Demo data generators: the reference tables, reps, customers, leads and activities.

Each generator draws from the RNG it is given and returns (or, for the small tables and
the contacts' CORREP rows, loads) the columns of one table chunk; ``demo._generate``
orders the calls and spawns the streams. Contacts and activities come back with their
``_Records``, from which ``_demoqueue`` makes the SYNCDATA and SYNCLINK rows.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from . import schema
from ._demobase import (
    _CLOCK,
    _COMPANIES,
    _COMPANY_CRM_FUNCTION,
    _FIRM,
    _FR_SITES,
    _NAMED_REP_SITES,
    _REP01_SHARE,
    _RIGHTS,
    _SITES,
    _SUBJECTS,
    _TRADE,
    DEMO_CLOCK,
    PER_SCALE,
    USERS,
    Array,
    Columns,
    _codes,
    _contact_codes,
    _dates,
    _days,
    _hhmmss,
    _join,
    _names,
    _pick,
    _Records,
    _reps,
    _rng,
    _seconds,
    _World,
)
from ._demoload import _Loader

#: Login names of the demo's people (AUTILIS.LOGIN, SPEC §7); the others have none.
DEMO_LOGINS = {"ADMIN": "a.martin", "SALES1": "p.durand", "SALES2": "j.smith"}

logger = logging.getLogger(__name__)


# --- the reference tables, reps, customers and leads ---------------------------------


def _reference(loader: _Loader) -> None:
    load = loader.load
    load(
        schema.company,
        {"cpy": [c for c, _ in _COMPANIES], "cpynam": [n for _, n in _COMPANIES]},
    )
    load(
        schema.facility,
        {
            "fcy": [s[0] for s in _SITES],
            "fcynam": [s[1] for s in _SITES],
            "legcpy": [_COMPANIES[s[2]][0] for s in _SITES],
        },
    )
    users = list(USERS.values())
    load(
        schema.autilis,
        {
            "codusr": [u.code for u in users],
            "nomusr": [u.name for u in users],
            "login": [DEMO_LOGINS.get(u.code) for u in users],
            "enaflg": np.array([2 if u.active else 1 for u in users], dtype=np.int16),
            "prffct": [u.profile for u in users],
            "cpy": [u.company for u in users],
        },
    )
    rights = [(p, f, a) for p, fa in _RIGHTS.items() for f, a in fa.items()]
    load(
        schema.afctfct,
        {
            "prffct": [r[0] for r in rights],
            "fct": [r[1] for r in rights],
            "acs": np.array([r[2] for r in rights], dtype=np.int16),
        },
    )
    values = [
        (p, "GEN", "", "2")
        for p in ("CRMSYNC", "CRMSYNCCOR", "CRMSYNCTSK", "CRMSYNCCLL", "CRMSYNCBAP")
    ]
    values.append(("AUSCRMA", "GEN", "", "5"))
    values += [("AUSCRMA", "CPY", c, str(v)) for c, v in _COMPANY_CRM_FUNCTION.items()]
    for u in users:
        if u.crm_function is not None:
            values.append(("AUSCRMA", "USR", u.code, str(u.crm_function)))
        if u.rep is not None:
            values.append(("AUSCRMF", "USR", u.code, u.rep))
    load(
        schema.adoval,
        dict(
            zip(
                ("param", "lev", "levkey", "valeur"),
                map(list, zip(*values, strict=True)),
                strict=True,
            )
        ),
    )
    synced = [u for u in users if u.syncpar]
    flags: dict[str, Any] = {
        f"{obj}otk{act}": np.array(
            [1 if (obj == "cll" and u.code == "SALES2") else 2 for u in synced],
            dtype=np.int16,
        )
        for obj in schema.SYNC_OBJECTS
        for act in ("cre", "upd")
    }
    load(
        schema.syncpar,
        {
            "sypusr": [u.code for u in synced],
            "otkusr": [f"{u.code.lower()}@forcedsync.example" for u in synced],
            **flags,
        },
    )


def _people(loader: _Loader, seed: int, scale: int) -> _World:
    nrep = PER_SCALE["salesrep"] * scale
    rng = _rng(seed, "salesrep")
    reps = _codes("REP", np.arange(1, nrep + 1), 2)
    first, last = _names(rng, nrep)
    rep_site = np.concatenate(
        [_NAMED_REP_SITES, rng.integers(0, len(_SITES), nrep - 5)]
    )
    sites = np.array([s[0] for s in _SITES], dtype=object)
    loader.load(
        schema.salesrep,
        {"repnum": reps, "repnam": _join(first, " ", last), "fcy": sites[rep_site]},
    )
    rep_user = np.full(nrep, -1)
    for i, user in enumerate(USERS.values()):
        if user.rep is not None:
            rep_user[int(user.rep[3:]) - 1] = i

    n = PER_SCALE["bpcustomer"] * scale
    rng = _rng(seed, "bpcustomer")
    customers = _codes("C", np.arange(1, n + 1), 6)
    rep0 = _reps(rng, n, nrep, 0.20)
    u = rng.random(n)
    # REP_1 is another rep than REP_0, and REP01 only with the probability below.
    second = 1 + (np.maximum(rep0 - 1, 0) + 1 + rng.integers(0, nrep - 2, n)) % (
        nrep - 1
    )
    rep1 = np.where((rep0 != 0) & (u < 0.07), 0, np.where(u < 0.45, second, -1))
    name = _join(
        _FIRM[rng.integers(0, len(_FIRM), n)],
        " ",
        _TRADE[rng.integers(0, len(_TRADE), n)],
    )
    loader.load(
        schema.bpcustomer,
        {
            "bpcnum": customers,
            "bpcnam": name,
            "rep_0": reps[rep0],
            "rep_1": _pick(reps, rep1),
            "bpcsta": np.where(rng.random(n) < 0.10, 1, 2).astype(np.int16),
        },
    )

    n = PER_SCALE["lead"] * scale
    rng = _rng(seed, "lead")
    leads = _codes("L", np.arange(1, n + 1), 6)
    lead_rep = np.where(rng.random(n) < 0.05, -1, _reps(rng, n, nrep, _REP01_SHARE))
    name = _join(
        _FIRM[rng.integers(0, len(_FIRM), n)],
        " Prospect ",
        _codes("", rng.integers(1, 1000, n), 3),
    )
    loader.load(
        schema.lead,
        {
            "pstnum": leads,
            "pstnam": name,
            "pstrep": _pick(reps, lead_rep),
            "pststa": rng.integers(1, 5, n).astype(np.int16),
        },
    )
    return _World(
        seed,
        nrep,
        reps,
        rep_site,
        rep_user,
        first,
        last,
        customers,
        rep0,
        leads,
        lead_rep,
    )


# --- contacts and activities ---------------------------------------------------------

_SITE_CODES = np.array([s[0] for s in _SITES], dtype=object)
_TODAY = np.datetime64(DEMO_CLOCK.date(), "D")


def _sites(rng: np.random.Generator, w: _World, rep: Array) -> Array:
    """SALFCY: REP01 works mostly on FR10 sites, the others mostly on their own."""
    n = len(rep)
    anywhere = rng.integers(0, len(_SITES), n)
    home = np.where(rng.random(n) < 0.75, w.rep_site[rep], anywhere)
    france = np.where(rng.random(n) < 0.85, rng.integers(0, _FR_SITES, n), anywhere)
    return _SITE_CODES[np.where(rep == 0, france, home)]


def _some_contacts(rng: np.random.Generator, w: _World, n: int, filled: float) -> Array:
    return np.where(rng.random(n) < filled, rng.integers(0, w.contacts, n), -1)


def _subjects(rng: np.random.Generator, typ: str, n: int) -> Array:
    return np.array(_SUBJECTS[typ], dtype=object)[rng.integers(0, 6, n)]


def _record_upd(rng: np.random.Generator, when: Array) -> Array:
    """Last change: up to 20 days before the activity, never after the demo clock."""
    n = len(when)
    made = when.astype("M8[s]") - _seconds(rng, n, 0, 20 * 86400)
    latest = _CLOCK - _seconds(rng, n, 3600, 90 * 86400)
    out: Array = np.minimum(made, latest)
    return out


def _contacts(
    loader: _Loader, w: _World, rng: np.random.Generator, kind: str, first: int, n: int
) -> tuple[Columns, _Records]:
    """Outlook contacts numbered from ``first`` (their CORREP rows are loaded here)."""
    keys = _codes("OC", first + np.arange(n), 7)
    upd = _CLOCK - _seconds(rng, n, 3600, 3 * 365 * 86400)
    cols: Columns
    if kind == "rep_contacts":  # one CORTYP=2 contact per rep, in rep order
        rep = first - 1 - w.contacts + np.arange(n)
        fna, lna = w.rep_first[rep], w.rep_last[rep]
        domain: Array | str = "forcedsync.example"
        cols = {"cortyp": 2, "bprnum": "", "cpybpatyp": 0, "repnum": w.reps[rep]}
        cols["fnc"] = 0
        owner = w.rep_user[rep]
    else:
        fna, lna = _names(rng, n)
        partners, partner_reps, bpatyp = (
            (w.customers, w.customer_rep, 1)
            if kind == "customer_contacts"
            else (w.leads, w.lead_rep, 6)
        )
        partner = rng.integers(0, len(partners), n)
        bpr = partners[partner]
        domain = _join(pd.Series(bpr).str.lower().to_numpy(), ".example.com")
        cols = {"cortyp": 1, "bprnum": bpr, "cpybpatyp": bpatyp, "repnum": ""}
        cols["fnc"] = rng.integers(1, 13, n).astype(np.int16)
        in_charge = rng.random(n) < 0.30
        rep = _reps(rng, n, w.nrep, _REP01_SHARE)
        second = in_charge & (rng.random(n) < 0.15)
        rep2 = (rep + 1 + rng.integers(0, w.nrep - 1, n)) % w.nrep
        loader.load(
            schema.correp,
            {
                "coprep": np.concatenate(
                    [w.reps[rep[in_charge]], w.reps[rep2[second]]]
                ),
                "copnum": np.concatenate([keys[in_charge], keys[second]]),
            },
        )
        partner_rep = partner_reps[partner]
        by_partner = np.where(partner_rep >= 0, w.rep_user[partner_rep], -1)
        by_correp = np.where(in_charge, w.rep_user[rep], -1)
        owner = np.where(by_correp >= 0, by_correp, by_partner)
    lower = pd.Series(_join(fna, ".", lna)).str.lower().to_numpy(dtype=object)
    email = _join(lower, "@", domain)
    cols = {"cornum": keys, **cols, "cntlna": lna, "cntfna": fna, "cntema": email}
    cols["upddattim"] = upd
    fields = {"CNTEMA": email, "CNTLNA": lna, "CNTFNA": fna}
    return cols, _Records("COR", keys, owner, upd, fields)


def _tasks(
    w: _World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, _Records]:
    keys = _codes("T", start + 1 + np.arange(n), 8)
    rep = _reps(rng, n, w.nrep, _REP01_SHARE)
    begin = _dates(rng, n)
    due = begin + _days(rng, n, 0, 30)
    subject = _subjects(rng, "TSK", n)
    done = (due < _TODAY) & (rng.random(n) < 0.85)
    cols = {
        "tsknum": keys,
        "tskstr": begin,
        "tskdat": due,
        "tskrep": w.reps[rep],
        "tskcor": _contact_codes(_some_contacts(rng, w, n, 0.80)),
        "salfcy": _sites(rng, w, rep),
        "tskdon": np.where(done, 2, 1).astype(np.int16),
        "fulobj": subject,
        "upddattim": _record_upd(rng, begin),
    }
    fields = {"FULOBJ": subject, "TSKDAT": due, "TSKSTR": begin}
    return cols, _Records("TSK", keys, w.rep_user[rep], cols["upddattim"], fields)


def _calls(
    w: _World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, _Records]:
    keys = _codes("K", start + 1 + np.arange(n), 8)
    rep = _reps(rng, n, w.nrep, _REP01_SHARE)
    day = _dates(rng, n)
    subject = _subjects(rng, "CLL", n)
    cols = {
        "cllnum": keys,
        "clldat": day,
        "cllrep": w.reps[rep],
        "cllcor": _contact_codes(_some_contacts(rng, w, n, 0.85)),
        "salfcy": _sites(rng, w, rep),
        "fulobj": subject,
        "upddattim": _record_upd(rng, day),
    }
    fields = {"FULOBJ": subject, "CLLDAT": day}
    return cols, _Records("CLL", keys, w.rep_user[rep], cols["upddattim"], fields)


def _appointments(
    w: _World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, _Records]:
    keys = _codes("A", start + 1 + np.arange(n), 8)
    org = _reps(rng, n, w.nrep, 0.18)
    # REP01 intervenes in some appointments it does not organise (a quarter in all).
    with01 = (org != 0) & (rng.random(n) < 0.09)
    others = rng.choice(5, n, p=(0.30, 0.30, 0.20, 0.12, 0.08))
    # Other intervening reps: distinct, never REP01 nor the organizer, as the offsets
    # 1..8 from the organizer stay below nrep - 1 (nrep >= 10).
    base = np.where(org > 0, org - 1, rng.integers(0, w.nrep - 1, n))
    steps = rng.integers(1, 3, (n, 4)).cumsum(axis=1)
    pool = 1 + (base[:, None] + steps) % (w.nrep - 1)
    slots = np.full((n, schema.APT_ARRAY), -1)
    slots[:, 0] = np.where(with01, 0, -1)
    rows, first_free = np.arange(n), with01.astype(np.int64)
    for j in range(4):
        take = j < others
        slots[rows[take], j + first_free[take]] = pool[take, j]
    # Queued for the organizer's user, else for ADMIN when REP01 intervenes (the other
    # intervening reps are drawn among all reps: using them would tie shares to scale).
    owner = np.where(w.rep_user[org] >= 0, w.rep_user[org], np.where(with01, 0, -1))
    met = rng.choice(6, n, p=(0.10, 0.35, 0.25, 0.15, 0.10, 0.05))
    first_met, stride = rng.integers(0, w.contacts, n), rng.integers(1, 50, n)
    day = _dates(rng, n)
    end = day + rng.choice(3, n, p=(0.80, 0.15, 0.05)).astype("m8[D]")
    hour = _hhmmss((8 + rng.integers(0, 11, n)) * 3600 + rng.integers(0, 4, n) * 900)
    subject = _subjects(rng, "BAP", n)
    cols: Columns = {
        "aptnum": keys,
        "aptdat": day,
        "aptdatend": end,
        "apthou": hour,
        "atprepmna": w.reps[org],
    }
    for j in range(schema.APT_ARRAY):
        cols[f"aptrepnum_{j}"] = _pick(w.reps, slots[:, j])
    for j in range(schema.APT_ARRAY):
        contact = np.where(j < met, (first_met + j * stride) % w.contacts, -1)
        cols[f"aptcor_{j}"] = _contact_codes(contact)
    cols["salfcy"] = _sites(rng, w, org)
    cols["fulobj"] = subject
    cols["upddattim"] = _record_upd(rng, day)
    fields = {"FULOBJ": subject, "APTDAT": day, "APTHOU": hour}
    return cols, _Records("BAP", keys, owner, cols["upddattim"], fields)
