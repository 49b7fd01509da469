"""A limit on everything (TIGER_STYLE): the bounds every input is checked against.

One table, so the parsers, the commands, the storage types and the docs agree. A value past a
limit is refused where it enters (request parser, command constructor, policy loader) with an
``InputError`` naming the limit; the storage columns are sized to hold every value the limits
allow (``docs/limits.md``). Change a number here and the checks, the columns and the docs follow.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

# Money: at most 10^15 major units (a quadrillion) in any currency. With up to 4 minor digits
# (ISO-4217 maximum in use, e.g. CLF, UYW) the minor-unit integer stays below 10^19 and fits a
# signed 64-bit column (9.22e18) with room for sums of many such amounts in NUMERIC columns.
MAX_AMOUNT: Final = Decimal("1000000000000000")  # 10^15 major units, exclusive
MAX_AMOUNT_MINOR: Final = 10**18  # minor units of a single amount, exclusive
MAX_MINOR_DIGITS: Final = 4

# Message credits and other units: whole, non-negative, below 10^12 per movement.
MAX_UNITS: Final = 10**12

# Priorities of credit lots (lower is consumed first) fit a signed 32-bit column.
MIN_PRIORITY: Final = -(2**31)
MAX_PRIORITY: Final = 2**31 - 1

# Identifiers supplied by callers (customer, charge, payment, event, dispute, idempotency keys).
# Derived ids (e.g. a hold named after its dispute) are hashed when they would grow past this.
MAX_ID_LENGTH: Final = 64
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"

# Free text (reasons, notes, names): bounded, and never echoed whole in an error.
MAX_TEXT_LENGTH: Final = 2000
MAX_ECHO_LENGTH: Final = 80

# Batches and lists.
MAX_BATCH_EVENTS: Final = 100_000
MAX_LIST_ITEMS: Final = 1_000

# Documents parsed from text: size and nesting before parsing, alias expansion while parsing.
MAX_DOCUMENT_BYTES: Final = 1_000_000
MAX_NESTING_DEPTH: Final = 32
MAX_YAML_ALIASES: Final = 100

# Time: instants from 1970 to 2199; business-day counts a policy may name.
MIN_YEAR: Final = 1970
MAX_YEAR: Final = 2199
MAX_BUSINESS_DAYS: Final = 3660
MAX_CALENDAR_DAYS: Final = 36600

# Exchange rates accepted from callers: positive, between 10^-9 and 10^9.
MIN_FX_RATE: Final = Decimal("0.000000001")
MAX_FX_RATE: Final = Decimal("1000000000")

# Policy parameters and percentages.
MAX_PERCENT: Final = Decimal(100)


def echo(value: object) -> str:
    """A value as it may appear in an error message: printable and at most MAX_ECHO_LENGTH."""
    text = "".join(ch if ch.isprintable() else "?" for ch in repr(value))
    return text if len(text) <= MAX_ECHO_LENGTH else text[: MAX_ECHO_LENGTH - 1] + "…"


# --- storage: what the columns hold; see docs/limits.md and ADR 0032 -------------
# An account balance stays within ±MAX_BALANCE_MINOR. With every single amount below
# MAX_AMOUNT_MINOR, balance + amount stays below 5 * 10^18 < 2^63 - 1, so the 64-bit columns of
# both stores never overflow (SQLite would silently turn the sum into a float). The database
# refuses a balance past the limit (CHECK on PostgreSQL, a trigger on SQLite).
MAX_BALANCE_MINOR: Final = 4 * 10**18
# Ids the store derives (account codes, line references, event-scoped keys) fit this column.
MAX_STORED_ID_LENGTH: Final = 200
# Instants are stored as microseconds since 1970; these bounds follow MIN_YEAR and MAX_YEAR.
MIN_INSTANT_US: Final = 0  # 1970-01-01T00:00:00Z
MAX_INSTANT_US: Final = 7_258_118_400_000_000 - 1  # before 2200-01-01T00:00:00Z


# --- request input ----------------------------------------------------------------------
# Nodes a YAML document may hold once its aliases are expanded (an alias bomb of 1 KB would
# otherwise expand to billions), and the longest literal a number, amount or instant may be.
MAX_EXPANDED_NODES: Final = 100_000
MAX_NUMBER_CHARS: Final = 40


# --- currencies -----------------------------------------------------------------------------
# A currency withdrawn from ISO 4217 less than this many months before the ISO list's
# publication stays accepted, so charges made before a changeover can still be refunded.
CURRENCY_WITHDRAWN_GRACE_MONTHS: Final = 24

# --- policy parsing ---------------------------------------------------------------------
# Values a YAML document may expand to once aliases are followed (an alias bomb of 1.4 KB
# would otherwise expand to millions); a policy of 500 lines holds about 3,000.
MAX_YAML_NODES: Final = 100_000
# Hours a time window or promise may name: as many as MAX_CALENDAR_DAYS.
MAX_HOURS: Final = MAX_CALENDAR_DAYS * 24

# --- billing lifecycle ---------------------------------------------------------
# Days a lifecycle rule may name (notice, grace, retention, trial): ten years.
MAX_LIFECYCLE_DAYS: Final = 3660
# Dunning notices one failed payment may schedule.
MAX_DUNNING_STEPS: Final = 12

# --- balance checkpoints (ADR 0040) ----------------------------------------------
# Lines of one account between two checkpoints: a balance as of any instant sums at most the
# tenant's entries in one such stretch (plus those recorded since the last checkpoint job).
CHECKPOINT_EVERY_LINES: Final = 1000
# A checkpoint counts only entries recorded this long before the job ran: a posting still in
# flight (its transaction not yet committed) is counted after the checkpoint, never lost.
CHECKPOINT_GRACE_US: Final = 10 * 60 * 1_000_000
# Movements one statement page shows (the newest ones): a statement read costs the page, not
# the customer's whole history.
STATEMENT_PAGE_LINES: Final = 200
# How often the scheduled checkpoint job runs for a tenant (product clock), and how many of
# its own accounts one run refreshes (the stalest first; the rest wait for the next run).
CHECKPOINT_RUN_EVERY_S: Final = 24 * 3600
CHECKPOINT_ACCOUNTS_PER_RUN: Final = 50

# --- HTTP request bodies (ADR 0068) -------------------------------------------------
# Every request body the service reads (API JSON, console and portal forms): refused with 413
# before it is parsed. One document (a decision request, a policy file) is MAX_DOCUMENT_BYTES;
# the default leaves room for its JSON escaping. A usage batch of MAX_BATCH_EVENTS events,
# each with ids of MAX_ID_LENGTH and an instant, needs up to ~300 bytes an event.
MAX_REQUEST_BODY_BYTES: Final = 2_000_000
MAX_BATCH_BODY_BYTES: Final = 32_000_000
