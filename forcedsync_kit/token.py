"""Preview tokens: what a preview showed, so that a force can refuse a changed queue.

A token is ``<payload>.<check>``: the payload is base64url JSON of the user, a digest
of the criteria and the counts per object type and outcome; the check is a SHA-256
prefix of the payload that catches a token cut or edited by hand (it is not a secret
signature: the token grants nothing, it only pins what the operator saw).

The force calls ``check_staged`` under its write lock, after staging its selection:
when the staged counts differ from the token's, it raises ``PreviewChangedError``
naming every type x outcome difference, and the force's transaction rolls back.

``pack``/``unpack`` are shared with a team run's token (``teamtoken``), whose payload
has ``kind`` "team": each kind of token is refused where the other is expected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import tables
from .criteria import OBJECT_TYPES, OUTCOMES, Criteria
from .errors import CriteriaError, PreviewChangedError
from .results import Counts, PreviewResult

#: Version of the token layout.
VERSION = 1
_CHECK = 12


@dataclass(frozen=True, slots=True)
class PreviewToken:
    """A decoded token: for whom, which criteria, and the counts the preview showed."""

    user: str
    criteria_digest: str
    counts: dict[str, dict[str, int]]


def criteria_digest(criteria: Criteria) -> str:
    """A short SHA-256 digest of the criteria's canonical JSON."""
    return hashlib.sha256(criteria.to_json().encode()).hexdigest()[:16]


def full_counts(counts: Counts) -> dict[str, dict[str, int]]:
    """``counts`` with every type and outcome (absent ones 0)."""
    return {
        str(t): {str(o): int(counts.get(str(t), {}).get(str(o), 0)) for o in OUTCOMES}
        for t in OBJECT_TYPES
    }


def _check(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:_CHECK]


def encode(criteria: Criteria, user: str, counts: Counts) -> str:
    """The token of a preview of ``criteria`` for ``user`` that showed ``counts``."""
    data = {
        "v": VERSION,
        "user": user,
        "criteria": criteria_digest(criteria),
        "counts": nonzero(counts),
    }
    return pack(data)


def nonzero(counts: Counts) -> dict[str, dict[str, int]]:
    """The counts a token carries: every type, only the outcomes that are not 0."""
    return {
        t: {o: n for o, n in c.items() if n} for t, c in full_counts(counts).items()
    }


def for_preview(result: PreviewResult) -> str:
    """The token of a ``PreviewResult`` (``preview`` or ``Snapshot.result``)."""
    return encode(result.criteria, result.context.user, result.counts)


def bad_token(token: object, why: str) -> CriteriaError:
    """The refusal of a token (field ``expect``): what is wrong, then the remedy."""
    cut = repr(token) if len(repr(token)) <= 60 else repr(token)[:60] + "…"
    return CriteriaError(
        "expect",
        token,
        f"The preview token {cut} {why}: preview again and use its token.",
    )


def pack(data: Mapping[str, object]) -> str:
    """``<payload>.<check>`` of ``data`` (JSON with sorted keys, base64url)."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{_check(payload)}"


#: The kinds of token: one user's preview, a team run's (``teamtoken``).
KIND_USER, KIND_TEAM = "user", "team"
_WRONG_KIND = {
    KIND_USER: "given as expect is a team run's token (USERS...), not one user's",
    KIND_TEAM: "given as expect is one user's token (USER), not a team run's",
}


def unpack(token: object, kind: str = KIND_USER) -> dict[str, Any]:
    """The data of a token made by ``pack``, checked and of the ``kind`` wanted.

    Raises:
        CriteriaError: the token is not text, is malformed, cut, edited, of another
            version or of the other kind (a team token for one user, or the reverse).
    """
    if not isinstance(token, str) or token.count(".") != 1:
        raise bad_token(token, "is not a preview token")
    payload, check = token.strip().split(".")
    if _check(payload) != check:
        raise bad_token(token, "is damaged (its check does not match)")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
        version = data["v"]
        found = data.get("kind", KIND_USER)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise bad_token(token, "is not a preview token") from None
    if version != VERSION:
        raise bad_token(token, f"has version {version!r}, not {VERSION}")
    if found != kind:
        raise bad_token(token, _WRONG_KIND.get(kind, "is not a preview token"))
    return dict(data)


def decode(token: str) -> PreviewToken:
    """Read a token made by ``encode``.

    Raises:
        CriteriaError: the token is not text, is malformed, cut or edited, or is a
            team run's token.
    """
    data = unpack(token, KIND_USER)
    try:
        counts = full_counts(data["counts"])
        return PreviewToken(str(data["user"]), str(data["criteria"]), counts)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad_token(token, "is not a preview token") from None


def differences(
    before: Counts, after: Counts
) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(type, outcome): (before, after)}`` for every count that differs."""
    b, a = full_counts(before), full_counts(after)
    return {(t, o): (b[t][o], a[t][o]) for t in b for o in b[t] if b[t][o] != a[t][o]}


def shown(diff: Mapping[tuple[str, str], tuple[int, int]]) -> str:
    """``TSK insert 3 -> 2, ...``: the differences as a message shows them."""
    return ", ".join(f"{t} {o} {b} -> {a}" for (t, o), (b, a) in diff.items())


def check_counts(
    expected: str | PreviewToken, *, criteria: Criteria, user: str, counts: Counts
) -> None:
    """Refuse when ``counts`` (now) differ from the token's (previewed).

    Raises:
        CriteriaError: the token is malformed or was made for other criteria or user.
        PreviewChangedError: the counts differ; ``differences`` lists them.
    """
    tok = decode(expected) if isinstance(expected, str) else expected
    if tok.user != user:
        raise CriteriaError(
            "expect",
            tok.user,
            f"The preview token is for USER={tok.user!r}, not {user!r}: preview again.",
        )
    if tok.criteria_digest != criteria_digest(criteria):
        raise CriteriaError(
            "expect",
            tok.criteria_digest,
            "The preview token was made for other criteria: preview these criteria "
            "again and use its token.",
        )
    diff = differences(tok.counts, counts)
    if diff:
        raise PreviewChangedError(
            f"The queue changed since the preview ({shown(diff)}); nothing was "
            f"written: preview again before forcing.",
            diff,
        )


def staged_counts(conn: Connection, run_id: str) -> dict[str, dict[str, int]]:
    """Counts per type and outcome of a run's staged FSYLOG rows."""
    lg = tables.of(conn).fsylog
    rows = conn.execute(
        sa.select(lg.c.sydtyp, lg.c.outcome, sa.func.count())
        .where(lg.c.runid == run_id)
        .group_by(lg.c.sydtyp, lg.c.outcome)
    )
    out = full_counts({})
    for typ, outcome, n in rows:
        out[str(typ)][str(outcome)] = int(n)
    return out


def check_staged(
    conn: Connection,
    expected: str | PreviewToken,
    *,
    run_id: str,
    criteria: Criteria,
    user: str,
) -> Mapping[str, Mapping[str, int]]:
    """Compare a run's staged selection with the preview token, in its transaction.

    Call it under the force's write lock, after staging and before any write to
    SYNCDATA: raising then rolls the whole run back.

    Returns:
        The staged counts (equal to the token's).

    Raises:
        CriteriaError: the token is malformed or for other criteria or user.
        PreviewChangedError: the staged counts differ from the previewed ones.
    """
    counts = staged_counts(conn, run_id)
    check_counts(expected, criteria=criteria, user=user, counts=counts)
    return counts
