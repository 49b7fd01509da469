"""Policy lint: rules that can never apply, because an earlier rule always matches first
(shadowed) or because their own conditions exclude each other (contradictory).

Rules are tried in order and the first whose ``when`` matches decides (even when it then
denies for a missing requirement), so a later rule whose situation is contained in an earlier
rule's is dead text: the business reads it, the engine never reaches it. The check is sound
rather than complete: it warns only when it can show, from the conditions as written, that
every request matching the later rule also matches the earlier one:

* each condition of the earlier rule is implied by one condition of the later rule (or by
  the later rule's conditions taken together, for an ``any:``);
* one condition implies another when they are the same, when a value set is contained in
  another (``reason: a`` implies ``reason: [a, b]``), when a bound is tighter
  (``amount > 500`` implies ``amount > 100``), when a value implies ``present: true``, and
  when every alternative of an ``any:`` implies the other condition.

Anything else (time windows, ``not:``, durations) is compared only for equality, so a warning
is never a guess. Warnings carry both rules' ``file:line``. A rule is contradictory when two
of its conditions on one fact cannot hold together (``reason`` both ``a`` and ``b``,
``amount > 1000`` and ``amount <= 500``, a value and ``present: false``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from refundable.policy.compiled import CompiledPolicy
from refundable.policy.document import PolicyDocument
from refundable.policy.factpaths import FACTS
from refundable.policy.yamlsource import LineList, read_yaml


@dataclass(frozen=True, slots=True)
class Shadowed:
    """A rule that can never apply, and the earlier rule that always matches first."""

    file: str
    rule: str
    line: int
    shadowed_by: str
    shadowed_by_line: int

    def render(self) -> str:
        return (
            f"{self.file}:{self.line}: warning: rule {self.rule!r} can never apply: "
            f"rule {self.shadowed_by!r} ({self.file}:{self.shadowed_by_line}) comes first "
            "and matches every request this rule matches"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": "rule_shadowed",
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "shadowed_by": self.shadowed_by,
            "shadowed_by_line": self.shadowed_by_line,
            "message": self.render(),
        }


@dataclass(frozen=True, slots=True)
class Contradictory:
    """A rule whose own conditions exclude each other, so no request ever matches it."""

    file: str
    rule: str
    line: int
    conflict: str

    def render(self) -> str:
        return (
            f"{self.file}:{self.line}: warning: rule {self.rule!r} can never apply: "
            f"its conditions contradict each other ({self.conflict})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": "rule_contradictory",
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "conflict": self.conflict,
            "message": self.render(),
        }


LintWarning = Shadowed | Contradictory


# An atom is one condition in a canonical, hashable form:
#   ("in", fact, frozenset)      value is one of a set (eq is a one-element set)
#   ("not_in", fact, frozenset)  value is none of a set (ne likewise)
#   ("gt" | "gte" | "lt" | "lte", fact, Decimal)
#   ("present", fact, bool)
#   ("any", frozenset of conjunctions)   a conjunction is a frozenset of atoms
#   ("opaque", text)             anything compared only for equality
Atom = tuple[Any, ...]
Conj = frozenset[Atom]


def lint_policy(policy: CompiledPolicy, file: str | None = None) -> list[LintWarning]:
    """The warnings for a loaded policy, in rule order; rule lines are read from its file."""
    lines: list[int] = []
    if policy.path is not None:
        data, _ = read_yaml(policy.path)
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(rules, LineList):
            lines = [rules.line_of(i) for i in range(len(rules))]
    return unreachable_rules(policy.document, lines, file or str(policy.path or "<policy>"))


def unreachable_rules(
    doc: PolicyDocument, lines: Sequence[int], file: str = "<policy>"
) -> list[LintWarning]:
    """Every rule that can never apply: its own conditions contradict each other, or an
    earlier rule always matches first."""
    contradictory = contradictory_rules(doc, lines, file)
    skip = {w.rule for w in contradictory}
    shadowed = [w for w in shadowed_rules(doc, lines, file) if w.rule not in skip]
    return sorted([*contradictory, *shadowed], key=lambda w: w.line)


def contradictory_rules(
    doc: PolicyDocument, lines: Sequence[int], file: str = "<policy>"
) -> list[Contradictory]:
    out = []
    for i, rule in enumerate(doc.rules):
        conflict = _contradiction(_conj(rule.when))
        if conflict is not None:
            line = lines[i] if i < len(lines) else 0
            out.append(Contradictory(file, rule.id, line, conflict))
    return out


def shadowed_rules(
    doc: PolicyDocument, lines: Sequence[int], file: str = "<policy>"
) -> list[Shadowed]:
    """Each rule (after the first) that an earlier rule always pre-empts; ``lines[i]`` is the
    line of rule ``i``. Only the first pre-empting rule is reported for each."""
    conjs = [_conj(rule.when) for rule in doc.rules]
    out: list[Shadowed] = []
    for j, later in enumerate(conjs):
        for i in range(j):
            if _implies_all(later, conjs[i]):
                line = lines[j] if j < len(lines) else 0
                earlier_line = lines[i] if i < len(lines) else 0
                out.append(Shadowed(file, doc.rules[j].id, line, doc.rules[i].id, earlier_line))
                break
    return out


# --- canonical form ----------------------------------------------------------------------------


def _conj(raw: Any) -> Conj:
    """The top-level keys of a condition mapping as a set of atoms (``all:`` flattened)."""
    if not isinstance(raw, dict):
        return frozenset({("opaque", repr(raw))})
    atoms: set[Atom] = set()
    for key, value in raw.items():
        if key == "all" and isinstance(value, list):
            for item in value:
                atoms |= _conj(item)
        elif key == "any" and isinstance(value, list):
            atoms.add(("any", frozenset(_conj(item) for item in value)))
        else:
            atom = _atom(str(key), value)
            if not (atom[0] == "present" and atom[2] is True and atom[1] in _ALWAYS):
                atoms.add(atom)
    return frozenset(atoms)


# Facts every request carries (required by the request model): ``present: true`` on them
# holds for every request, the way "any request" is written since ``when: {}`` is refused.
_ALWAYS = frozenset({"policy", "requested_at", "reason"})


def _atom(key: str, value: Any) -> Atom:
    fact = FACTS.get(key)
    if fact is None:  # within, exceeds, not, and anything the loader already refused
        return ("opaque", key, _freeze(value))
    if isinstance(value, dict) and len(value) == 1:
        op, operand = next(iter(value.items()))
    elif isinstance(value, list):
        op, operand = "in", value
    else:
        op, operand = "eq", value
    numeric = fact.kind in ("amount", "int")
    if op in ("eq", "ne", "in", "not_in"):
        items = operand if op in ("in", "not_in") and isinstance(operand, list) else [operand]
        values = frozenset(_value(v, numeric) for v in items)
        return ("in" if op in ("eq", "in") else "not_in", key, values)
    if op in ("gt", "gte", "lt", "lte") and numeric:
        number = _value(operand, True)
        if isinstance(number, Decimal):
            return (op, key, number)
    if op == "present" and isinstance(operand, bool):
        return ("present", key, operand)
    return ("opaque", key, _freeze(value))


def _value(v: Any, numeric: bool) -> Any:
    if numeric and not isinstance(v, bool) and isinstance(v, int | str | Decimal):
        try:
            return Decimal(str(v))
        except InvalidOperation:
            return _freeze(v)
    return _freeze(v)


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((str(k), _freeze(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


# --- implication -------------------------------------------------------------------------------


def _implies_all(given: Conj, wanted: Iterable[Atom]) -> bool:
    """True when the conjunction ``given`` implies every atom of ``wanted``."""
    return all(_implied(given, atom) for atom in wanted)


def _implied(given: Conj, atom: Atom) -> bool:
    if atom in given:
        return True
    # Some alternative of an ``any:`` follows from ``given`` as a whole...
    if atom[0] == "any" and any(_implies_all(given, alt) for alt in atom[1]):
        return True
    # ...or one condition of ``given`` implies the atom by itself.
    return any(_atom_implies(g, atom) for g in given)


def _atom_implies(g: Atom, a: Atom) -> bool:
    if g == a:
        return True
    if g[0] == "any":
        # Every alternative of g must lead to a.
        return all(_implied(alt, a) for alt in g[1])
    if a[0] == "any":
        return any(_implies_all(frozenset({g}), alt) for alt in a[1])
    if g[0] == "opaque" or a[0] == "opaque" or g[1] != a[1]:
        return False
    return _same_fact_implies(g, a)


def _same_fact_implies(g: Atom, a: Atom) -> bool:
    gk, gv, ak, av = g[0], g[2], a[0], a[2]
    if ak == "present":
        # A value other than null means the fact is given; a bound needs a value too.
        given = gk in ("gt", "gte", "lt", "lte") or (gk == "in" and None not in gv)
        return av is True and given
    if gk == "in" and ak == "in":
        return bool(gv <= av)
    if gk == "in" and ak == "not_in":
        return not (gv & av)
    if gk == "not_in" and ak == "not_in":
        return bool(av <= gv)
    if ak in ("gt", "gte", "lt", "lte"):
        if gk == "in":
            return bool(gv) and all(_satisfies(v, ak, av) for v in gv)
        return _bound_implies(gk, gv, ak, av)
    return False


# --- contradiction ------------------------------------------------------------------------------


_SYMBOL = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _contradiction(conj: Conj) -> str | None:
    """A short description of two conditions of ``conj`` that exclude each other, if any."""
    plain = sorted((a for a in conj if a[0] not in ("any", "opaque")), key=repr)
    for i, a in enumerate(plain):
        for b in plain[i + 1 :]:
            if a[1] == b[1] and (_excludes(a, b) or _excludes(b, a)):
                return " and ".join(sorted((_show(a), _show(b))))
    return None


def _excludes(a: Atom, b: Atom) -> bool:
    """No value satisfies both atoms (on the same fact)."""
    ak, av, bk, bv = a[0], a[2], b[0], b[2]
    if ak == "in" and bk == "in":
        return not (av & bv)
    if ak == "in" and bk == "not_in":
        return bool(av <= bv)
    if ak == "in" and bk in _SYMBOL:
        return bool(av) and all(isinstance(v, Decimal) and not _satisfies(v, bk, bv) for v in av)
    if ak == "present" and av is False:
        return (bk == "in" and None not in bv) or bk in _SYMBOL or (bk, bv) == ("present", True)
    if ak in ("gt", "gte") and bk in ("lt", "lte"):
        return bool(av > bv or (av == bv and (ak == "gt" or bk == "lt")))
    return False


def _show(a: Atom) -> str:
    kind, fact, value = a
    if kind in ("in", "not_in"):
        shown = ", ".join(sorted(str(v) for v in value))
        return f"{fact} {'is' if kind == 'in' else 'is not'} {shown}"
    if kind == "present":
        return f"{fact} is {'given' if value else 'absent'}"
    return f"{fact} {_SYMBOL[kind]} {value}"


def _satisfies(v: Any, op: str, bound: Decimal) -> bool:
    if not isinstance(v, Decimal):
        return False
    return {
        "gt": v > bound,
        "gte": v >= bound,
        "lt": v < bound,
        "lte": v <= bound,
    }[op]


def _bound_implies(gk: str, gv: Any, ak: str, av: Decimal) -> bool:
    """``x gk gv`` implies ``x ak av`` for every number x."""
    if not isinstance(gv, Decimal):
        return False
    lower = {"gt", "gte"}
    if gk in lower and ak in lower:
        return gv > av or (gv == av and not (gk == "gte" and ak == "gt"))
    if gk not in lower and ak not in lower:
        return gv < av or (gv == av and not (gk == "lte" and ak == "lt"))
    return False
