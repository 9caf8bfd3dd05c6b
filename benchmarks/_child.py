"""One force in a process of its own, for peak-memory figures (run by the scripts).

    python benchmarks/_child.py toolkit|bare|idle URL NOW [LO HI]

Prints one JSON line: seconds and the peak resident set size of this process (KiB):
``VmHWM`` of /proc/self/status, which starts afresh at ``exec``; ``ru_maxrss`` would
carry the parent's size over from the fork (Linux keeps it across execve). Both modes
import the same modules before they start, so the figures differ only by what the
force itself holds in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

import _bare
import _bench

import forcedsync_kit as fs


def peak_kb() -> int:
    """Peak RSS of this process image in KiB (VmHWM; ru_maxrss where /proc lacks it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> None:
    mode, url, now = argv[0], argv[1], dt.datetime.fromisoformat(argv[2])
    window = (
        (dt.date.fromisoformat(argv[3]), dt.date.fromisoformat(argv[4]))
        if len(argv) > 4
        else None
    )
    engine = fs.connect(url)
    base = peak_kb()
    t0 = time.perf_counter()
    if mode == "toolkit":
        fs.force(
            engine, _bench.activity_criteria(window), operator=_bench.USER, now=now
        )
    elif mode == "bare":
        ctx = fs.user_defaults(engine, _bench.USER)
        _bare.bare_force(engine, _bare.Scope(ctx, window), now)
    elif mode == "idle":
        pass
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    seconds = time.perf_counter() - t0
    peak = peak_kb()
    print(
        json.dumps(
            {"mode": mode, "seconds": seconds, "maxrss_kb": peak, "before_kb": base}
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
