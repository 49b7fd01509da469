"""`refundable cases ...`: refund cases for agents who live in a terminal.

list, show, open, answer, decide (approve / deny), override, withdraw, appeal, escalate,
uphold, accept, report. Every write takes ``--tenant`` and ``--key`` (the idempotency key: the
same line again replays, never repeats). Only translates: arguments in, one command to the
service, a line (or ``--json``) out; bad input is a one-line error with the status table's
exit code, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from refundable.core import limits
from refundable.core.errors import InputError, NotFound, RefundableError, status_of
from refundable.entrypoints.cli_jobs import _instant

if TYPE_CHECKING:
    from refundable.bootstrap import App
    from refundable.service.case_queries import CaseQueries
    from refundable.service.commands import Command

app = typer.Typer(no_args_is_help=True, help="Refund cases: intake, decisions, deadlines.")

T = TypeVar("T")
Db = Annotated[str | None, typer.Option("--db", help="database URL (default: REFUNDABLE_DB_URL)")]
Json = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
Tenant = Annotated[str, typer.Option("--tenant", help="the tenant (business) id")]
Key = Annotated[str, typer.Option("--key", help="idempotency key: a retry replays")]
At = Annotated[str, typer.Option("--at", help="when, ISO 8601 with offset")]
Actor = Annotated[str, typer.Option("--actor", help="who acts, e.g. agent:alice")]
Reason = Annotated[str, typer.Option("--reason", help="why (kept on the case's history)")]
Info = Annotated[list[str] | None, typer.Option("--info", help="an answer, key=value (repeat)")]


def _run(db: str | None, as_json: bool, body: Callable[[App], T]) -> T:
    from refundable.bootstrap import bootstrap

    try:
        wired = bootstrap(db)
        try:
            return body(wired)
        finally:
            wired.close()
    except RefundableError as error:
        _fail(error, as_json)


def _fail(error: RefundableError, as_json: bool) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": error.code, "message": str(error)}), err=True)
    else:
        typer.echo(f"error [{error.code}] {error}", err=True)
    raise typer.Exit(status_of(error).exit_code) from None


def _pairs(items: list[str] | None, where: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"{limits.echo(item)} is not key=value",
                where=where,
                allowed="e.g. --info explanation='charged twice'",
            )
        out[key.strip()] = value
    return out


def _facts(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"--facts is not JSON ({err.msg})",
            where="--facts",
            allowed='a JSON object, e.g. {"charge": {"kind": "subscription"}}',
        ) from None
    if not isinstance(found, dict):
        raise InputError("--facts must be a JSON object", where="--facts", allowed="{...}")
    return found


def _reads(wired: App) -> CaseQueries:
    if wired.cases_read is None:
        raise NotFound("this store keeps no cases", where="--db", allowed="a store at head")
    return wired.cases_read


def _send(db: str | None, as_json: bool, build: Callable[[], Command]) -> None:
    def body(wired: App) -> None:
        receipt = wired.bus.handle(build())
        details = {k.value: v for k, v in receipt.details.items()}
        if as_json:
            typer.echo(
                json.dumps(
                    {"case_id": receipt.ref, "replayed": receipt.replayed, **details},
                    sort_keys=True,
                )
            )
        else:
            extra = ", ".join(f"{k}: {v}" for k, v in sorted(details.items()) if k != "state")
            typer.echo(
                f"case {receipt.ref}: {details.get('state', '?')}"
                + (f" ({extra})" if extra else "")
                + (" [replayed]" if receipt.replayed else "")
            )

    _run(db, as_json, body)


@app.command("open")
def open_case(
    case_id: str,
    customer: Annotated[str, typer.Option("--customer")],
    tenant: Tenant,
    key: Key,
    at: At,
    reason: Annotated[str, typer.Option("--reason", help="e.g. duplicate_charge")],
    charge: Annotated[str | None, typer.Option("--charge")] = None,
    payment: Annotated[str | None, typer.Option("--payment")] = None,
    usage_event: Annotated[str | None, typer.Option("--usage-event")] = None,
    info: Info = None,
    facts: Annotated[str | None, typer.Option("--facts")] = None,
    actor: Actor = "agent:cli",
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Open a case about a stored charge, payment or usage event (or the account)."""
    from refundable.cases.model import Subject
    from refundable.policy.facts import Reason as Why
    from refundable.service import commands as c

    def build() -> Command:
        # --payment with --charge names where the money goes back; alone, it is the subject
        given = [
            (s, v) for s, v in ((Subject.charge, charge), (Subject.usage_event, usage_event)) if v
        ]
        if len(given) > 1:
            raise InputError(
                "a case is about one thing",
                where="--charge/--usage-event",
                allowed="one of them; --payment alone; or none for the account",
            )
        if not given and payment:
            given = [(Subject.payment, payment)]
        subject, subject_id = given[0] if given else (Subject.account, customer)
        if reason not in Why.__members__:
            raise InputError(
                f"unknown reason {limits.echo(reason)}",
                where="--reason",
                allowed=", ".join(Why.__members__),
            )
        pid = payment if charge else None
        return c.OpenCase(
            tenant,
            key,
            case_id,
            customer,
            subject,
            subject_id,
            Why(reason),
            _instant(at, "--at"),
            actor,
            _pairs(info, "--info"),
            _facts(facts),
            pid,
        )

    _send(db, as_json, build)


