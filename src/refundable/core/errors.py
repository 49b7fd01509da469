"""One exception tree with stable error codes.

Two channels for trouble (STYLE.md §6): expected business outcomes are data (a denial is a
Decision; a bad policy file is a list of problems), while bad input and broken invariants raise
one of these. Each class carries a stable ``code`` that API clients and scripts can rely on, and
each subclasses the matching builtin so generic handlers still work (the immoney habit).
The single table ``STATUS`` maps every code to an HTTP status and a CLI exit code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


class RefundableError(Exception):
    """Base of every error this project raises on purpose.

    ``where`` says where the problem is (a field path, a file:line), ``allowed`` what would have
    been accepted. Messages read as one sentence a person can act on.
    """

    code: ClassVar[str] = "refundable_error"

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        allowed: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.where = where
        self.allowed = allowed
        self.details = dict(details or {})
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [f"{self.where}: {self.message}" if self.where else self.message]
        if self.allowed:
            parts.append(f"allowed: {self.allowed}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.where:
            body["where"] = self.where
        if self.allowed:
            body["allowed"] = self.allowed
        if self.details:
            body["details"] = self.details
        return body


class InputError(RefundableError, ValueError):
    """A request, command or argument that does not fit the contract. Nothing was written."""

    code = "invalid_input"


class CurrencyError(InputError):
    """An unknown currency code, or two currencies mixed where one is required."""

    code = "currency_error"


class FxRateMissing(InputError):
    """A conversion was needed and the caller supplied no rate for the pair."""

    code = "fx_rate_missing"


class PolicyInvalid(RefundableError, ValueError):
    """A policy document with problems; ``problems`` lists every one of them at once."""

    code = "policy_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0].render() if problems else "no problems reported"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}", details={"problems": [p.render() for p in problems]})


class NotFound(RefundableError, LookupError):
    code = "not_found"


class NoPolicyVersionInForce(RefundableError, LookupError):
    code = "no_policy_version_in_force"


class Conflict(RefundableError):
    """The state forbids the command (e.g. an idempotency key reused with another payload)."""

    code = "conflict"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class LedgerRefused(RefundableError, ValueError):
    """The ledger refuses a movement that would break one of its rules. Nothing was written."""

    code = "ledger_refused"


class InsufficientFunds(LedgerRefused):
    code = "insufficient_funds"


class LotExpired(LedgerRefused):
    code = "lot_expired"


class TransferNotAllowed(LedgerRefused):
    code = "transfer_not_allowed"


class OverRefund(LedgerRefused):
    code = "over_refund"


class ImmutableEntry(LedgerRefused):
    code = "immutable_entry"


class InvariantBroken(RefundableError, AssertionError):
    """A rule of the system itself failed: a bug, never a user mistake."""

    code = "invariant_broken"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a document a person wrote: where, what, and what is allowed."""

    file: str
    line: int | None
    message: str
    allowed: str | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.message}"
        return f"{text} (allowed: {self.allowed})" if self.allowed else text


@dataclass(frozen=True, slots=True)
class Status:
    http: int
    exit_code: int


# The one table from error code to HTTP status and CLI exit code.
STATUS: dict[str, Status] = {
    RefundableError.code: Status(500, 1),
    InputError.code: Status(422, 2),
    CurrencyError.code: Status(422, 2),
    FxRateMissing.code: Status(422, 2),
    PolicyInvalid.code: Status(422, 3),
    NotFound.code: Status(404, 4),
    NoPolicyVersionInForce.code: Status(422, 4),
    Conflict.code: Status(409, 5),
    IdempotencyConflict.code: Status(409, 5),
    LedgerRefused.code: Status(422, 6),
    InsufficientFunds.code: Status(422, 6),
    LotExpired.code: Status(422, 6),
    TransferNotAllowed.code: Status(422, 6),
    OverRefund.code: Status(422, 6),
    ImmutableEntry.code: Status(409, 6),
    InvariantBroken.code: Status(500, 70),
}


def status_of(error: RefundableError) -> Status:
    return STATUS.get(error.code, STATUS[RefundableError.code])


# --- storage: errors raised at the storage boundary ------------------------------


