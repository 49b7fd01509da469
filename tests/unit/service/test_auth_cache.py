"""The API's memory of checked keys (``ApiState``): refreshed ahead by one background check
while a busy key is answered from memory, and still hard-expired so a revocation takes
effect within ``AUTH_CACHE_SECONDS`` (issue 11, ADR 0058)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from refundable.core.errors import Unauthenticated
from refundable.entrypoints.api import state as state_module
from refundable.entrypoints.api.state import AUTH_CACHE_SECONDS, REFRESH_THREAD, ApiState
from refundable.service.access import ApiKey, Role, create_key

AT = datetime(2026, 11, 30, tzinfo=UTC)


class CountingKeys:
    """An in-memory key store that counts lookups and can hold them until released."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.finds = 0
        self.gate = threading.Event()
        self.gate.set()

    def add(self, key: ApiKey) -> None:
        self.keys[key.key_id] = key

    def find(self, key_id: str) -> ApiKey | None:
        self.finds += 1
        self.gate.wait(5)
        return self.keys.get(key_id)

    def of_tenant(self, tenant_id: str) -> list[ApiKey]:
        return [k for k in self.keys.values() if k.tenant_id == tenant_id]

    def revoke(self, tenant_id: str, key_id: str, at: datetime) -> bool:
        key = self.keys[key_id]
        self.keys[key_id] = ApiKey(key.key_id, key.tenant_id, key.role, key.name,
                                   key.secret_hash, key.created_at, at)  # fmt: skip
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(state_module.time, "monotonic", c)
    return c


def api_state(keys: CountingKeys) -> ApiState:
    unused: Any = None
    return ApiState(unused, unused, keys, unused, unused, unused, unused)


def checked_then_revoked() -> tuple[ApiState, str]:
    """A key checked once (so remembered), then revoked in the store."""
    keys = CountingKeys()
    token = create_key(keys, "t1", Role.agent, "k", AT)
    state = api_state(keys)
    state.principal(token)
    key_id = token.split("_", 1)[1].split(".", 1)[0]
    keys.revoke("t1", key_id, AT)
    return state, token


def wait_for_refreshes(state: ApiState) -> None:
    for t in threading.enumerate():
        if t.name == REFRESH_THREAD:
            t.join(5)
    assert not state._refreshing


def test_a_fresh_key_is_answered_from_memory_without_the_store(clock: Clock) -> None:
    keys = CountingKeys()
    token = create_key(keys, "t1", Role.agent, "k", AT)
    state = api_state(keys)
    assert state.remembered(token) is None
    assert state.principal(token).tenant_id == "t1"
    finds = keys.finds
    clock.now += AUTH_CACHE_SECONDS / 4
    for _ in range(50):
        assert state.remembered(token) is not None
    assert keys.finds == finds


def test_past_half_its_life_many_requests_start_one_refresh(clock: Clock) -> None:
    keys = CountingKeys()
    token = create_key(keys, "t1", Role.agent, "k", AT)
    state = api_state(keys)
    state.principal(token)
    finds = keys.finds
    keys.gate.clear()  # the refresh waits in the store while requests keep arriving
    clock.now += AUTH_CACHE_SECONDS * 0.75
    answers = [state.remembered(token) for _ in range(32)]
    assert all(a is not None and a.role is Role.agent for a in answers)
    keys.gate.set()
    wait_for_refreshes(state)
    assert keys.finds == finds + 1
    # remembered afresh from the refresh: valid a whole period after it
    clock.now += AUTH_CACHE_SECONDS * 0.9
    assert state.remembered(token) is not None


def test_a_refresh_that_finds_the_key_revoked_forgets_it_at_once(clock: Clock) -> None:
    state, token = checked_then_revoked()
    clock.now += AUTH_CACHE_SECONDS * 0.75
    assert state.remembered(token) is not None  # still inside its period
    wait_for_refreshes(state)
    assert state.remembered(token) is None
    with pytest.raises(Unauthenticated):
        state.principal(token)


def test_an_idle_key_past_its_period_is_checked_again_before_use(clock: Clock) -> None:
    state, token = checked_then_revoked()
    clock.now += AUTH_CACHE_SECONDS + 1  # nobody asked during the period: no refresh ran
    assert state.remembered(token) is None
    with pytest.raises(Unauthenticated):
        state.principal(token)
