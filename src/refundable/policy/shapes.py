"""Pydantic's shape errors rewritten as sentences a policy author can act on.

Pydantic reports a value that fits none of a union's members as one line per member
("percent.int: Input should be a valid integer", "percent.decimal: ...", "percent.Param.param:
Field required"); an unquoted ``version: 1.10`` as "Input should be a valid string"; a list of
conditions as "Input should be a valid dictionary". An author needs one sentence per place that
says what is wrong and how to fix it ("quote it: '1.10'", "use `all:`"), so errors are grouped
by the place in the document they point at and each group becomes one Problem with its line.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from refundable.core.errors import Problem
from refundable.core.limits import echo
from refundable.policy.yamlsource import LineDict, LineList, line_at

# What each union member a policy can meet stands for, in the author's words.
_MEMBERS = {
    "int": "a number",
    "decimal": "a number",
    "Param": "{param: <name>}",
    "str": "a fee id",
    "HigherOf": "{higher_of: [<fee>, <fee>]}",
}
_CONDITION_KEYS = ("when", "condition", "all", "any", "not")


def shape_problems(
    error: ValidationError, data: Any, file: str, root: type[BaseModel]
) -> list[Problem]:
    """One Problem per place in ``data`` that pydantic found wrong."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    missing: dict[tuple[Any, ...], list[str]] = {}
    for e in error.errors():
        path, tail = _split(data, e["loc"])
        if e["type"] == "missing" and len(tail) == 1:  # one sentence per section
            missing.setdefault(tuple(e["loc"][:-1]), []).append(echo(tail[0]))
            continue
        in_union = bool(tail) and tail[0] in _MEMBERS
        groups.setdefault(path if in_union else tuple(e["loc"]), []).append(e)
    problems: list[Problem] = [
        Problem(
            file,
            line_at(data, section),
            f"{_where(_split(data, section)[0])}: missing {'keys' if len(keys) > 1 else 'key'} "
            + ", ".join(keys),
            "required here: " + ", ".join(keys_at(root, section, required=True)),
        )
        for section, keys in missing.items()
    ]
    for path, errors in groups.items():
        line = line_at(data, path)
        ruled = [e for e in errors if _breaks_a_rule(e["type"])]
        if ruled:  # the value has one member's shape but breaks its rule: say which rule
            problems.extend(_single(e, data, file, root) for e in ruled)
        elif len(errors) > 1 and all(_split(data, e["loc"])[0] == path for e in errors):
            problems.append(_union(path, errors, data, file, line))
        else:
            problems.extend(_single(e, data, file, root) for e in errors)
    return problems


def _breaks_a_rule(kind: str) -> bool:
    """An error of a value that has a union member's shape but breaks one of its rules (a
    validator, a length), as opposed to not having the member's shape at all."""
    shape = kind.endswith(("_type", "_parsing")) or kind in ("missing", "extra_forbidden")
    return not shape


