"""Team runs in the job: ``USERS`` (or USRFCY, USRCPY, USRREPDEB/USRREPFIN) preview or
force through ``batch``, and the team shape of ``summary.json``.

A team job's ``summary.json`` keeps the single-user job's top-level keys that make
sense for a batch (``status``, ``commit``, ``operator``, ``now``, ``counts``,
``selected``, ``to_write``, ``written``, ``warnings``, ``criteria``, ``database``,
``log``, ``error``) with the totals, sets ``team`` to true and ``run_id`` to None,
and adds ``batch_id``, ``users`` (one entry per user, as in ``forcedsync preview`` /
``force -p USERS=... --json``), ``refused`` and ``failed`` (``[{user, reason}]``)
and ``total``. README, *Scheduled runs*, documents it. ``token`` is, as for one
user, the preview's token (a team preview's), which a commit job takes as ``expect``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from .. import batch, present, runlog
from ..clock import When
from ..criteria import Criteria
from ..errors import BatchPartError, CriteriaError
from ..states import JobStatus, PartStatus
from ..teamresults import BatchPreview, BatchResult, force_lines, preview_lines
from .common import PREVIEW_LOG_FILE

TeamResult = BatchPreview | BatchResult


def check_team_job(export: str | None) -> None:
    """Refuse the job options a team run does not have (nothing is written).

    A preview token is one it has: a team preview's (``summary.json``'s ``token``).

    Raises:
        CriteriaError: EXPORT with a team selector.
    """
    if export is not None:
        raise CriteriaError(
            "EXPORT",
            export,
            "EXPORT writes the records of one user's preview: a team run (USERS...) "
            "has no record export yet; leave EXPORT unset.",
        )


def run_team(
    engine: Engine,
    criteria: Criteria,
    out: Path | None,
    *,
    commit: bool,
    operator: str | None,
    now: When,
    expect: str | None = None,
) -> tuple[TeamResult, list[Path]]:
    """Preview or force a team run; with FLGTRCDET, write its logs into ``out``.

    A commit writes each forced user's run log (``run-<id>.log``); a preview writes
    ``preview.log`` (per-user counts, refusals, warnings). A commit with ``expect``
    (a team preview's token) writes nothing if the queue changed since.

    Raises:
        BatchPartError: a user's part failed (``result`` holds every user's state).
        TeamChangedError: (``expect``) the queue changed; nothing was written.
        ForcedSyncError: the criteria or the team were refused.
    """
    res: TeamResult
    if commit:
        res = batch.force_batch(
            engine, criteria, operator=operator, now=now, expect=expect
        )
    else:
        res = batch.preview_batch(engine, criteria, operator=operator, now=now)
    logs: list[Path] = []
    if criteria.flgtrcdet and out is not None:
        logs = write_logs(engine, res, out)
    return res, logs


def write_logs(engine: Engine, res: TeamResult, out: Path) -> list[Path]:
    """The team run's logs in ``out``: each forced run's log, or the preview log."""
    if isinstance(res, BatchPreview):
        path = out / PREVIEW_LOG_FILE
        text = ["Forced synchronization team preview (nothing committed)"]
        text += [f"Criteria: {res.criteria.summary()}", *preview_lines(res)]
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
        return [path]
    paths = []
    for part in res.parts:
        if part.run_id and not part.earlier:
            path = out / f"run-{part.run_id}.log"
            runlog.write_log(engine, part.run_id, path, details=True)
            paths.append(path)
    return paths


def _reasons(res: BatchResult, status: PartStatus) -> list[dict[str, Any]]:
    return [
        {"user": p.user, "reason": p.message} for p in res.parts if p.status == status
    ]


def team_summary(
    res: TeamResult, criteria: Criteria, *, commit: bool, logs: list[Path]
) -> dict[str, Any]:
    """The team shape of ``summary.json`` (the caller adds database, environment)."""
    data = res.to_json_dict()
    total = data["total"]
    preview = isinstance(res, BatchPreview)
    if isinstance(res, BatchPreview):
        refused = data["refused"]
        failed: list[dict[str, Any]] = []
        status = JobStatus.PREVIEW
    else:
        refused = _reasons(res, PartStatus.REFUSED)
        failed = _reasons(res, PartStatus.FAILED)
        status = JobStatus.DONE if res.complete else JobStatus.FAILED
    by_name = {p.name.removeprefix("run-").removesuffix(".log"): p.name for p in logs}
    for user in data["users"]:
        user["log"] = by_name.get(user.get("run_id") or "")
    warnings = [f"{u['user']}: {w}" for u in data["users"] for w in u["warnings"]]
    return {
        "status": status,
        "commit": commit,
        "team": True,
        "batch_id": data["batch_id"],
        "run_id": None,
        "operator": data["operator"],
        "now": data["now"],
        "counts": total["counts"],
        "selected": sum(sum(c.values()) for c in total["counts"].values()),
        "to_write": total["to_write"] if preview else total["written"],
        "written": 0 if preview else total["written"],
        "warnings": warnings,
        "users": data["users"],
        "refused": refused,
        "failed": failed,
        "total": total,
        "criteria": criteria.to_params(),
        "log": PREVIEW_LOG_FILE if preview and logs else None,
        "error": None,
    }


def team_failed(exc: BatchPartError, criteria: Criteria) -> dict[str, Any] | None:
    """The team fields of a failed job's summary: every user's state, the failure."""
    if not isinstance(exc.result, BatchResult):
        return None
    info = team_summary(exc.result, criteria, commit=True, logs=[])
    info.pop("error")
    info.pop("status")
    return info


def team_lines(result: TeamResult) -> list[str]:
    """A team job's result as text: the head line, the per-user tables, warnings."""
    if isinstance(result, BatchPreview):
        head = (
            f"Team preview only, nothing committed: {present.number(result.to_write)} "
            f"record(s) would be marked R for {len(result.users)} user(s)."
        )
        return [head, *preview_lines(result)]
    return force_lines(result)


def team_headline(summary: Mapping[str, Any]) -> str:
    """One line for a team job's ``summary.json`` (``forcedsync job`` prints it)."""
    n = present.number
    refused = [str(r["user"]) for r in summary.get("refused", [])]
    tail = f"; refused: {', '.join(refused)}" if refused else ""
    users = [u for u in summary.get("users", []) if u.get("status", "DONE") == "DONE"]
    if summary.get("commit"):
        return (
            f"Team run {summary['batch_id']}: {n(summary['written'])} record(s) "
            f"marked R for {len(users)} user(s){tail}."
        )
    return (
        f"Team preview only: {n(summary['to_write'])} record(s) would be marked R "
        f"for {len(users)} user(s){tail}."
    )
