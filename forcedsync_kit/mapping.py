"""A folder mapping as data: logical names (SPEC §2, ``schema.py``) -> physical names.

Two presets ship with the package: ``toolkit`` (today's names, the default) and ``x3``
(a live X3 folder, SPEC §8). A site's own file is loaded with ``load_mapping`` and
validated before anything reads it; every error names the key at fault. The mapping
resolves every logical table and column of the X3 tables, so code keeps logical names
and only ``layout.Layout`` knows the physical ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .errors import MappingError

logger = logging.getLogger(__name__)

#: Built-in presets, shipped as ``forcedsync_kit/mappings/<name>.yaml``.
PRESETS = ("toolkit", "x3")
#: Ways of taking new SYDNUM keys (see ``keys.py``).
KEY_STRATEGIES = ("max", "sequence", "counter")
#: The placeholder of ``schema`` replaced by the folder name (``--x3-folder``).
FOLDER = "{folder}"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$#]{0,127}$")
_INDEXED = re.compile(r"_\d$")
_SUFFIX = re.compile(r"^(_[A-Za-z0-9]+)?$")
_TOP = {"name", "schema", "names", "empty", "technical", "tables", "keys"}
_NAMES = {"table_case", "column_case", "column_suffix"}
_CASES = ("lower", "upper", "as_is")
_TECH = ("auuid", "updtick", "rowid")
_USER_LEVEL = ("table", "user", "param", "value")


@dataclass(frozen=True, slots=True)
class TableMap:
    """One logical table: its physical name and every column's physical name."""

    logical: str
    physical: str
    columns: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class UserLevel:
    """Where ADOVAL rows of level USR live when not in ADOVAL (X3: ADOVALAUS)."""

    table: str
    user: str
    param: str
    value: str


@dataclass(frozen=True, slots=True)
class Technical:
    """X3 technical columns: AUUID, UPDTICK filled on insert; ROWID never written."""

    auuid: str | None = None
    updtick: str | None = None
    rowid: str | None = None


@dataclass(frozen=True, slots=True)
class KeySpec:
    """How new SYDNUM keys are taken (``keys.py``)."""

    strategy: str
    sequence: str | None = None
    table: str | None = None
    column: str | None = None
    key_column: str | None = None
    key_value: str | None = None


@dataclass(frozen=True, slots=True)
class FolderMapping:
    """A validated mapping from the logical model to one database's physical names.

    Attributes:
        name: the preset's or file's name.
        schema: the physical schema, possibly with ``{folder}``; None = the default one.
        tables: every logical X3 table of ``schema.X3_TABLES``, resolved.
        blank: how an empty code/text is written (X3: ``' '``); None = NULL.
        empty_date: how an empty date is written (X3: 1753-01-01); None = NULL.
        technical: the technical columns of every table.
        user_level: where ADOVAL's LEV='USR' rows live; None = in ADOVAL.
        sydnum: how new SYDNUM keys are taken.
    """

    name: str
    schema: str | None
    tables: Mapping[str, TableMap]
    blank: str | None
    empty_date: dt.date | None
    technical: Technical
    user_level: UserLevel | None
    sydnum: KeySpec

    def schema_for(self, folder: str | None) -> str | None:
        """The physical schema for ``folder``; refuses a missing or bad folder name."""
        if self.schema is None or FOLDER not in self.schema:
            return self.schema
        if not folder or not _IDENT.match(folder):
            raise MappingError(
                "folder",
                folder,
                f"Mapping {self.name!r} needs an X3 folder name (--x3-folder), "
                f"and {folder!r} is not one: give letters, digits or '_'.",
            )
        return self.schema.replace(FOLDER, folder)


def preset(name: str) -> FolderMapping:
    """The built-in mapping ``name`` (one of PRESETS)."""
    if name not in PRESETS:
        raise MappingError(
            "mapping",
            name,
            f"Mapping preset {name!r} is unknown: use one of {', '.join(PRESETS)} "
            "or the path of a mapping file.",
        )
    text = resources.files("forcedsync_kit").joinpath(f"mappings/{name}.yaml")
    return parse_mapping(yaml.safe_load(text.read_text("utf-8")), source=name)


