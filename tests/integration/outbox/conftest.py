"""The outbox tests' payouts belong to no refund case (see ``outbox_kit.caseless_payouts``),
except in a module that sets ``CASELESS = False`` and opens its cases itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outbox_kit import caseless_payouts


@pytest.fixture(autouse=True)
def _caseless(request: pytest.FixtureRequest) -> Iterator[None]:
    if not getattr(request.module, "CASELESS", True):
        yield
        return
    with caseless_payouts():
        yield
