"""A unit of work's repositories are made when first read (``uow._OnFirstUse``): each member
is the same object on every read of one ``repositories`` call, a new one in the next call
(what ``SqlTenants`` remembers is one command's), of the kind the store always gave, and a
name that is no repository is refused as before."""

from __future__ import annotations

import dataclasses

import pytest

from refundable.adapters.db import uow as sql_uow
from refundable.adapters.db.uow import SqlUnitOfWork
from refundable.bootstrap import App
from refundable.service.ports import Repositories

MEMBERS = [f.name for f in dataclasses.fields(Repositories) if f.name != "tenant_id"]


def test_every_member_has_a_maker_or_is_made_up_front() -> None:
    assert set(MEMBERS) == set(sql_uow._MADE_ON_FIRST_USE) | {"cases", "outbox"}


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_members_are_made_once_per_call_and_never_shared(app: App, tenant: str) -> None:
    with SqlUnitOfWork(app.db, app.clock) as uow:
        first, second = uow.repositories(tenant), uow.repositories(tenant)
        assert isinstance(first, Repositories) and first.tenant_id == tenant
        for name in MEMBERS:
            made = getattr(first, name)
            assert getattr(first, name) is made  # made once, kept
            assert getattr(second, name) is not made  # the next call's own
            assert made.tenant_id == tenant
            kind = sql_uow._MADE_ON_FIRST_USE.get(name)
            assert kind is None or type(made) is kind
        # the memo of one call's tenants is not the other's
        assert first.tenants.get(tenant) == second.tenants.get(tenant)
        assert first.tenants._seen is not second.tenants._seen
        with pytest.raises(AttributeError):
            first.not_a_repository  # noqa: B018
        with pytest.raises(dataclasses.FrozenInstanceError):
            first.receipts = second.receipts  # type: ignore[misc]