def load_mapping(path: str | Path) -> FolderMapping:
    """Read and validate a site's mapping file (YAML).

    Raises:
        MappingError: unreadable file, bad YAML or an invalid key (named).
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text("utf-8"))
    except OSError as exc:
        raise MappingError(
            "mapping",
            str(p),
            f"Mapping file {str(p)!r} cannot be read: {exc.strerror or exc}.",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MappingError(
            "mapping", str(p), f"Mapping file {str(p)!r} is not valid YAML{where}."
        ) from None
    return parse_mapping(data, source=p.name)


def resolve(spec: str | Path | None) -> FolderMapping:
    """``None`` -> the toolkit preset; a preset name -> it; anything else -> a file."""
    if spec is None or spec == "":
        return preset("toolkit")
    if isinstance(spec, str) and spec in PRESETS:
        return preset(spec)
    return load_mapping(spec)


def parse_mapping(data: object, *, source: str) -> FolderMapping:
    """Validate the parsed YAML of a mapping and resolve every logical name."""
    top = _section(data, "", source)
    _known(top, _TOP, "", source)
    names = _section(top.get("names", {}), "names", source)
    _known(names, _NAMES, "names", source)
    empty = _section(top.get("empty", {}), "empty", source)
    _known(empty, {"text", "date"}, "empty", source)
    tables = _section(top.get("tables", {}), "tables", source)
    _known(tables, set(schema.X3_TABLES), "tables", source)
    keys = _section(top.get("keys", {}), "keys", source)
    _known(keys, {"sydnum"}, "keys", source)
    resolved = {t: _table(t, tables.get(t), names, source) for t in schema.X3_TABLES}
    adoval = _section(tables.get("adoval", {}), "tables.adoval", source)
    return FolderMapping(
        name=str(top.get("name") or source),
        schema=_schema(top.get("schema"), source),
        tables=resolved,
        blank=_blank(empty.get("text"), source),
        empty_date=_date(empty.get("date"), source),
        technical=Technical(
            **_idents(top.get("technical", {}), _TECH, "technical", source)
        ),
        user_level=_user_level(adoval.get("user_level"), source),
        sydnum=_keyspec(keys.get("sydnum", {"strategy": "max"}), source),
    )


def physical_name(logical: str, case: str, suffix: str) -> str:
    """The generic rule: case applied, ``suffix`` added unless already indexed."""
    cased = {"upper": logical.upper(), "lower": logical.lower()}
    name = cased.get(case, logical)
    if suffix and not _INDEXED.search(name):
        name += suffix
    return name


# --- validation helpers ---------------------------------------------------------------


def _fail(source: str, key: str, value: object, want: str) -> MappingError:
    return MappingError(
        key or "mapping",
        value,
        f"Mapping {source!r}: {key or 'the file'} is {value!r}; {want}.",
    )


def _section(value: object, key: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(source, key, value, "give a mapping of names to values")
    return {str(k): v for k, v in value.items()}


def _known(section: dict[str, Any], allowed: set[str], key: str, source: str) -> None:
    for name in section:
        if name not in allowed:
            where = f"{key}.{name}" if key else name
            raise _fail(source, where, name, f"use one of {', '.join(sorted(allowed))}")


def _ident(value: object, key: str, source: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise _fail(source, key, value, "give an SQL name (letters, digits, '_')")
    return value


def _idents(
    value: object, allowed: tuple[str, ...], key: str, source: str
) -> dict[str, str]:
    section = _section(value, key, source)
    _known(section, set(allowed), key, source)
    return {k: _ident(v, f"{key}.{k}", source) for k, v in section.items()}


def _schema(value: object, source: str) -> str | None:
    if value is None:
        return None
    text = value.replace(FOLDER, "X") if isinstance(value, str) else value
    _ident(text, "schema", source)
    return str(value)


def _blank(value: object, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip() != "":
        raise _fail(source, "empty.text", value, "give null or a blank such as ' '")
    return value


def _date(value: object, source: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(
            source, "empty.date", value, "give null or a YYYY-MM-DD date"
        ) from None


def _table(logical: str, value: object, names: dict[str, Any], source: str) -> TableMap:
    key = f"tables.{logical}"
    section = _section(value, key, source)
    _known(section, {"name", "columns", "user_level"}, key, source)
    tcase = _case(names.get("table_case", "as_is"), "names.table_case", source)
    ccase = _case(names.get("column_case", "as_is"), "names.column_case", source)
    suffix = names.get("column_suffix") or ""
    if not isinstance(suffix, str) or not _SUFFIX.match(suffix):
        raise _fail(source, "names.column_suffix", suffix, "give '' or '_' + a name")
    table = schema.metadata.tables[logical]
    logical_cols = [c.name for c in table.columns]
    given = _idents(
        section.get("columns", {}), tuple(logical_cols), f"{key}.columns", source
    )
    columns = {c: given.get(c) or physical_name(c, ccase, suffix) for c in logical_cols}
    seen: dict[str, str] = {}
    for col, phys in columns.items():
        if phys.upper() in seen:
            raise _fail(
                source, f"{key}.columns.{col}", phys,
                f"give a name other than the one of {seen[phys.upper()]!r}",
            )  # fmt: skip
        seen[phys.upper()] = col
    name = section.get("name")
    physical = (
        _ident(name, f"{key}.name", source)
        if name
        else physical_name(logical, tcase, "")
    )
    return TableMap(logical=logical, physical=physical, columns=columns)


def _case(value: object, key: str, source: str) -> str:
    if value not in _CASES:
        raise _fail(source, key, value, f"use one of {', '.join(_CASES)}")
    return str(value)


def _user_level(value: object, source: str) -> UserLevel | None:
    if value is None:
        return None
    key = "tables.adoval.user_level"
    got = _idents(value, _USER_LEVEL, key, source)
    for field in _USER_LEVEL:
        if field not in got:
            raise _fail(source, f"{key}.{field}", None, "give the physical name")
    return UserLevel(**got)


def _keyspec(value: object, source: str) -> KeySpec:
    key = "keys.sydnum"
    section = _section(value, key, source)
    fields = ("strategy", "sequence", "table", "column", "key_column", "key_value")
    _known(section, set(fields), key, source)
    strategy = section.get("strategy", "max")
    if strategy not in KEY_STRATEGIES:
        raise _fail(
            source,
            f"{key}.strategy",
            strategy,
            f"use one of {', '.join(KEY_STRATEGIES)}",
        )
    needed = {"max": (), "sequence": ("sequence",), "counter": ("table", "column")}
    for field in needed[strategy]:
        if not section.get(field):
            raise _fail(source, f"{key}.{field}", None, f"strategy {strategy} needs it")
    names = {
        f: _ident(section[f], f"{key}.{f}", source)
        for f in ("sequence", "table", "column", "key_column")
        if section.get(f)
    }
    if bool(section.get("key_column")) != ("key_value" in section):
        raise _fail(source, f"{key}.key_value", section.get("key_value"),
                    "give key_column and key_value together")  # fmt: skip
    kv = section.get("key_value")
    return KeySpec(
        strategy=strategy, key_value=None if kv is None else str(kv), **names
    )
