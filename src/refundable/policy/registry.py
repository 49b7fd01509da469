"""The policies a deployment knows, by id and version, and which version is in force.

A request is decided by the version in force on the day it was made, in the policy's own
timezone (a version effective "2026-02-25" governs from local midnight that day); the decision
names that version. Policies are compiled once when the registry is built, never per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from refundable.core.errors import NoPolicyVersionInForce, NotFound, PolicyInvalid, Problem
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.loader import load_policy_file

SCENARIO_SUFFIX = ".scenarios.yaml"


def policy_files(root: Path) -> list[Path]:
    """Policy documents under ``root`` (a file or a directory); scenario files excluded."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.glob("*.yaml") if not p.name.endswith(SCENARIO_SUFFIX))


def files_named_for(files: Iterable[Path], policy_id: str) -> list[Path]:
    """The files whose name says they hold ``policy_id``: ``<id>.yaml``, or a further version
    ``<id>@<anything>.yaml`` / ``<id>-<anything>.yaml`` (docs/decisions/0022-start-up.md)."""
    return [
        p
        for p in files
        if p.stem == policy_id or p.stem.startswith((f"{policy_id}@", f"{policy_id}-"))
    ]


@dataclass
class PolicyRegistry:
    versions: dict[str, list[CompiledPolicy]] = field(default_factory=dict)

    @classmethod
    def from_policies(cls, policies: Iterable[CompiledPolicy]) -> PolicyRegistry:
        registry = cls()
        for p in policies:
            registry.add(p)
        return registry

    @classmethod
    def load(cls, root: Path, only: str | None = None) -> PolicyRegistry:
        """Compile every policy file under root; report the problems of all files at once.

        With ``only``, compile just the files named after that policy (a decision needs one
        policy, and compiling all of them was most of a cold start); when no file is named after
        it, or the named files hold other ids, fall back to compiling everything so the answer
        (the policy, or "unknown policy" with the list of ids) is the same either way.
        """
        files = policy_files(root)
        if only is not None:
            named = files_named_for(files, only)
            if named:
                found = cls._compile(named)
                if only in found.versions:
                    return found
        return cls._compile(files)

    @classmethod
    def _compile(cls, files: Iterable[Path]) -> PolicyRegistry:
        problems: list[Problem] = []
        compiled = []
        for path in files:
            try:
                compiled.append(load_policy_file(path))
            except PolicyInvalid as error:
                problems.extend(error.problems)
        if problems:
            raise PolicyInvalid(problems)
        return cls.from_policies(compiled)

    def add(self, policy: CompiledPolicy) -> None:
        history = self.versions.setdefault(policy.id, [])
        if any(v.effective_from == policy.effective_from for v in history):
            raise PolicyInvalid(
                [
                    Problem(
                        str(policy.path or policy.id),
                        None,
                        f"two versions of policy {policy.id!r} take effect on "
                        f"{policy.effective_from}",
                        "one version per effective date",
                    )
                ]
            )
        history.append(policy)
        history.sort(key=lambda v: v.effective_from)

    @property
    def ids(self) -> list[str]:
        return sorted(self.versions)

    def latest(self, policy_id: str) -> CompiledPolicy:
        return self._history(policy_id)[-1]

    def in_force(self, policy_id: str, at: datetime) -> CompiledPolicy:
        history = self._history(policy_id)
        chosen = None
        for version in history:  # few versions, oldest first: compare instants, no tz maths
            if version.starts_at <= at:
                chosen = version
        if chosen is None:
            local_day = at.astimezone(history[0].calendar.zone).date()
            raise NoPolicyVersionInForce(
                f"no version of policy {policy_id!r} was in force on {local_day}",
                where="requested_at",
                allowed=f"on or after {history[0].effective_from}",
            )
        return chosen

    def _history(self, policy_id: str) -> list[CompiledPolicy]:
        if policy_id not in self.versions:
            raise NotFound(
                f"unknown policy {policy_id!r}",
                where="policy",
                allowed=", ".join(self.ids) or "no policies loaded",
            )
        return self.versions[policy_id]