def _split(data: Any, loc: Sequence[Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The part of ``loc`` that walks through ``data``, and the rest (union member names,
    missing keys)."""
    node = data
    for i, part in enumerate(loc):
        in_dict = isinstance(node, LineDict) and isinstance(part, str | int) and part in node
        if in_dict or (
            isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return tuple(loc[:i]), tuple(loc[i:])
    return tuple(loc), ()


def _value_at(data: Any, path: Sequence[Any]) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def _where(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path) or "top level"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"the mapping {echo(dict(value))}"
    if isinstance(value, list):
        return f"the list {echo(list(value))}"
    return echo(value)


def _union(
    path: tuple[Any, ...], errors: list[Any], data: Any, file: str, line: int | None
) -> Problem:
    members: list[str] = []
    for e in errors:
        word = _MEMBERS.get(_split(data, e["loc"])[1][0], "")
        if word and word not in members:
            members.append(word)
    value = _value_at(data, path)
    return Problem(
        file,
        line,
        f"{_where(path)}: {_describe(value)} fits none of the forms this key takes",
        " or ".join(members),
    )


def _raw(data: Any, path: Sequence[Any]) -> str | None:
    if not path:
        return None
    parent = _value_at(data, path[:-1])
    raw = getattr(parent, "raw", None)
    return raw.get(path[-1]) if isinstance(raw, dict) else None


def _single(e: Any, data: Any, file: str, root: type[BaseModel]) -> Problem:
    loc = tuple(e["loc"])
    path, tail = _split(data, loc)
    line = line_at(data, loc)
    where = _where(path)
    kind, value = e["type"], e.get("input")
    text, _, stated = e["msg"].removeprefix("Value error, ").partition("; allowed: ")
    if not stated and "; use " in text:  # "unknown currency 'ZZZ'; use an ISO-4217 code ..."
        text, _, stated = text.partition("; ")
    message, allowed = f"{where}: {text}", stated or _expected(e)
    if kind == "extra_forbidden":
        section = _where(loc[:-1])
        message = f"{section}: unknown key {echo(loc[-1])}"
        keys = keys_at(root, loc[:-1])
        allowed = ", ".join(keys) or "see docs/policy-language.md for the keys of this section"
    elif kind == "missing":
        message = f"{_where(path)}: missing key {echo(tail[-1] if tail else loc[-1])}"
        allowed = "required here: " + ", ".join(keys_at(root, loc[:-1], required=True))
    elif kind == "string_type":
        message, allowed = _not_text(where, value, _raw(data, path))
    elif kind == "dict_type" and isinstance(value, list):
        if path and path[-1] in _CONDITION_KEYS:
            message = f"{where}: a list where a mapping is needed"
            allowed = "one mapping; to require several conditions, use `all: [...]`"
        else:
            message = f"{where}: a list where a mapping (key: value) is needed"
    elif kind == "list_type" and isinstance(value, dict):
        message = f"{where}: a mapping where a list is needed"
        allowed = "a list: one '- item' per line, or [a, b]"
    elif kind.startswith("date_"):
        reason = e["msg"].rpartition(", ")[2] if ", " in e["msg"] else "not a date"
        message = f"{where}: {echo(value)} is not a date ({reason})"
        allowed = "a real date written YYYY-MM-DD, e.g. 2026-01-31"
    elif kind.startswith("time_"):
        message = f"{where}: {echo(value)} is not a time of day"
        allowed = 'a time written "HH:MM", e.g. "09:00"'
    elif kind == "bool_type":
        message = f"{where}: {echo(value)} is not true or false"
        allowed = "true or false (YAML 1.2 reads yes, no, on, off as text)"
    elif kind in ("enum", "literal_error"):
        message = f"{where}: {echo(value)} is not allowed"
    return Problem(file, line, message, allowed)


def _not_text(where: str, value: Any, raw: str | None) -> tuple[str, str | None]:
    if value is None:
        return f"{where} is empty", "a text"
    if isinstance(value, dict | list):
        return f"{where}: expected a text, got {_describe(value)}", "a text"
    shown = raw if raw is not None else str(value).lower() if isinstance(value, bool) else value
    what = "true/false" if isinstance(value, bool) else "a number"
    return (
        f"{where}: {shown} is read as {what}, not as text; quote it: '{shown}'",
        "a text in quotes",
    )


def _expected(error: Any) -> str | None:
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"])
    if "min_length" in ctx:
        return f"at least {ctx['min_length']} items"
    if "pattern" in ctx:
        return f"text matching {ctx['pattern']}"
    for key, word in (("ge", "at least"), ("gt", "more than"), ("le", "at most")):
        if key in ctx:
            return f"{word} {ctx[key]}"
    return None


def keys_at(root: type[BaseModel], loc: Sequence[Any], required: bool = False) -> list[str]:
    """The keys the document section at ``loc`` accepts, found by walking the models (a
    location part that is not a key, such as a union member's name, is skipped)."""
    candidates: list[Any] = [root]
    for part in loc:
        found = [t for c in candidates for t in _inner(c, part)]
        candidates = found or candidates
    for c in candidates:
        for t in _members(c):
            if isinstance(t, type) and issubclass(t, BaseModel):
                fields = t.model_fields.items()
                return [f.alias or n for n, f in fields if f.is_required() or not required]
    return []


def _members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _inner(annotation: Any, part: Any) -> list[Any]:
    out: list[Any] = []
    for t in _members(annotation):
        origin, args = typing.get_origin(t), typing.get_args(t)
        if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(part, str):
            out += [f.annotation for n, f in t.model_fields.items() if part in (n, f.alias)]
        elif origin is list and isinstance(part, int) and args:
            out.append(args[0])
        elif origin is dict and isinstance(part, str) and len(args) == 2:
            out.append(args[1])
    return out


def nearest(word: Any, choices: Sequence[str]) -> list[str]:
    """Up to three of ``choices`` closest to a misspelt ``word`` (for "did you mean")."""
    if not isinstance(word, str) or len(word) > 200:
        return []
    return difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
