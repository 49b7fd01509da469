"""Publishing a policy version: the only way a policy becomes binding for a tenant's money.

The first version registers the tenant (its currency and timezone are the policy's). Each
version is compiled, checked against the tenant's policy id and its published versions, and
scenario-tested when scenarios come with it, all before anything is written.
"""

from __future__ import annotations

from refundable.core.errors import InputError
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done
from refundable.tenants import model


def publish_policy(cmd: c.PublishPolicy, ctx: Context) -> Done:
    compiled = ctx.catalog.compile(cmd.text, cmd.file)
    tenants = ctx.repos.tenants
    tenant = tenants.get(cmd.tenant_id)
    if tenant is None:
        doc = compiled.document
        tenant = _new_tenant(cmd, compiled.id, doc.currency, doc.timezone)
        tenants.add(tenant)
    model.check_publishable(tenant, compiled, tenants.versions(cmd.tenant_id), cmd.file)
    if cmd.scenarios is not None:
        failures = model.run_scenarios(compiled, cmd.scenarios, f"{cmd.file} scenarios")
        if failures:
            raise model.scenario_failure(failures, cmd.file)
    version = model.version_of(cmd.tenant_id, compiled, cmd.text, cmd.notified_on, ctx.now)
    tenants.add_version(version)
    return Done(ref=version.version, details={Detail.policy_version: version.version})


def _new_tenant(cmd: c.PublishPolicy, policy_id: str, currency: str, timezone: str) -> model.Tenant:
    if not cmd.name:
        raise InputError(
            f"tenant {cmd.tenant_id} is new and needs a name",
            where="PublishPolicy.name",
            allowed="the business's name, e.g. 'Kero'",
        )
    return model.Tenant(cmd.tenant_id, cmd.name, policy_id, currency, timezone)
