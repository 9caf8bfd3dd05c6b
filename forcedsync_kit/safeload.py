"""Parameters files read safely: small, flat, UTF-8, every name once (issue 14, 4).

A parameters file is a flat mapping ``NAME: value`` (a value may be a list, for
CORFCTTXT). Everything YAML could do beyond that is refused before any of it happens:
anchors and aliases (a 700-byte file of nested aliases expands to gigabytes), merge
keys, tags, nested mappings. The file is capped at ``MAX_PARAMS_BYTES`` and read only
when it is a regular file (a FIFO would block the reader forever). YAML scalars are kept
as written (``CORDEB: 0012`` is the code '0012'); null spellings mean "not set".
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from .edges import cut, cut_path
from .errors import CriteriaError

#: Largest parameters file read (64 KiB: the screen's 33 fields fit in 2 KiB).
MAX_PARAMS_BYTES = 64 * 1024
_YAML_NULLS = {"", "~", "null", "Null", "NULL"}


def _refuse(path: str | Path, problem: str) -> CriteriaError:
    return CriteriaError(
        "params", str(path), f"Parameters file {cut_path(path)} {problem}."
    )


def _unreadable(path: str | Path, exc: OSError) -> CriteriaError:
    return CriteriaError(
        "params",
        str(path),
        f"Cannot read parameters file {cut_path(path)}: {exc.strerror or exc}.",
    )


def _read_text(path: str | Path) -> str:
    """The file's text: a regular file of at most MAX_PARAMS_BYTES, in UTF-8."""
    p = Path(path)
    try:
        info = p.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, "is not a regular file")
    if info.st_size > MAX_PARAMS_BYTES:
        raise _refuse(path, f"is larger than {MAX_PARAMS_BYTES // 1024} KiB")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_PARAMS_BYTES + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if len(data) > MAX_PARAMS_BYTES:
        raise _refuse(path, f"is larger than {MAX_PARAMS_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"is not UTF-8 text (byte {exc.start})") from None


def _check_names(path: str | Path, names: list[str]) -> None:
    """Refuse a parameter written twice, also in another case (SELTSK and seltsk)."""
    seen: dict[str, str] = {}
    for name in names:
        key = name.strip().upper()
        if key in seen:
            raise _refuse(
                path,
                f"sets {cut(key)} twice ({cut(seen[key])} and {cut(name)}): "
                f"write each parameter once",
            )
        seen[key] = name


# -- JSON --------------------------------------------------------------------------


def _load_json(path: str | Path, text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        _check_names(path, [k for k, _ in items])
        return dict(items)

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise _refuse(path, f"does not parse: {exc.msg} (line {exc.lineno})") from None
    except (ValueError, RecursionError):  # an int of 5000 digits, deep nesting
        raise _refuse(path, "does not parse: a value is too long or too deep") from None


# -- YAML --------------------------------------------------------------------------


def _scan_yaml(path: str | Path, text: str) -> None:
    """Refuse anchors, aliases and tags from the tokens alone (nothing is expanded)."""
    refused = {
        yaml.AnchorToken: "uses a YAML anchor (&)",
        yaml.AliasToken: "uses a YAML alias (*)",
        yaml.TagToken: "uses a YAML tag (!)",
    }
    try:
        for token in yaml.scan(text, Loader=yaml.BaseLoader):
            problem = refused.get(type(token))
            if problem is not None:
                line = token.start_mark.line + 1
                raise _refuse(path, f"{problem} on line {line}: write plain values")
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None


def _yaml_error(path: str | Path, exc: yaml.YAMLError) -> CriteriaError:
    first = " ".join(str(exc).split("\n")[0].split()).rstrip(".:")
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1})" if mark is not None else ""
    return _refuse(path, f"does not parse: {cut(first, 80)[1:-1]}{where}")


def _not_flat(path: str | Path, name: str) -> CriteriaError:
    return _refuse(
        path, f"is not flat: {cut(name)} holds a nested value; write NAME: value"
    )


def _plain(path: str | Path, node: yaml.Node, depth: int, name: str = "") -> Any:
    """A composed YAML node as str / list / dict, with the file's rules applied."""
    if isinstance(node, yaml.ScalarNode):
        value = str(node.value)
        return None if value in _YAML_NULLS else value
    # The mapping is the document (depth 0); a list is only a value of it (depth 1).
    if depth == 0 and not isinstance(node, yaml.MappingNode):
        raise _refuse(path, "must hold a mapping of NAME: value")
    flat = depth == 1 if isinstance(node, yaml.SequenceNode) else depth == 0
    if not flat:
        raise _not_flat(path, name)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(path, item, depth + 1, name) for item in node.value]
    assert isinstance(node, yaml.MappingNode)
    names: list[str] = []
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _refuse(path, "has a name that is not plain text")
        if key_node.value == "<<" and key_node.style is None:
            raise _refuse(path, "uses a YAML merge key (<<): write plain values")
        names.append(str(key_node.value))
        out[str(key_node.value)] = _plain(
            path, value_node, depth + 1, str(key_node.value)
        )
    _check_names(path, names)
    return out


def _load_yaml(path: str | Path, text: str) -> Any:
    _scan_yaml(path, text)
    try:
        node = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None
    return None if node is None else _plain(path, node, 0)


# -- the entry point ----------------------------------------------------------------


def load_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (any suffix but ``.json``) or JSON parameters file into a dict.

    Args:
        path: the file; ``.json`` is read as JSON, anything else as YAML.

    Returns:
        The mapping, names as written (values: text, lists of text, None; JSON values
        as JSON types). An empty file is an empty mapping.

    Raises:
        CriteriaError: one sentence naming the file and the problem: not a regular
            file, over 64 KiB, not UTF-8, does not parse, an anchor, alias, tag or
            merge key, a nested mapping, a name given twice (in any case), or not a
            mapping.
    """
    text = _read_text(path)
    if Path(path).suffix.lower() == ".json":
        data = _load_json(path, text)
        nested = (
            [k for k, v in data.items() if isinstance(v, dict | list) and _nested(v)]
            if isinstance(data, dict)
            else []
        )
        if nested:
            raise _not_flat(path, nested[0])
    else:
        data = _load_yaml(path, text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _refuse(path, "must hold a mapping of NAME: value")
    return data


def _nested(value: dict[str, Any] | list[Any]) -> bool:
    """True for a mapping, or a list that holds a list or mapping."""
    if isinstance(value, dict):
        return True
    return any(isinstance(v, dict | list) for v in value)
