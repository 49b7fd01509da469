"""Tenants and their policy catalog: publishing (validated, scenario-tested, immutable), the
version in force at an instant, the shipped policies as demo tenants, deciding for a tenant."""

from __future__ import annotations

from datetime import datetime

import pytest

from fakes import T0, TENANT, acme_policy_text, memory_app
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.errors import (
    Conflict,
    InputError,
    NoPolicyVersionInForce,
    NotFound,
    PolicyInvalid,
)
from refundable.core.time import FixedClock
from refundable.policy.requests import parse_request
from refundable.service import commands as c
from refundable.service.decisions import decide_for_tenant
from refundable.service.seed import seed_demo_tenants


def _version(text: str, effective: str, name: str) -> str:
    return text.replace("effective_from: 2025-10-25", f"effective_from: {effective}").replace(
        'version: "2025-10-25"', f'version: "{name}"'
    )


def test_the_first_version_registers_the_tenant_with_the_policys_currency_and_zone() -> None:
    app = memory_app()
    with app.ledger.uow_factory() as uow:
        tenants = uow.repositories(TENANT).tenants
        tenant = tenants.get(TENANT)
        [version] = tenants.versions(TENANT)
    assert tenant is not None
    assert (tenant.name, tenant.policy_id, tenant.currency, tenant.timezone) == (
        "Acme", "conek", "ZAR", "Africa/Johannesburg",
    )  # fmt: skip
    assert (version.version, version.published_at) == ("2025-10-25", T0)


def test_the_catalog_answers_the_version_in_force_at_an_instant() -> None:
    app = memory_app()
    v2 = _version(acme_policy_text(), "2026-04-01", "2026-04")
    app.ledger.handle(c.PublishPolicy(TENANT, "v2", v2, notified_on=T0.date()))
    with app.ledger.uow_factory() as uow:
        tenants = uow.repositories(TENANT).tenants
        march = app.catalog.in_force(tenants, TENANT, T0)
        # local midnight in Johannesburg is 22:00 UTC the day before
        midnight = datetime.fromisoformat("2026-04-01T00:00+02:00")
        april = app.catalog.in_force(tenants, TENANT, midnight)
        with pytest.raises(NoPolicyVersionInForce, match="on or after"):
            app.catalog.in_force(tenants, TENANT, datetime.fromisoformat("2025-01-01T00:00+00:00"))
        with pytest.raises(NotFound, match="no tenant 'ghost'"):
            app.catalog.in_force(tenants, "ghost", T0)
    assert (march.version, april.version) == ("2025-10-25", "2026-04")
    assert app.catalog.in_force is not None and march is app.catalog.compile(
        acme_policy_text(), "x"
    )


def test_a_published_version_is_immutable_and_must_be_the_tenants_policy() -> None:
    app = memory_app()
    changed = acme_policy_text().replace("valid_days: 30", "valid_days: 31")
    with pytest.raises(Conflict, match="already published and cannot change"):
        app.ledger.handle(c.PublishPolicy(TENANT, "again", changed))
    kero = (shipped_policies_dir() / "kero.yaml").read_text()
    with pytest.raises(InputError, match="version of policy 'kero', not of 'conek'"):
        app.ledger.handle(c.PublishPolicy(TENANT, "kero", kero))
    with pytest.raises(PolicyInvalid):
        app.ledger.handle(c.PublishPolicy(TENANT, "broken", "policy: [unclosed"))
    with app.ledger.uow_factory() as uow:
        assert len(uow.repositories(TENANT).tenants.versions(TENANT)) == 1


def test_scenarios_given_with_a_version_must_pass() -> None:
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    text = (shipped_policies_dir() / "conek.yaml").read_text()
    good = (shipped_policies_dir() / "conek.scenarios.yaml").read_text()
    bad = good.replace('net: "499.00"', 'net: "498.00"', 1)
    with pytest.raises(PolicyInvalid, match="scenario failed"):
        app.ledger.handle(c.PublishPolicy("conek", "p1", text, name="Conek", scenarios=bad))
    done = app.ledger.handle(c.PublishPolicy("conek", "p2", text, name="Conek", scenarios=good))
    assert done.ref == "2025-10-25"


def test_the_shipped_policies_seed_four_demo_tenants_idempotently() -> None:
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    first = seed_demo_tenants(app.ledger, shipped_policies_dir())
    again = seed_demo_tenants(app.ledger, shipped_policies_dir())
    assert [r.ref for r in first] == [r.ref for r in again] and all(r.replayed for r in again)
    with app.ledger.uow_factory() as uow:
        tenants = uow.repositories("kero").tenants
        found = {t: tenants.get(t) for t in ("conek", "kelbix", "kero", "myprotektor")}
    assert all(found.values()) and found["kero"].currency == "USD"  # type: ignore[union-attr]


def test_deciding_for_a_tenant_refuses_a_request_naming_another_policy() -> None:
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    seed_demo_tenants(app.ledger, shipped_policies_dir())
    request = parse_request(
        {
            "policy": "conek",
            "requested_at": "2026-03-03T10:00:00+02:00",
            "reason": "duplicate_charge",
        }
    )
    with app.ledger.uow_factory() as uow:
        tenants = uow.repositories("kero").tenants
        kero, policy = tenants.get("kero"), app.catalog.in_force(tenants, "kero", T0)
    assert kero is not None
    with pytest.raises(InputError, match="tenant kero runs 'kero'"):
        decide_for_tenant(kero, policy, request)
