"""A team run's preview token: what the team preview showed, user by user.

A team token is ``<payload>.<check>`` like one user's (``token.pack``); its payload
has kind "team", a digest of the team's criteria, the users of the preview in order
and each user's counts per object type and outcome. ``batch.force_batch(expect=...)``
checks it twice: before anything is written, every user's counts now against it
(``teamcheck.precheck`` calls ``check``, which raises ``TeamChangedError``); then
each part, under its own write lock, its staged selection against that user's
counts (``part_token`` makes the single-user token ``token.check_staged`` takes).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from . import token
from .criteria import Criteria
from .errors import CriteriaError, TeamChangedError
from .results import Counts

#: A user's differences: ``{(type, outcome): (previewed, now)}``.
Diff = dict[tuple[str, str], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class TeamToken:
    """A decoded team token: the criteria digest, the users, each one's counts."""

    criteria_digest: str
    users: tuple[str, ...]
    counts: dict[str, dict[str, dict[str, int]]]


def encode(criteria: Criteria, counts: Mapping[str, Counts]) -> str:
    """The token of a team preview of ``criteria`` that showed ``counts`` per user."""
    data = {
        "v": token.VERSION,
        "kind": token.KIND_TEAM,
        "criteria": token.criteria_digest(criteria),
        "users": list(counts),
        "counts": {user: token.nonzero(c) for user, c in counts.items()},
    }
    return token.pack(data)


def decode(text: str) -> TeamToken:
    """Read a token made by ``encode``.

    Raises:
        CriteriaError: (field ``expect``) the token is malformed, cut, edited, or is
            one user's token.
    """
    data = token.unpack(text, token.KIND_TEAM)
    try:
        users = tuple(str(u) for u in data["users"])
        counts = {u: token.full_counts(data["counts"].get(u, {})) for u in users}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise token.bad_token(text, "is not a preview token") from None
    return TeamToken(str(data["criteria"]), users, counts)


def changed_message(users: Mapping[str, Diff], joined: Collection[str],
                    left: Collection[str]) -> str:  # fmt: skip
    """The one sentence of a ``TeamChangedError``: per user, what changed."""
    parts = []
    for user in [*users, *(u for u in [*joined, *left] if u not in users)]:
        what = "joined the team" if user in joined else "left the team"
        head = f"{user} {what}" if user in joined or user in left else user
        diff = users.get(user)
        parts.append(f"{head}: {token.shown(diff)}" if diff else head)
    return (
        f"The queue changed since the preview ({'; '.join(parts)}); nothing was "
        f"written: preview the team again before forcing."
    )


def check(
    expected: str | TeamToken,
    *,
    criteria: Criteria,
    now: Mapping[str, Counts],
    done: Collection[str] = (),
) -> TeamToken:
    """Refuse when any user's counts ``now`` differ from the token's (previewed).

    Args:
        expected: the team token (text or decoded).
        criteria: the team run's criteria.
        now: each user's counts now, for the users the team run would force.
        done: users whose part is already done (a resumed team run): not compared.

    Returns:
        The decoded token.

    Raises:
        CriteriaError: the token is malformed, one user's, or for other criteria.
        TeamChangedError: a user's counts differ, or a user joined or left the team.
    """
    tok = decode(expected) if isinstance(expected, str) else expected
    if tok.criteria_digest != token.criteria_digest(criteria):
        raise CriteriaError(
            "expect",
            tok.criteria_digest,
            "The preview token was made for other criteria: preview this team again "
            "and use its token.",
        )
    joined = tuple(u for u in now if u not in tok.counts and u not in done)
    left = tuple(u for u in tok.users if u not in now and u not in done)
    users: dict[str, Diff] = {}
    for user in [*tok.users, *joined]:
        diff = token.differences(tok.counts.get(user, {}), now.get(user, {}))
        if diff and user not in done:
            users[user] = diff
    if users or joined or left:
        raise TeamChangedError(
            changed_message(users, joined, left), users, joined, left
        )
    return tok


def part_token(tok: TeamToken, criteria: Criteria, user: str) -> token.PreviewToken:
    """The single-user token a user's part checks under its lock (``criteria`` is
    that user's, ``Criteria.for_user``); a user the preview did not show expects
    nothing selected."""
    counts = tok.counts.get(user, token.full_counts({}))
    return token.PreviewToken(user, token.criteria_digest(criteria), counts)
