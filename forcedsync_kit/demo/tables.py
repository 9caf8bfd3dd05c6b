"""Demo data generators: the contacts and the activities (tasks, calls, appointments).

Each generator draws from the RNG it is given and returns (or, for the contacts' CORREP
rows, loads) the columns of one table chunk; ``builder`` orders the calls and
spawns the streams (``reference`` loads the fixed tables, reps and accounts). Contacts
and activities come back with their ``Records``, from which ``syncqueue`` makes the
SYNCDATA and SYNCLINK rows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .. import schema
from .base import (
    CLOCK,
    DEMO_CLOCK,
    FR_SITES,
    REP01_SHARE,
    SITES,
    SUBJECTS,
    Array,
    Columns,
    Records,
    World,
    contact_codes,
    hhmmss,
    join_text,
    make_codes,
    pick,
    random_dates,
    random_days,
    random_names,
    random_reps,
    random_seconds,
)
from .loader import Loader

logger = logging.getLogger(__name__)


# --- contacts and activities ---------------------------------------------------------

_SITE_CODES = np.array([s[0] for s in SITES], dtype=object)
_TODAY = np.datetime64(DEMO_CLOCK.date(), "D")


def _sites(rng: np.random.Generator, w: World, rep: Array) -> Array:
    """SALFCY: REP01 works mostly on FR10 sites, the others mostly on their own."""
    n = len(rep)
    anywhere = rng.integers(0, len(SITES), n)
    home = np.where(rng.random(n) < 0.75, w.rep_site[rep], anywhere)
    france = np.where(rng.random(n) < 0.85, rng.integers(0, FR_SITES, n), anywhere)
    return _SITE_CODES[np.where(rep == 0, france, home)]


def _some_contacts(rng: np.random.Generator, w: World, n: int, filled: float) -> Array:
    return np.where(rng.random(n) < filled, rng.integers(0, w.contacts, n), -1)


def _subjects(rng: np.random.Generator, typ: str, n: int) -> Array:
    return np.array(SUBJECTS[typ], dtype=object)[rng.integers(0, 6, n)]


def _record_upd(rng: np.random.Generator, when: Array) -> Array:
    """Last change: up to 20 days before the activity, never after the demo clock."""
    n = len(when)
    made = when.astype("M8[s]") - random_seconds(rng, n, 0, 20 * 86400)
    latest = CLOCK - random_seconds(rng, n, 3600, 90 * 86400)
    out: Array = np.minimum(made, latest)
    return out


def _rep_dated(
    w: World, rng: np.random.Generator, letter: str, start: int, n: int
) -> tuple[Array, Array, Array]:
    """Keys (``letter``, 8 digits after ``start``), reps and dates of tasks or calls."""
    keys = make_codes(letter, start + 1 + np.arange(n), 8)
    rep = random_reps(rng, n, w.nrep, REP01_SHARE)
    return keys, rep, random_dates(rng, n)


def _rep_activity(
    rng: np.random.Generator,
    w: World,
    prefix: str,
    rep: Array,
    with_contact: float,
    subject: Array,
    when: Array,
) -> Columns:
    """The columns tasks and calls share (``prefix``: ``tsk`` or ``cll``).

    The rep, a contact for the share ``with_contact`` of them, the site, the subject
    and the last change.
    """
    return {
        prefix + "rep": w.reps[rep],
        prefix + "cor": contact_codes(_some_contacts(rng, w, len(rep), with_contact)),
        "salfcy": _sites(rng, w, rep),
        "fulobj": subject,
        "upddattim": _record_upd(rng, when),
    }


def make_contacts(
    loader: Loader, w: World, rng: np.random.Generator, kind: str, first: int, n: int
) -> tuple[Columns, Records]:
    """Outlook contacts numbered from ``first`` (their CORREP rows are loaded here)."""
    keys = make_codes("OC", first + np.arange(n), 7)
    upd = CLOCK - random_seconds(rng, n, 3600, 3 * 365 * 86400)
    cols: Columns
    if kind == "rep_contacts":  # one CORTYP=2 contact per rep, in rep order
        rep = first - 1 - w.contacts + np.arange(n)
        fna, lna = w.rep_first[rep], w.rep_last[rep]
        domain: Array | str = "forcedsync.example"
        cols = {"cortyp": 2, "bprnum": "", "cpybpatyp": 0, "repnum": w.reps[rep]}
        cols["fnc"] = 0
        owner = w.rep_user[rep]
    else:
        fna, lna = random_names(rng, n)
        partners, partner_reps, bpatyp = (
            (w.customers, w.customer_rep, 1)
            if kind == "customer_contacts"
            else (w.leads, w.lead_rep, 6)
        )
        partner = rng.integers(0, len(partners), n)
        bpr = partners[partner]
        domain = join_text(pd.Series(bpr).str.lower().to_numpy(), ".example.com")
        cols = {"cortyp": 1, "bprnum": bpr, "cpybpatyp": bpatyp, "repnum": ""}
        cols["fnc"] = rng.integers(1, 13, n).astype(np.int16)
        in_charge = rng.random(n) < 0.30
        rep = random_reps(rng, n, w.nrep, REP01_SHARE)
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
    lower = pd.Series(join_text(fna, ".", lna)).str.lower().to_numpy(dtype=object)
    email = join_text(lower, "@", domain)
    cols = {"cornum": keys, **cols, "cntlna": lna, "cntfna": fna, "cntema": email}
    cols["upddattim"] = upd
    fields = {"CNTEMA": email, "CNTLNA": lna, "CNTFNA": fna}
    return cols, Records("COR", keys, owner, upd, fields)


def make_tasks(
    w: World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, Records]:
    keys, rep, begin = _rep_dated(w, rng, "T", start, n)
    due = begin + random_days(rng, n, 0, 30)
    subject = _subjects(rng, "TSK", n)
    done = (due < _TODAY) & (rng.random(n) < 0.85)
    cols = {
        "tsknum": keys,
        "tskstr": begin,
        "tskdat": due,
        "tskdon": np.where(done, 2, 1).astype(np.int16),
        **_rep_activity(rng, w, "tsk", rep, 0.80, subject, begin),
    }
    fields = {"FULOBJ": subject, "TSKDAT": due, "TSKSTR": begin}
    return cols, Records("TSK", keys, w.rep_user[rep], cols["upddattim"], fields)


def make_calls(
    w: World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, Records]:
    keys, rep, day = _rep_dated(w, rng, "K", start, n)
    subject = _subjects(rng, "CLL", n)
    cols = {
        "cllnum": keys,
        "clldat": day,
        **_rep_activity(rng, w, "cll", rep, 0.85, subject, day),
    }
    fields = {"FULOBJ": subject, "CLLDAT": day}
    return cols, Records("CLL", keys, w.rep_user[rep], cols["upddattim"], fields)


def make_appointments(
    w: World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, Records]:
    keys = make_codes("A", start + 1 + np.arange(n), 8)
    org = random_reps(rng, n, w.nrep, 0.18)
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
    day = random_dates(rng, n)
    end = day + rng.choice(3, n, p=(0.80, 0.15, 0.05)).astype("m8[D]")
    hour = hhmmss((8 + rng.integers(0, 11, n)) * 3600 + rng.integers(0, 4, n) * 900)
    subject = _subjects(rng, "BAP", n)
    cols: Columns = {
        "aptnum": keys,
        "aptdat": day,
        "aptdatend": end,
        "apthou": hour,
        "atprepmna": w.reps[org],
    }
    for j in range(schema.APT_ARRAY):
        cols[f"aptrepnum_{j}"] = pick(w.reps, slots[:, j])
    for j in range(schema.APT_ARRAY):
        contact = np.where(j < met, (first_met + j * stride) % w.contacts, -1)
        cols[f"aptcor_{j}"] = contact_codes(contact)
    cols["salfcy"] = _sites(rng, w, org)
    cols["fulobj"] = subject
    cols["upddattim"] = _record_upd(rng, day)
    fields = {"FULOBJ": subject, "APTDAT": day, "APTHOU": hour}
    return cols, Records("BAP", keys, owner, cols["upddattim"], fields)
