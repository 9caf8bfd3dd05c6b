"""``run_job``: preview or force in the job notebook, then write its output files."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from .. import db, marking, present, runlog
from .. import token as preview_token
from ..clock import When
from ..criteria import Criteria
from ..errors import BatchPartError, CriteriaError, ForcedSyncError
from ..export import write_export
from ..fields import parse_bool
from ..results import ForceResult, PreviewResult, RecordRow
from ..snapshot import open_snapshot
from ..states import JobStatus
from ..teamresults import BatchPreview, BatchResult
from .common import (
    PREVIEW_LOG_FILE,
    PREVIEW_LOG_LIMIT,
    SHOWN_RECORDS,
    SUMMARY_FILE,
    text_or_none,
)
from .result import JobResult
from .team import TeamResult, check_team_job, run_team, team_failed, team_summary


def summary(
    res: PreviewResult | ForceResult, *, commit: bool, url: str, log: str | None
) -> dict[str, Any]:
    """The content of ``summary.json`` for a preview or a committed run."""
    ctx = res.context
    out: dict[str, Any] = {
        "status": JobStatus.DONE if commit else JobStatus.PREVIEW,
        "commit": commit,
        "run_id": res.run_id if isinstance(res, ForceResult) else None,
        "operator": ctx.operator,
        "user": ctx.user,
        "company": ctx.company,
        "rep": ctx.rep,
        "now": res.now.isoformat(),
        "counts": {k: dict(v) for k, v in res.counts.items()},
        "selected": sum(sum(c.values()) for c in res.counts.values()),
        "to_write": res.written if isinstance(res, ForceResult) else res.to_write,
        "written": res.written if isinstance(res, ForceResult) else 0,
        "warnings": list(res.warnings),
        "skipped_types": list(res.skipped_types),
        "criteria": res.criteria.to_params(),
        "database": url,
        "log": log,
        "error": None,
    }
    if isinstance(res, PreviewResult):
        out["out_of_phase"] = dict(res.out_of_phase)
    else:
        out["started"] = res.started.isoformat()
        out["ended"] = res.ended.isoformat()
    out.update(environment())
    return out


def environment() -> dict[str, str]:
    """The Python and toolkit version that ran the job."""
    from .. import __version__  # local: the package imports this module lazily

    return {"python": sys.executable, "forcedsync_version": __version__}


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` with the JSON of ``data`` (written aside, then renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def preview_log(res: PreviewResult, path: Path) -> None:
    """Write the log of a preview: summary, counts, then one line per record."""
    ctx = res.context
    lines = [
        "Forced synchronization preview (nothing committed)",
        f"Operator: {ctx.operator}   User: {ctx.user}   Company: {ctx.company}",
        f"Clock: {res.now.isoformat()}",
        f"Criteria: {res.criteria.summary()}",
    ]
    lines += present.counts_table(res.counts, res.out_of_phase, style="log")
    lines.append(f"Records to write (R): {present.number(res.to_write)}")
    lines += [f"Warning: {w}" for w in res.warnings]
    lines.append("Records (type, key, outcome, out-of-phase reasons):")
    lines += [present.record_line(r) for r in res.records]
    if res.total > len(res.records):
        lines.append(
            f"... {present.number(res.total - len(res.records))} more record(s) not "
            f"listed: a committed run's log lists them all."
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(slots=True)
class _Done:
    """What one step of the job produced (the result is set once the run ends)."""

    result: PreviewResult | ForceResult | TeamResult | None = None
    records: tuple[RecordRow, ...] = ()
    log: Path | None = None
    export: str | None = None
    export_file: Path | None = None
    token: str | None = None
    commit: bool = False
    criteria: Criteria | None = None
    #: A team run's logs (one per forced user, or the preview log).
    logs: tuple[Path, ...] = ()


#: The export formats of ``EXPORT`` and the file each one writes.
EXPORT_FILES = {"csv": "preview.csv", "parquet": "preview.parquet"}


def export_choice(value: object, out: Path | None) -> str | None:
    """``EXPORT``: ``csv``, ``parquet`` or nothing (None, blank, ``none``).

    Raises:
        CriteriaError: another value, or an export without an output directory.
    """
    text = text_or_none(value)
    if text is None or text.lower() == "none":
        return None
    if text.lower() not in EXPORT_FILES:
        raise CriteriaError(
            "EXPORT", value, f"EXPORT={value!r} must be csv or parquet (or None)."
        )
    if out is None:
        raise CriteriaError(
            "EXPORT", value, "EXPORT needs OUTPUT_DIR: the export is written there."
        )
    return text.lower()


def _snapshot_preview(
    engine: Engine, criteria: Criteria, out: Path, done: _Done, **who: Any
) -> PreviewResult:
    """One snapshot: the job's preview page, its export and its token agree."""
    size = PREVIEW_LOG_LIMIT if criteria.flgtrcdet else SHOWN_RECORDS
    with open_snapshot(engine, criteria, **who) as snap:
        res = snap.result(snap.page(1, size))
        assert done.export is not None
        done.export_file = out / EXPORT_FILES[done.export]
        write_export(snap, done.export_file)
        done.token = snap.token()
    return res


def _force(
    engine: Engine, criteria: Criteria, out: Path | None, done: _Done, **who: Any
) -> None:
    if done.export is not None and out is not None:
        # what the job exported is what it forces: the token pins its counts
        _snapshot_preview(engine, criteria, out, done, **who)
    res = marking.force(engine, criteria, expect=done.token, **who)
    done.result = res
    records, _ = runlog.run_records(engine, res.run_id, page_size=SHOWN_RECORDS)
    done.records = tuple(records)
    if criteria.flgtrcdet and out is not None:
        done.log = out / f"run-{res.run_id}.log"
        runlog.write_log(engine, res.run_id, done.log, details=True)


