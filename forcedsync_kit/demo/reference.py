"""Demo reference data: companies, sites, users, rights, parameters, reps and accounts.

``load_reference`` loads the small fixed tables (COMPANY, FACILITY, AUTILIS, AFCTFCT,
ADOVAL, SYNCPAR); ``load_people`` the sales reps, customers and leads of a scale and
returns the ``World`` the contacts and activities are generated against. Each table
draws from its own RNG stream, so the rows do not depend on the order of the calls.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .. import schema
from .base import (
    COMPANIES,
    COMPANY_CRM_FUNCTION,
    FIRM,
    NAMED_REP_SITES,
    PER_SCALE,
    REP01_SHARE,
    RIGHTS,
    SITES,
    TRADE,
    USERS,
    Array,
    World,
    join_text,
    make_codes,
    pick,
    random_names,
    random_reps,
    stream_rng,
)
from .loader import Loader

#: Login names of the demo's people (AUTILIS.LOGIN, SPEC §7); the others have none.
DEMO_LOGINS = {"ADMIN": "a.martin", "SALES1": "p.durand", "SALES2": "j.smith"}

logger = logging.getLogger(__name__)

_SYNC_PARAMETERS = ("CRMSYNC", "CRMSYNCCOR", "CRMSYNCTSK", "CRMSYNCCLL", "CRMSYNCBAP")


def load_reference(loader: Loader) -> None:
    """Load the fixed tables: the organisation first, then the parameters."""
    _load_organisation(loader)
    _load_parameters(loader)


def _load_organisation(loader: Loader) -> None:
    load = loader.load
    load(
        schema.company,
        {"cpy": [c for c, _ in COMPANIES], "cpynam": [n for _, n in COMPANIES]},
    )
    load(
        schema.facility,
        {
            "fcy": [s[0] for s in SITES],
            "fcynam": [s[1] for s in SITES],
            "legcpy": [COMPANIES[s[2]][0] for s in SITES],
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
    rights = [(p, f, a) for p, fa in RIGHTS.items() for f, a in fa.items()]
    load(
        schema.afctfct,
        {
            "prffct": [r[0] for r in rights],
            "fct": [r[1] for r in rights],
            "acs": np.array([r[2] for r in rights], dtype=np.int16),
        },
    )


def _load_parameters(loader: Loader) -> None:
    users = list(USERS.values())
    values = [(p, "GEN", "", "2") for p in _SYNC_PARAMETERS]
    values.append(("AUSCRMA", "GEN", "", "5"))
    values += [("AUSCRMA", "CPY", c, str(v)) for c, v in COMPANY_CRM_FUNCTION.items()]
    for u in users:
        if u.crm_function is not None:
            values.append(("AUSCRMA", "USR", u.code, str(u.crm_function)))
        if u.rep is not None:
            values.append(("AUSCRMF", "USR", u.code, u.rep))
    columns = ("param", "lev", "levkey", "valeur")
    loader.load(
        schema.adoval,
        dict(zip(columns, map(list, zip(*values, strict=True)), strict=True)),
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
    loader.load(
        schema.syncpar,
        {
            "sypusr": [u.code for u in synced],
            "otkusr": [f"{u.code.lower()}@forcedsync.example" for u in synced],
            **flags,
        },
    )


def load_people(loader: Loader, seed: int, scale: int) -> World:
    """Load the reps, customers and leads of ``scale``; return the generated world."""
    nrep = PER_SCALE["salesrep"] * scale
    reps, rep_site, rep_user, first, last = _load_reps(loader, seed, nrep)
    customers, rep0 = _load_customers(loader, seed, scale, reps)
    leads, lead_rep = _load_leads(loader, seed, scale, reps)
    return World(
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


def _load_reps(
    loader: Loader, seed: int, nrep: int
) -> tuple[Array, Array, Array, Array, Array]:
    rng = stream_rng(seed, "salesrep")
    reps = make_codes("REP", np.arange(1, nrep + 1), 2)
    first, last = random_names(rng, nrep)
    rep_site = np.concatenate([NAMED_REP_SITES, rng.integers(0, len(SITES), nrep - 5)])
    sites = np.array([s[0] for s in SITES], dtype=object)
    loader.load(
        schema.salesrep,
        {"repnum": reps, "repnam": join_text(first, " ", last), "fcy": sites[rep_site]},
    )
    rep_user = np.full(nrep, -1)
    for i, user in enumerate(USERS.values()):
        if user.rep is not None:
            rep_user[int(user.rep[3:]) - 1] = i
    return reps, rep_site, rep_user, first, last


def _load_customers(
    loader: Loader, seed: int, scale: int, reps: Array
) -> tuple[Array, Array]:
    nrep = len(reps)
    n = PER_SCALE["bpcustomer"] * scale
    rng = stream_rng(seed, "bpcustomer")
    customers = make_codes("C", np.arange(1, n + 1), 6)
    rep0 = random_reps(rng, n, nrep, 0.20)
    u = rng.random(n)
    # REP_1 is another rep than REP_0, and REP01 only with the probability below.
    second = 1 + (np.maximum(rep0 - 1, 0) + 1 + rng.integers(0, nrep - 2, n)) % (
        nrep - 1
    )
    rep1 = np.where((rep0 != 0) & (u < 0.07), 0, np.where(u < 0.45, second, -1))
    name = join_text(
        FIRM[rng.integers(0, len(FIRM), n)],
        " ",
        TRADE[rng.integers(0, len(TRADE), n)],
    )
    loader.load(
        schema.bpcustomer,
        {
            "bpcnum": customers,
            "bpcnam": name,
            "rep_0": reps[rep0],
            "rep_1": pick(reps, rep1),
            "bpcsta": np.where(rng.random(n) < 0.10, 1, 2).astype(np.int16),
        },
    )
    return customers, rep0


def _load_leads(
    loader: Loader, seed: int, scale: int, reps: Array
) -> tuple[Array, Array]:
    n = PER_SCALE["lead"] * scale
    rng = stream_rng(seed, "lead")
    leads = make_codes("L", np.arange(1, n + 1), 6)
    lead_rep = np.where(
        rng.random(n) < 0.05, -1, random_reps(rng, n, len(reps), REP01_SHARE)
    )
    name = join_text(
        FIRM[rng.integers(0, len(FIRM), n)],
        " Prospect ",
        make_codes("", rng.integers(1, 1000, n), 3),
    )
    loader.load(
        schema.lead,
        {
            "pstnum": leads,
            "pstnam": name,
            "pstrep": pick(reps, lead_rep),
            "pststa": rng.integers(1, 5, n).astype(np.int16),
        },
    )
    return leads, lead_rep
