"""Publishing a policy version: the only way a policy becomes binding for a tenant's money.

The first version registers the tenant (its currency and timezone are the policy's). Each
version is compiled, checked against the tenant's policy id and its published versions, and
scenario-tested when scenarios come with it, all before anything is written.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from refundable.core.errors import InputError
from refundable.policy.compiled import CompiledPolicy
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done
from refundable.tenants import model, notice


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
    plan = _notice_plan(cmd, ctx, compiled)
    told_on = plan.notified_at.astimezone(ZoneInfo(compiled.document.timezone)).date()
    version = model.version_of(
        cmd.tenant_id, compiled, cmd.text, told_on, ctx.now, plan.notified_at, plan.material
    )
    tenants.add_version(version)
    if plan.send and plan.notified_at >= ctx.now:  # a past notice was sent by the business
        ctx.repos.schedule.add([policy_notice_action(ctx.tenant_id, version, plan)])
    details = {Detail.policy_version: version.version, Detail.material: str(plan.material).lower()}
    return Done(ref=version.version, details=details)


def _notice_plan(cmd: c.PublishPolicy, ctx: Context, new: CompiledPolicy) -> notice.NoticePlan:
    """What the change owes customers under the notice terms of the version it replaces."""
    told = cmd.notified_at or _local_midnight(cmd.notified_on, new) or ctx.now
    replaced = notice.replaced_version(ctx.repos.tenants.versions(cmd.tenant_id), new)
    previous = None
    if replaced is not None:
        previous = ctx.catalog.compile(replaced.text, f"{cmd.tenant_id}/{replaced.version}")
    return notice.check_notice(previous, new, told, cmd.material, cmd.file)


def _local_midnight(day: date | None, policy: CompiledPolicy) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time(), ZoneInfo(policy.document.timezone))


def policy_notice_action(
    tenant_id: str, version: model.PolicyVersion, plan: notice.NoticePlan
) -> ScheduledAction:
    """The notice of a new version, sent when customers are to be told (ADR 0050)."""
    payload = {
        "policy": version.policy_id,
        "version": version.version,
        "effective_from": version.effective_from.isoformat(),
        "material": str(plan.material).lower(),
        "changed": ",".join(plan.changed),
        "clause": plan.clause or "",
        "channels": ",".join(plan.channels),
        "audience": "active_subscribers",
    }
    return ScheduledAction.new(
        tenant_id, ActionKind.policy_notice, version.version, plan.notified_at, payload
    )


def _new_tenant(cmd: c.PublishPolicy, policy_id: str, currency: str, timezone: str) -> model.Tenant:
    if not cmd.name:
        raise InputError(
            f"tenant {cmd.tenant_id} is new and needs a name",
            where="PublishPolicy.name",
            allowed="the business's name, e.g. 'Kero'",
        )
    return model.Tenant(cmd.tenant_id, cmd.name, policy_id, currency, timezone)