def _preview(
    engine: Engine, criteria: Criteria, out: Path | None, done: _Done, **who: Any
) -> None:
    if done.export is not None and out is not None:
        res = _snapshot_preview(engine, criteria, out, done, **who)
    else:
        size = PREVIEW_LOG_LIMIT if criteria.flgtrcdet else SHOWN_RECORDS
        res = marking.preview(engine, criteria, page_size=size, **who)
        done.token = preview_token.for_preview(res)
    done.result = res
    done.records = res.records[:SHOWN_RECORDS]
    if criteria.flgtrcdet and out is not None:
        done.log = out / PREVIEW_LOG_FILE
        preview_log(res, done.log)


def _team(
    engine: Engine, criteria: Criteria, out: Path | None, done: _Done, **who: Any
) -> None:
    """A team run (USERS...): every user's part through ``batch``; a team preview's
    token goes to ``summary.json`` as one user's does, a force checks ``expect``."""
    check_team_job(done.export)
    done.result, logs = run_team(
        engine, criteria, out, commit=done.commit, expect=done.token, **who
    )
    if isinstance(done.result, BatchPreview):
        done.token = done.result.token
    done.logs = tuple(logs)


def run_job(
    params: Mapping[str, Any],
    *,
    db_url: str | None = None,
    operator: str | None = None,
    commit: object = False,
    output_dir: str | Path | None = None,
    now: When = None,
    export: object = None,
    expect: str | None = None,
) -> JobResult:
    """Preview or force with the given criteria and write the job's output files.

    Args:
        params: SPEC parameter name -> value; ``None`` means "not set" (the
            criterion's default), so a notebook's untouched parameters change nothing.
        db_url: database URL or DuckDB path; None: what ``connect(None)`` picks.
        operator: the connected user; None: ``resolve_operator()``.
        commit: force (True) or only preview (False); papermill's ``1``/``"true"``
            are accepted.
        output_dir: where ``summary.json`` (always) and, with FLGTRCDET, the log
            (``run-<id>.log``, or ``preview.log`` for a preview) are written; None:
            nothing is written to disk. A failed job writes a ``summary.json`` with
            status FAILED and the error.
        now: the run's clock (UTC ISO text or datetime); None: the current time.
        export: ``csv`` or ``parquet``: write every selected record to
            ``preview.csv``/``preview.parquet`` beside ``summary.json``; with
            ``commit`` the force then expects that preview's token, so the job never
            forces other than what it exported.
        expect: a preview token (``summary.json``'s ``token``) the force must match
            (a team preview's with a team selector).

    Raises:
        ForcedSyncError: the criteria or the run were refused (nothing written to the
            database), or the database failed; the message says which.
    """
    out = Path(str(output_dir)).expanduser() if text_or_none(output_dir) else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    done = _Done(token=text_or_none(expect))
    try:
        done.commit = do_commit = parse_bool("COMMIT", commit)
        done.export = export_choice(export, out)
        done.criteria = criteria = Criteria.from_params(
            {k: v for k, v in params.items() if v is not None}
        )
        engine = db.connect(text_or_none(db_url))
        clock = now if isinstance(now, dt.datetime) else text_or_none(now)
        step = _team if criteria.team else _force if do_commit else _preview
        step(engine, criteria, out, done, operator=text_or_none(operator), now=clock)
        info = _finish(done, out, commit=do_commit, url=db.masked(engine.url))
    except Exception as exc:
        if out is not None:
            write_json(out / SUMMARY_FILE, failed(exc, commit, done))
        raise
    assert done.result is not None
    files = [] if out is None else [out / SUMMARY_FILE]
    files += [p for p in (done.log, done.export_file) if p is not None]
    files += done.logs
    return JobResult(info, done.result, done.records, tuple(files))


def _finish(done: _Done, out: Path | None, *, commit: bool, url: str) -> dict[str, Any]:
    """The job's summary (with its token and export), written to ``out``."""
    assert done.result is not None
    if isinstance(done.result, BatchPreview | BatchResult):
        assert done.criteria is not None
        info = team_summary(
            done.result, done.criteria, commit=commit, logs=list(done.logs)
        )
        info.update(database=url, **environment())
    else:
        log = done.log.name if done.log else None
        info = summary(done.result, commit=commit, url=url, log=log)
    info["token"] = done.token
    info["export"] = done.export_file.name if done.export_file else None
    if out is not None:
        write_json(out / SUMMARY_FILE, info)
    return info


def failed(exc: Exception, commit: object, done: _Done) -> dict[str, Any]:
    """The summary of a failed job; a run committed before the failure is named.

    A team run whose part failed keeps every user's state (``users``, ``failed``)
    and what the parts before it wrote.
    """
    res = done.result
    message = (
        str(exc)
        if isinstance(exc, ForcedSyncError)
        else (f"{type(exc).__name__}: {exc}")
    )
    try:
        flag = parse_bool("COMMIT", commit)
    except CriteriaError:
        flag = False
    forced = res if isinstance(res, ForceResult) else None
    info: dict[str, Any] = {
        "status": JobStatus.FAILED,
        "commit": flag,
        "run_id": forced.run_id if forced else None,
        "written": forced.written if forced else 0,
    }
    if isinstance(exc, BatchPartError) and done.criteria is not None:
        info.update(team_failed(exc, done.criteria) or {})
    return {
        **info,
        "error": message,
        "error_type": type(exc).__name__,
        **environment(),
    }
