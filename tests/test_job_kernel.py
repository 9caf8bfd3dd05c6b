"""The job's kernel process and this process's stderr.

The job CLI's stderr carries one line on failure; the kernel papermill starts must
not add its own exit noise to it (CI once saw libzmq's ``Assertion failed:
pfd.revents & POLLIN`` there), and a kernel that cannot start says why in that line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from forcedsync_kit.job.common import JobError
from forcedsync_kit.job.execute import run_notebook


def notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("OUTPUT_DIR = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(source),
    ]
    nb.metadata["kernelspec"] = {
        "name": "forcedsync",
        "display_name": "forcedsync",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_kernel_exit_noise_stays_off_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # What a kernel writes to its stderr after the cells' capture is gone (as libzmq
    # does when it aborts on shutdown) is not this process's to show.
    source = notebook(
        tmp_path / "noisy.ipynb",
        "import atexit, os\n"
        "atexit.register(lambda: os.write(2, b'noise as the kernel exits\\n'))\n"
        "raise ValueError('the cell failed')",
    )
    with pytest.raises(JobError, match=r"^ValueError: the cell failed$"):
        run_notebook(source, tmp_path / "out.ipynb", {}, kernel_name="forcedsync")
    assert "noise as the kernel exits" not in capfd.readouterr().err


def test_a_kernel_that_cannot_start_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "jupyter" / "kernels" / "broken"
    spec.mkdir(parents=True)
    argv = [
        sys.executable,
        "-c",
        "import sys; sys.exit('no ipykernel in this environment')",
        "-f",
        "{connection_file}",
    ]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "broken", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    source = notebook(tmp_path / "job.ipynb", "pass")
    with pytest.raises(JobError) as caught:
        run_notebook(source, tmp_path / "out.ipynb", {}, kernel_name="broken")
    assert str(caught.value).startswith("The job notebook could not be run: ")
    assert str(caught.value).endswith(
        "(the kernel said: no ipykernel in this environment)"
    )
