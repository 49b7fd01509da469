"""Response shapes shared by every route: the problem document and the list envelope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from refundable.entrypoints.api.problems import PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details with the project's extension members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:refundable:problem:not_found"])
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="The stable error code (core/errors.py)")
    where: str | None = None
    allowed: str | None = None
    problems: list[str] | None = None
    request_id: str | None = None


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for these error statuses, all problem+json."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "A problem"}
        for status in statuses
    }


# What every authenticated route may answer besides its success.
AUTH_ERRORS = problems(401, 403, 422, 500)
WRITE_ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 422, 500, 503)
