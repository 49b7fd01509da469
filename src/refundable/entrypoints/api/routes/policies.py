"""``/v1/policies``: a policy author's loop over HTTP: validate a draft (every problem with
file:line), run its scenarios, see which clauses they cover, publish it as a new version (the
bus re-checks all of that), and list the published versions."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.core import limits
from refundable.entrypoints.api.auth import Admin, Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS
from refundable.entrypoints.api.routes.common import (
    Body,
    Listing,
    ListOf,
    State,
    command_key,
    page_in_process,
    run,
)
from refundable.service import commands as c
from refundable.service import policy_tools as tools
from refundable.tenants.model import PolicyVersion

router = APIRouter(prefix="/v1/policies", tags=["policies"], route_class=IdempotentRoute)
Document = Field(max_length=limits.MAX_DOCUMENT_BYTES, description="YAML text")


class DraftIn(Body):
    text: str = Document


class DraftWithScenarios(DraftIn):
    scenarios: str = Document


class PublishIn(DraftIn):
    scenarios: str | None = Document
    notified_on: date | None = Field(None, description="When customers were told of it")


class Validated(BaseModel):
    object: Literal["policy_check"] = "policy_check"
    valid: bool
    policy: str
    version: str
    effective_from: str
    rules: int
    clauses: int
    warnings: list[dict[str, Any]]


class ScenarioOut(BaseModel):
    name: str
    line: int
    passed: bool
    mismatches: list[str]
    outcome: str | None


class ScenariosOut(BaseModel):
    object: Literal["scenario_run"] = "scenario_run"
    policy: str
    version: str
    passed: int
    failed: int
    results: list[ScenarioOut]


class CoverageOut(BaseModel):
    object: Literal["coverage"] = "coverage"
    policy: str
    version: str
    clauses: list[dict[str, Any]]


class VersionOut(BaseModel):
    object: Literal["policy_version"] = "policy_version"
    id: str
    policy: str
    effective_from: str
    starts_at: str
    notified_on: str | None
    published_at: str
    digest: str


def version_out(v: PolicyVersion) -> VersionOut:
    return VersionOut(
        id=v.version,
        policy=v.policy_id,
        effective_from=v.effective_from.isoformat(),
        starts_at=v.starts_at.isoformat(),
        notified_on=v.notified_on.isoformat() if v.notified_on else None,
        published_at=v.published_at.isoformat(),
        digest=v.digest,
    )


def _validate(text: str) -> Validated:
    found = tools.check(text)
    p = found.policy
    return Validated(
        valid=True,
        policy=p.id,
        version=p.version,
        effective_from=p.effective_from.isoformat(),
        rules=len(p.rules),
        clauses=len(p.document.clauses),
        warnings=found.warnings,
    )


def _scenarios(text: str, scenarios: str) -> ScenariosOut:
    policy = tools.check(text).policy
    results = tools.run_scenarios(policy, scenarios)
    out = [
        ScenarioOut(
            name=r.name,
            line=r.line,
            passed=r.passed,
            mismatches=list(r.mismatches),
            outcome=r.decision.outcome.value if r.decision else None,
        )
        for r in results
    ]
    passed = sum(r.passed for r in results)
    return ScenariosOut(
        policy=policy.id,
        version=policy.version,
        passed=passed,
        failed=len(results) - passed,
        results=out,
    )


def _coverage(text: str, scenarios: str) -> CoverageOut:
    policy = tools.check(text).policy
    rows = tools.clause_coverage(policy, tools.run_scenarios(policy, scenarios))
    return CoverageOut(
        policy=policy.id, version=policy.version, clauses=[r.to_dict() for r in rows]
    )


@router.post("/validate", response_model=Validated, responses=WRITE_ERRORS)
async def validate(body: DraftIn, who: Reader) -> Any:
    """Check a draft: every problem with its line (422 ``policy_invalid``), and warnings for
    rules another rule always pre-empts or that can never match."""
    return await run_in_threadpool(_validate, body.text)


@router.post("/scenarios", response_model=ScenariosOut, responses=WRITE_ERRORS)
async def scenarios(body: DraftWithScenarios, who: Reader) -> Any:
    """Run a scenario file against a draft: each scenario passed or why not."""
    return await run_in_threadpool(_scenarios, body.text, body.scenarios)


@router.post("/coverage", response_model=CoverageOut, responses=WRITE_ERRORS)
async def clause_coverage(body: DraftWithScenarios, who: Reader) -> Any:
    """Clause by clause: implemented by which rules, exercised by which scenarios."""
    return await run_in_threadpool(_coverage, body.text, body.scenarios)


@router.post("/versions", status_code=201, response_model=VersionOut, responses=WRITE_ERRORS)
async def publish(body: PublishIn, request: Request, who: Admin, state: State) -> Any:
    """Publish a new version of the tenant's policy: it must compile, be the tenant's policy,
    pass the scenarios given with it, and use a new name and effective date."""
    receipt = await run(
        state,
        c.PublishPolicy(
            who.tenant_id,
            command_key(request),
            body.text,
            notified_on=body.notified_on,
            scenarios=body.scenarios,
            file="upload.yaml",
        ),
    )
    state.previewer.forget(who.tenant_id)
    versions = await run_in_threadpool(_versions, state, who.tenant_id)
    return version_out(next(v for v in versions if v.version == receipt.ref))


@router.get("/versions", response_model=ListOf[VersionOut], responses=AUTH_ERRORS)
async def list_versions(request: Request, who: Reader, state: State, page: Listing) -> Any:
    """The tenant's published versions, oldest first (``starting_after`` a version name)."""
    versions = await run_in_threadpool(_versions, state, who.tenant_id)
    return page_in_process(versions, lambda v: v.version, page, request.url.path, version_out)


def _versions(state: State, tenant: str) -> list[PolicyVersion]:
    with state.app.bus.read_uow_factory() as uow:
        return uow.repositories(tenant).tenants.versions(tenant)