@app.command("answer")
def answer(
    case_id: str,
    tenant: Tenant,
    key: Key,
    at: At,
    info: Info = None,
    facts: Annotated[str | None, typer.Option("--facts")] = None,
    actor: Actor = "agent:cli",
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Give what a case asked for; it is decided again."""
    from refundable.service import commands as c

    _send(
        db,
        as_json,
        lambda: c.ProvideInformation(
            tenant, key, case_id, _instant(at, "--at"), actor, _pairs(info, "--info"), _facts(facts)
        ),
    )


def _judge(
    case_id: str,
    outcome: str,
    tenant: str,
    key: str,
    at: str,
    actor: str,
    factors: list[str] | None,
    note: str,
    as_json: bool,
    db: str | None,
) -> None:
    from refundable.policy.document import Outcome
    from refundable.service import commands as c

    _send(
        db,
        as_json,
        lambda: c.JudgeCase(
            tenant,
            key,
            case_id,
            Outcome(outcome),
            _instant(at, "--at"),
            actor,
            tuple(factors or ()),
            note,
        ),
    )


Factors = Annotated[list[str] | None, typer.Option("--factor", help="a factor weighed (repeat)")]
Note = Annotated[str, typer.Option("--note", help="the judgement in the agent's words")]


@app.command("decide")
def decide(
    case_id: str,
    outcome: Annotated[str, typer.Option("--outcome", help="approve or deny")],
    tenant: Tenant,
    key: Key,
    at: At,
    actor: Actor = "agent:cli",
    factors: Factors = None,
    note: Note = "",
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Record an agent's judgement of a case waiting in review."""
    if outcome not in ("approve", "deny"):
        _fail(
            InputError(
                f"outcome {limits.echo(outcome)}", where="--outcome", allowed="approve, deny"
            ),
            as_json,
        )
    _judge(case_id, outcome, tenant, key, at, actor, factors, note, as_json, db)


def _judgement(outcome: str, doc: str) -> None:
    """``approve`` and ``deny``: ``decide`` with the outcome in the command's name."""

    def command(
        case_id: str,
        tenant: Tenant,
        key: Key,
        at: At,
        actor: Actor = "agent:cli",
        factors: Factors = None,
        note: Note = "",
        as_json: Json = False,
        db: Db = None,
    ) -> None:
        _judge(case_id, outcome, tenant, key, at, actor, factors, note, as_json, db)

    command.__doc__ = doc
    app.command(outcome)(command)


_judgement("approve", "Approve a case waiting in review.")
_judgement("deny", "Deny a case waiting in review.")


@app.command("override")
def override(
    case_id: str,
    outcome: Annotated[str, typer.Option("--outcome")],
    reason: Reason,
    tenant: Tenant,
    key: Key,
    at: At,
    actor: Actor = "agent:cli",
    remedy: Annotated[str | None, typer.Option("--remedy")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="e.g. 'ZAR 300.00'")] = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Replace a case's decision, with a reason; the original is kept."""
    from refundable.core.money import Money
    from refundable.policy.document import Outcome, Remedy
    from refundable.service import commands as c

    def build() -> Command:
        if outcome not in ("approve", "deny"):
            raise InputError(
                f"outcome {limits.echo(outcome)}", where="--outcome", allowed="approve, deny"
            )
        if remedy is not None and remedy not in Remedy.__members__:
            raise InputError(
                f"remedy {limits.echo(remedy)}",
                where="--remedy",
                allowed=", ".join(Remedy.__members__),
            )
        money = None
        if amount is not None:
            cur, _, value = amount.partition(" ")
            money = Money.of(value, cur, "--amount")
        return c.OverrideDecision(
            tenant,
            key,
            case_id,
            Outcome(outcome),
            reason,
            _instant(at, "--at"),
            actor,
            Remedy(remedy) if remedy else None,
            money,
        )

    _send(db, as_json, build)


def _simple(name: str, doc: str) -> None:
    def command(
        case_id: str,
        tenant: Tenant,
        key: Key,
        at: At,
        actor: Actor = "agent:cli",
        reason: Annotated[str, typer.Option("--reason")] = "",
        as_json: Json = False,
        db: Db = None,
    ) -> None:
        from refundable.service import commands as c

        cls = {
            "withdraw": c.WithdrawCase,
            "appeal": c.AppealCase,
            "escalate": c.EscalateCase,
            "uphold": c.UpholdDecision,
            "accept": c.AcceptSettlement,
        }[name]
        _send(db, as_json, lambda: cls(tenant, key, case_id, _instant(at, "--at"), actor, reason))

    command.__doc__ = doc
    app.command(name)(command)


_simple("withdraw", "Withdraw a case before money moves.")
_simple("appeal", "Appeal a decision, where the policy allows it.")
_simple("escalate", "Move an appeal to its next stage (escalation, mediation).")
_simple("uphold", "End an appeal: the decision stands.")
_simple("accept", "Record the customer's acceptance of a settlement refund.")


# The read commands (list, show, report, evidence) register on the same group.
from refundable.entrypoints import cli_cases_read  # noqa: E402

__all__ = ["app", "cli_cases_read"]
