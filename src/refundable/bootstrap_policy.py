"""Wiring for the decision side: where the shipped policies and examples live, and the one
call that resolves the version in force and decides. (Merged into bootstrap.py's scope: the
only place configuration becomes objects.)"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from refundable.policy.decision import Decision
from refundable.policy.engine import decide as decide_request
from refundable.policy.facts import Request
from refundable.policy.registry import PolicyRegistry

REPO_ROOT = Path(__file__).resolve().parents[2]


def policies_dir() -> Path:
    """REFUNDABLE_POLICIES, else ./policies when it exists, else the shipped policies."""
    configured = os.environ.get("REFUNDABLE_POLICIES")
    if configured:
        return Path(configured)
    local = Path.cwd() / "policies"
    return local if local.is_dir() else REPO_ROOT / "policies"


def examples_dir() -> Path:
    local = Path.cwd() / "examples" / "requests"
    return local if local.is_dir() else REPO_ROOT / "examples" / "requests"


@lru_cache(maxsize=8)
def _load(root: Path) -> PolicyRegistry:
    return PolicyRegistry.load(root)


def registry(root: Path | None = None) -> PolicyRegistry:
    """The compiled policies under root (compiled once per process)."""
    return _load((root or policies_dir()).resolve())


def decide(reg: PolicyRegistry, request: Request) -> Decision:
    """Decide under the policy version in force when the request was made."""
    return decide_request(reg.in_force(request.policy, request.requested_at), request)
