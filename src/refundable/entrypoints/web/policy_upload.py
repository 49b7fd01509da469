"""The console's policy author: upload a new version of the tenant's policy (a YAML file or
text typed in the page) with its effective date, check it, and publish it.

Checking is the same compile the API's ``/v1/policies/validate`` runs: every problem with its
file:line at once. Publishing is the ``PublishPolicy`` command the API and CLI send, so the
bus re-checks everything, including the notice the customers were promised (MyProtektor 11:
a material change needs 30 days); a refusal comes back on the same page with the command's own
explanation and the text kept, so the author corrects it there. Only admins publish (the
API's ``/v1/policies/versions`` needs an admin key too); any staff member may check a draft.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from refundable.bootstrap import examples_dir
from refundable.core import limits
from refundable.core.errors import InputError, RefundableError, status_of
from refundable.entrypoints.web.pages import (
    MAX_FORM_FIELDS,
    Principal,
    Refused,
    form_key,
    require,
    staff,
    web_of,
)
from refundable.entrypoints.web.security import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER
from refundable.service import commands as c
from refundable.service import policy_tools as tools
from refundable.service.logins import Role
from refundable.service.tenant_reads import policy_report

router = APIRouter(prefix="/console")
Staff = Annotated[Principal, Depends(staff)]
UPLOAD_NAME = "upload.yaml"
_EFFECTIVE = re.compile(r"^effective_from:[^\n]*$", re.M)


async def checked_upload(request: Request) -> dict[str, str]:
    """The upload form's fields, with the file (if one was chosen) read as text under
    ``file`` and its name under ``file_name``; refused unless the CSRF token matches."""
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    submitted = fields.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER)
    if not web_of(request).signer.csrf_ok(request.cookies.get(CSRF_COOKIE), submitted):
        raise Refused("the form's security token is missing or stale: reload the page")
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(limits.MAX_DOCUMENT_BYTES + 1)
        if len(data) > limits.MAX_DOCUMENT_BYTES:
            most = f"{limits.MAX_DOCUMENT_BYTES:,} bytes"
            raise InputError(f"the file is larger than {most}", where="file",
                             allowed=f"a policy file of at most {most}")  # fmt: skip
        try:
            fields["file"] = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError("the file is not UTF-8 text", where="file",
                             allowed="a YAML policy file in UTF-8") from err  # fmt: skip
        fields["file_name"] = upload.filename.rsplit("/", 1)[-1][: limits.MAX_ID_LENGTH]
    return fields


Upload = Annotated[dict[str, str], Depends(checked_upload)]


def draft_of(form: dict[str, str]) -> tuple[str, str]:
    """The draft's text and file name: the chosen file, else the text area; with the form's
    effective date written into the document's ``effective_from`` when one was given."""
    text = form.get("file") or form.get("text", "")
    name = form.get("file_name") or UPLOAD_NAME
    if not text.strip():
        raise InputError("no policy was given", where="text",
                         allowed="a YAML policy file, or its text in the text area")  # fmt: skip
    given = form.get("effective_from", "").strip()
    if given:
        try:
            day = date.fromisoformat(given)
        except ValueError as err:
            raise InputError(f"{given[:20]!r} is not a date", where="effective_from",
                             allowed="a date like 2026-05-01") from err  # fmt: skip
        line = f"effective_from: {day.isoformat()}"
        text = _EFFECTIVE.sub(line, text, count=1) if _EFFECTIVE.search(text) else (
            text.rstrip("\n") + "\n" + line + "\n"
        )  # fmt: skip
    return text, name


def _notified_on(form: dict[str, str]) -> date | None:
    given = form.get("notified_on", "").strip()
    if not given:
        return None
    try:
        return date.fromisoformat(given)
    except ValueError as err:
        raise InputError(f"{given[:20]!r} is not a date", where="notified_on",
                         allowed="a date like 2026-04-01, or empty for today") from err  # fmt: skip


def upload_page(
    request: Request, who: Principal, ctx: dict[str, object], status: int = 200
) -> HTMLResponse:
    """The policy page, with the upload form's outcome (problems, a refusal, a check)."""
    web = web_of(request)
    now = web.app.clock.now()
    report = policy_report(web.app.bus, who.tenant_id, now, web.settings.resolved_policies_dir)
    return web.page(
        request, "console/policy.html", status, who=who, report=report, now=now,
        example=example_request(report.tenant.policy_id), can_publish=who.role.allows(Role.admin),
        nonce=secrets.token_hex(12), **ctx,
    )  # fmt: skip


def example_request(policy_id: str) -> str:
    """The first shipped example request of the policy, to start the preview form from."""
    files = sorted(examples_dir().glob(f"{policy_id}-*.yaml"))
    return files[0].read_text(encoding="utf-8") if files else f"policy: {policy_id}\n"


@router.post("/policy/versions", response_class=HTMLResponse)
def publish(request: Request, who: Staff, form: Upload) -> Response:
    """Check (``action=check``) or publish the uploaded version. Every problem, or the
    refusal (e.g. the notice period), is shown on the policy page with the text kept."""
    checking = form.get("action") == "check"
    if not checking:
        require(who, Role.admin)
    kept: dict[str, object] = {"upload_text": form.get("file") or form.get("text", ""),
            "upload_effective": form.get("effective_from", ""),
            "upload_notified": form.get("notified_on", "")}  # fmt: skip
    try:
        text, name = draft_of(form)
        kept["upload_text"] = text
        if checking:
            found = tools.check(text)
            return upload_page(
                request, who, {**kept, "checked": found.policy, "warnings": found.warnings}
            )
        cmd = c.PublishPolicy(who.tenant_id, form_key(form, "publish-policy"), text,
                              notified_on=_notified_on(form), file=name)  # fmt: skip
        receipt = web_of(request).app.bus.handle(cmd)
        web_of(request).previewer.forget(who.tenant_id)
    except RefundableError as err:
        return upload_page(request, who, {**kept, "upload_error": err}, status_of(err).http)
    return RedirectResponse(f"/console/policy?published={quote(receipt.ref or '')}", 303)