class AlreadyReversed(ImmutableEntry, Conflict):
    """A second reversal of one entry (also the losers of concurrent reversals)."""

    code = "already_reversed"


class LimitExceeded(InputError):
    """A value past one of ``core.limits`` reached the store (an amount, a balance, an id's
    length, an instant); refused before anything was written."""

    code = "limit_exceeded"


class StoreBusy(Conflict):
    """The store stayed locked by other writers past the bounded wait; try again later."""

    code = "store_busy"


class SchemaOutOfDate(RefundableError):
    """The database schema is not at this version's migrations (run ``refundable db upgrade``)."""

    code = "schema_out_of_date"


# --- request input: text that cannot be read safely, numbers past the limits ------------


class InputTooLarge(InputError):
    """Input past a size, nesting or alias limit (core/limits.py); refused before parsing."""

    code = "input_too_large"


class InputNotText(InputError):
    """Input that is not UTF-8 text (binary data, another encoding)."""

    code = "input_not_text"


class MalformedInput(InputError):
    """Text that is not valid JSON or YAML, or YAML that uses what requests may not
    (duplicate keys, a list or map as a key, tags)."""

    code = "malformed_input"


class OutOfRange(InputError):
    """A number, date or instant outside the bounds of core/limits.py."""

    code = "out_of_range"


class PolicyMismatch(InputError):
    """The policy named on the command line and the one named in the request disagree."""

    code = "policy_mismatch"


STATUS.update(
    {
        SchemaOutOfDate.code: Status(503, 69),
        AlreadyReversed.code: Status(409, 5),
        LimitExceeded.code: Status(422, 2),
        StoreBusy.code: Status(503, 75),
        InputTooLarge.code: Status(413, 2),
        InputNotText.code: Status(415, 2),
        MalformedInput.code: Status(400, 2),
        OutOfRange.code: Status(422, 2),
        PolicyMismatch.code: Status(422, 2),
    }
)


# --- package and command line -----------------------------------------------------------


class ConfigurationError(RefundableError):
    """The deployment is set up in a way that cannot work (a missing optional extra, a database
    URL of an unknown kind). Fixed by the operator, not by changing the request."""

    code = "configuration_error"


class StoreUnavailable(RefundableError):
    """The database could not be opened or is not a Refundable database. Nothing was written."""

    code = "store_unavailable"


STATUS[ConfigurationError.code] = Status(500, 78)  # sysexits EX_CONFIG
STATUS[StoreUnavailable.code] = Status(503, 69)  # sysexits EX_UNAVAILABLE


# --- billing lifecycle -----------------------------------------------------------
class TransitionRefused(Conflict):
    """A lifecycle event that the subscription's state or its policy does not allow now
    (an upgrade of a terminated subscription, reactivation with fees outstanding)."""

    code = "transition_refused"


STATUS[TransitionRefused.code] = Status(409, 5)


# --- policy changes with notice (ADR 0050) ----------------------------------------
class NoticeTooShort(Conflict):
    """A material change of a policy published, or a plan or the service discontinued
    (MyProtektor 10.2), to take effect before the notice its customers were promised has
    run. Nothing was written."""

    code = "notice_too_short"


STATUS[NoticeTooShort.code] = Status(409, 5)


# --- the HTTP API: access and idempotency (ADR 0058) --------------------------------------
class Unauthenticated(RefundableError):
    """No API key, or one that is unknown, malformed or revoked (never said which)."""

    code = "unauthenticated"


class Forbidden(RefundableError):
    """A valid key whose role does not allow this operation."""

    code = "forbidden"


class IdempotencyKeyReused(InputError):
    """An ``Idempotency-Key`` sent again with another request than the first."""

    code = "idempotency_key_reused"


class RequestInFlight(Conflict):
    """An ``Idempotency-Key`` whose first request is still running."""

    code = "request_in_flight"


STATUS.update(
    {
        Unauthenticated.code: Status(401, 77),  # sysexits EX_NOPERM
        Forbidden.code: Status(403, 77),
        IdempotencyKeyReused.code: Status(422, 2),
        RequestInFlight.code: Status(409, 5),
    }
)
