"""The optional parts of the package ([ui], [jobs]) and the job's named kernel.

The core (library and the CLI's preview, force, undo, runs, log, sync, demo, init)
imports no Jupyter package. ``require`` turns a missing extra into one line naming
the ``pip install`` that adds it; ``install_kernel`` writes the ``forcedsync``
Jupyter kernelspec (this Python) that ``forcedsync job`` runs its notebook on.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from .errors import BackendError

#: The kernelspec name the job runs on by default.
KERNEL_NAME = "forcedsync"
#: Its display name in JupyterLab's launcher.
KERNEL_DISPLAY_NAME = "Python (forcedsync)"
#: What each extra brings, by the modules a command needs from it.
EXTRAS: dict[str, tuple[str, ...]] = {
    "ui": ("voila", "ipywidgets", "ipykernel"),
    "jobs": ("papermill", "ipykernel"),
}


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]


def require(extra: str, what: str) -> None:
    """Refuse ``what`` in one line when the ``extra`` is not installed.

    Raises:
        BackendError: a module of the extra is missing.
    """
    missing = missing_modules(extra)
    if missing:
        raise BackendError(
            f"{what} needs the [{extra}] extra ({', '.join(missing)} missing): "
            f"install forcedsync[{extra}], e.g. pip install 'forcedsync[{extra}]'."
        )


def kernel_prefix(
    *, user: bool = False, sys_prefix: bool = False, prefix: str | None = None
) -> str | None:
    """The ``prefix`` argument of ipykernel's install for the chosen place.

    No choice means ``--sys-prefix``: the environment forcedsync is installed in.

    Raises:
        BackendError: more than one place was chosen.
    """
    chosen = [n for n, v in (("--user", user), ("--sys-prefix", sys_prefix)) if v]
    if prefix is not None:
        chosen.append("--prefix")
    if len(chosen) > 1:
        raise BackendError(
            f"Give one place for the kernel, not {' and '.join(chosen)}."
        )
    if user:
        return None
    return str(Path(prefix).expanduser().resolve()) if prefix else sys.prefix


def install_kernel(
    *,
    user: bool = False,
    sys_prefix: bool = False,
    prefix: str | None = None,
    name: str = KERNEL_NAME,
) -> Path:
    """Install the kernelspec ``name`` running this Python; return its folder.

    Args:
        user: into the user's Jupyter data folder (~/.local/share/jupyter).
        sys_prefix: into this environment (``sys.prefix``), the default.
        prefix: into ``PREFIX/share/jupyter/kernels``.
        name: the kernelspec name.

    Raises:
        BackendError: the [jobs] extra (ipykernel) is missing, or several places.
    """
    target = kernel_prefix(user=user, sys_prefix=sys_prefix, prefix=prefix)
    require("jobs", "forcedsync kernel install")
    from ipykernel import kernelspec  # local: an extra

    folder = kernelspec.install(
        user=user,
        kernel_name=name,
        display_name=KERNEL_DISPLAY_NAME if name == KERNEL_NAME else name,
        prefix=target,
    )
    return Path(folder)


def kernel_exists(name: str) -> bool:
    """True when Jupyter finds the kernelspec ``name`` from this Python."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return True
