"""The ledger's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Every table carries ``tenant_id`` first in its primary key, so tables can be distributed by
tenant later. Amounts are signed 64-bit integers in the commodity's smallest unit and instants
are integer microseconds since the Unix epoch (UTC): both are exact, compact, sort correctly
and read the same on both stores with no driver-specific type conversion on the hot path.

Append-only tables (``APPEND_ONLY``) get database triggers that refuse UPDATE and DELETE (see
the migrations). ``accounts.balance``, ``lots``, ``payments`` counters and ``idempotency``
results are projections kept in step with the journal inside the same transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from refundable.adapters.db.types import BoundedInt, BoundedInt32, BoundedString
from refundable.core.limits import (
    MAX_AMOUNT_MINOR,
    MAX_BALANCE_MINOR,
    MAX_ID_LENGTH,
    MAX_INSTANT_US,
    MAX_PRIORITY,
    MAX_STORED_ID_LENGTH,
    MAX_UNITS,
    MIN_INSTANT_US,
    MIN_PRIORITY,
)

metadata = MetaData()

# Column types bounded by core.limits (ADR 0034): a value past them is refused with
# LimitExceeded before the statement reaches either store.
ID = BoundedString(MAX_ID_LENGTH, "id")  # ids callers choose
LONG_ID = BoundedString(MAX_STORED_ID_LENGTH, "stored id")  # account codes, keys, derived ids
MINOR = BoundedInt(-(MAX_AMOUNT_MINOR - 1), MAX_AMOUNT_MINOR - 1, "amount in minor units")
BALANCE = BoundedInt(-MAX_BALANCE_MINOR, MAX_BALANCE_MINOR, "account balance")
UNITS = BoundedInt(0, MAX_UNITS - 1, "units")
PRIORITY = BoundedInt32(MIN_PRIORITY, MAX_PRIORITY, "priority")
INSTANT = BoundedInt(MIN_INSTANT_US, MAX_INSTANT_US, "instant (microseconds since 1970, UTC)")


def _tenant() -> Column[str]:
    return Column("tenant_id", ID, primary_key=True)


accounts = Table(
    "accounts",
    metadata,
    _tenant(),
    Column("code", LONG_ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("commodity", String(8), nullable=False),
    Column("owner", ID),
    Column("balance", BALANCE, nullable=False),
    CheckConstraint(
        f"balance BETWEEN -{MAX_BALANCE_MINOR} AND {MAX_BALANCE_MINOR}",
        name="ck_accounts_balance_limit",
    ),
)

entries = Table(
    "entries",
    metadata,
    _tenant(),
    Column("entry_id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("effective_us", INSTANT, nullable=False),
    Column("recorded_us", INSTANT, nullable=False),
    Column("memo", Text, nullable=False),
    Column("ref", LONG_ID),
    Column("reverses", ID),
    Column("idem_key", LONG_ID),
    Column("meta", Text),
    UniqueConstraint("tenant_id", "reverses", name="uq_entries_reverses"),
    Index("ix_entries_effective", "tenant_id", "effective_us"),
)

lines = Table(
    "lines",
    metadata,
    _tenant(),
    Column("entry_id", ID, primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("account", LONG_ID, nullable=False),
    Column("commodity", String(8), nullable=False),
    Column("amount", MINOR, nullable=False),
    Column("lot_id", LONG_ID),
    # the entry's effective instant, copied so a statement page is an index range (ADR 0045)
    Column("effective_us", INSTANT),
    Index("ix_lines_account_effective", "tenant_id", "account", "effective_us"),
    Index("ix_lines_lot", "tenant_id", "lot_id"),
)

lots = Table(
    "lots",
    metadata,
    _tenant(),
    Column("lot_id", LONG_ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("unit", String(8), nullable=False),
    Column("units", UNITS, nullable=False),
    Column("remaining", UNITS, nullable=False),
    Column("price_minor", MINOR, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("value_left_minor", MINOR, nullable=False),
    Column("valid_until_us", INSTANT, nullable=False),
    Column("source", String(16), nullable=False),
    Column("acquired_us", INSTANT, nullable=False),
    Column("priority", PRIORITY, nullable=False),
    Column("status", String(16), nullable=False),
    Column("entry_id", ID, nullable=False),
    Index("ix_lots_customer", "tenant_id", "customer_id"),
)
# The journal line that moved a lot last (set by the database's trigger on ``lines``, ADR 0042).
lots.append_column(Column("moved_entry_id", ID))
lots.append_column(Column("moved_line_no", Integer))

payments = Table(
    "payments",
    metadata,
    _tenant(),
    Column("payment_id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("amount_minor", MINOR, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("method", String(16), nullable=False),
    Column("provider", ID),
    Column("source_account", LONG_ID, nullable=False),
    Column("funded_account", LONG_ID, nullable=False),
    Column("entry_id", ID, nullable=False),
    Column("paid_us", INSTANT, nullable=False),
    Column("refunded_minor", MINOR, nullable=False),
    Column("charged_back_minor", MINOR, nullable=False),
)

payment_returns = Table(
    "payment_returns",
    metadata,
    _tenant(),
    Column("kind", String(16), primary_key=True),  # refund | chargeback
    Column("return_id", ID, primary_key=True),
    Column("payment_id", ID, nullable=False),
    Column("amount_minor", MINOR, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("entry_id", ID, nullable=False),
    Column("at_us", INSTANT, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_returns_payment", "tenant_id", "payment_id"),
)

parties = Table(
    "parties",
    metadata,
    _tenant(),
    Column("customer_id", ID, primary_key=True),
    Column("reseller_id", ID),
    Column("group_id", ID),
    Column("approved_nonprofit", Boolean, nullable=False),
)

usage_events = Table(
    "usage_events",
    metadata,
    _tenant(),
    Column("event_id", LONG_ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("units", UNITS, nullable=False),
    Column("occurred_us", INSTANT, nullable=False),
    Column("entry_id", ID, nullable=False),
)

usage_allocations = Table(
    "usage_allocations",
    metadata,
    Column("tenant_id", ID, nullable=False),
    Column("event_id", LONG_ID, nullable=False),
    Column("lot_id", LONG_ID, nullable=False),
    Column("units", UNITS, nullable=False),
    Column("value_minor", MINOR, nullable=False),
    Index("ix_alloc_event", "tenant_id", "event_id"),
)

usage_failures = Table(
    "usage_failures",
    metadata,
    _tenant(),
    Column("event_id", LONG_ID, primary_key=True),
    Column("cause", Text, nullable=False),
    Column("reinstated", Boolean, nullable=False),
    Column("entry_id", ID),
    Column("failed_us", INSTANT, nullable=False),
)

holds = Table(
    "holds",
    metadata,
    _tenant(),
    Column("hold_id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("reason", Text, nullable=False),
    Column("payment_id", ID),
    Column("dispute_id", ID),
    Column("placed_us", INSTANT, nullable=False),
    Index("ix_holds_customer", "tenant_id", "customer_id"),
)

# How a hold ended (won, lost, withdrawn): a new row, never an update of ``holds``. The primary
# key allows one release per hold, so two concurrent releases cannot both be written.
hold_releases = Table(
    "hold_releases",
    metadata,
    _tenant(),
    Column("hold_id", ID, primary_key=True),
    Column("resolution", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("released_us", INSTANT, nullable=False),
)

idempotency = Table(
    "idempotency",
    metadata,
    _tenant(),
    Column("key", LONG_ID, primary_key=True),
    Column("command", String(64), nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("result", Text),
    Column("created_us", INSTANT, nullable=False),
)

APPEND_ONLY: tuple[str, ...] = (
    "entries",
    "lines",
    "payment_returns",
    "usage_events",
    "usage_allocations",
    "usage_failures",
    "holds",
    "hold_releases",
)

# --- tenants, policy versions and decisions (issue 7) -------------------------------------
# A tenant's policy versions are stored whole and never updated (a new version is a new row);
# ``starts_us`` is the first instant a version governs, so "the version in force at X" is one
# index lookup. Decisions keep what a refund, credit or fee posted after them may amount to.

tenants = Table(
    "tenants",
    metadata,
    Column("tenant_id", ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("policy_id", ID, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("timezone", String(64), nullable=False),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    _tenant(),
    Column("version", ID, primary_key=True),
    Column("policy_id", ID, nullable=False),
    Column("effective_on", String(10), nullable=False),
    Column("starts_us", INSTANT, nullable=False),
    Column("notified_on", String(10)),
    Column("published_us", INSTANT, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("notified_us", INSTANT),  # when customers are told (ADR 0050)
    Column("material", Boolean),  # a material change of the version it replaces
    UniqueConstraint("tenant_id", "starts_us", name="uq_policy_versions_start"),
)

decisions = Table(
    "decisions",
    metadata,
    _tenant(),
    Column("decision_id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("policy_id", ID, nullable=False),
    Column("policy_version", ID, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("remedy", String(32), nullable=False),
    Column("rule", LONG_ID),
    Column("clauses", Text, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("gross_minor", MINOR, nullable=False),
    Column("fees_minor", MINOR, nullable=False),
    Column("net_minor", MINOR, nullable=False),
    Column("decided_us", INSTANT, nullable=False),
    Column("body", Text, nullable=False),
)

APPEND_ONLY += ("policy_versions", "decisions")

# Reads that must stay flat as history grows (issue 7): a customer's accounts by owner, for
# statements (lines are then read by (tenant, account), ``ix_lines_account_effective``).
Index("ix_accounts_owner", accounts.c.tenant_id, accounts.c.owner)

# --- scheduled work (scheduling): due actions, test clocks, the outbox -------------------------
# Mutable on purpose (an action's state moves pending -> done/failed; a test clock moves
# forward; an outbox message is marked sent): none of them is money history, which stays in
# the journal. The runner reads pending actions by (state, due_us).

scheduled_actions = Table(
    "scheduled_actions",
    metadata,
    _tenant(),
    Column("action_id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("subject", ID, nullable=False),
    Column("due_us", INSTANT, nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_us", INSTANT, nullable=False),
    Column("done_us", INSTANT),
    Index("ix_scheduled_actions_due", "state", "due_us"),
)

test_clocks = Table(
    "test_clocks",
    metadata,
    _tenant(),
    Column("clock_id", ID, nullable=False),
    Column("frozen_us", INSTANT, nullable=False),
    Column("created_us", INSTANT, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    _tenant(),
    Column("message_id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_us", INSTANT, nullable=False),
    Column("sent_us", INSTANT),
    Index("ix_outbox_unsent", "sent_us", "created_us"),
    # the worker's bookkeeping (ADR 0056): pending -> sent | dead, a lease while one worker
    # holds it, consecutive failures for the backoff, and when it may be tried next
    Column("state", String(16), nullable=False, default="pending", server_default="pending"),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("failures", Integer, nullable=False, default=0, server_default="0"),
    Column("next_us", INSTANT),
    Column("lease_us", INSTANT),
    Column("last_error", Text),
    Index("ix_outbox_due", "state", "next_us"),
)

# --- balance checkpoints (ADR 0040) ------------------------------------------------
# A hot account's balance at an instant, counting only entries recorded at or before
# ``watermark_us``: ``balance(as_of)`` = nearest checkpoint + the lines after it + the lines
# recorded after its watermark (backdated postings). Appended by a job, never updated.
balance_checkpoints = Table(
    "balance_checkpoints",
    metadata,
    _tenant(),
    Column("account", LONG_ID, primary_key=True),
    Column("as_of_us", INSTANT, primary_key=True),
    Column("watermark_us", INSTANT, primary_key=True),
    Column("balance", BALANCE, nullable=False),
)
Index("ix_entries_recorded", entries.c.tenant_id, entries.c.recorded_us)
APPEND_ONLY += ("balance_checkpoints",)

# --- personal data and its retention (ADR 0051) -------------------------------------------
# Names and contact details live apart from money: a purge blanks a profile's fields and the
# ledger keeps every amount. ``retention_schedules`` is the customer's current purge date
# (replaced by a later trigger, withdrawn on reinstatement); ``personal_data_erasures`` is the
# history of what was deleted and when, append-only.
customer_profiles = Table(
    "customer_profiles",
    metadata,
    _tenant(),
    Column("customer_id", ID, primary_key=True),
    Column("name", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("address", Text),
    Column("updated_us", INSTANT, nullable=False),
    Column("erased_us", INSTANT),
)

retention_schedules = Table(
    "retention_schedules",
    metadata,
    _tenant(),
    Column("customer_id", ID, primary_key=True),
    Column("trigger", String(16), nullable=False),
    Column("trigger_us", INSTANT, nullable=False),
    Column("purge_us", INSTANT, nullable=False),
    Column("clause", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("updated_us", INSTANT, nullable=False),
)

personal_data_erasures = Table(
    "personal_data_erasures",
    metadata,
    _tenant(),
    Column("customer_id", ID, primary_key=True),
    Column("erased_us", INSTANT, primary_key=True),
    Column("fields", Text, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("clause", Text),
)
APPEND_ONLY += ("personal_data_erasures",)


# --- refund cases (refundable.cases, ADR 0052) ----------------------------------------------
# ``cases`` holds each case's current state (mutable: state, clocks and the JSON body move
# with every transition); ``case_events`` is its history, append-only. ``open_key`` is the
# case's subject and reason while the case is open (NULL once closed): unique per tenant, so
# two concurrent intakes for the same charge and reason cannot both open a case.
cases = Table(
    "cases",
    metadata,
    _tenant(),
    Column("case_id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("subject", String(16), nullable=False),
    Column("subject_id", ID, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("state", String(32), nullable=False),
    Column("open_key", LONG_ID),
    Column("received_us", INSTANT, nullable=False),
    Column("next_due_us", INSTANT),
    Column("updated_us", INSTANT, nullable=False),
    Column("body", Text, nullable=False),
    # the stage clocks as columns (migration 0023, ADR 0080): read by the operators' counts
    # and the console's deadline figures without decoding the body
    Column("next_warn_us", INSTANT),
    Column("breach_marked", Boolean, nullable=False, server_default=false()),
    Column("last_due_us", INSTANT),
    UniqueConstraint("tenant_id", "open_key", name="uq_cases_open_key"),
    Index("ix_cases_customer", "tenant_id", "customer_id"),
    Index("ix_cases_due", "tenant_id", "state", "next_due_us"),
)

case_events = Table(
    "case_events",
    metadata,
    _tenant(),
    Column("case_id", ID, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("from_state", String(32), nullable=False),
    Column("to_state", String(32), nullable=False),
    Column("actor", LONG_ID, nullable=False),
    Column("at_us", INSTANT, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_case_events_at", "tenant_id", "at_us"),
)
Index("ix_entries_ref", entries.c.tenant_id, entries.c.ref)
APPEND_ONLY += ("case_events",)
# --- subscriptions (ADR 0046) ------------------------------------------------------------------
# ``plans``: what a tenant sells, defined once per code (a new price is a new code), append-only.
# ``subscriptions``: the current state of each subscription (both timelines), updated in place
# under a row lock with a version check; ``subscription_events``: its history, append-only.
plans = Table(
    "plans",
    metadata,
    _tenant(),
    Column("plan_id", ID, primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_us", INSTANT, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    _tenant(),
    Column("subscription_id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("state", String(16), nullable=False),
    Column("currency", String(8), nullable=False),
    Column("plan_id", ID, nullable=False),
    Column("plan", Text, nullable=False),
    Column("access_from_us", INSTANT, nullable=False),
    Column("access_until_us", INSTANT, nullable=False),
    Column("blocks", Text, nullable=False),
    Column("anchor_us", INSTANT, nullable=False),
    Column("period_index", BoundedInt32(0, 100_000, "period index"), nullable=False),
    Column("period_start_us", INSTANT, nullable=False),
    Column("period_end_us", INSTANT, nullable=False),
    Column("next_renewal_us", INSTANT),
    Column("charged_through_us", INSTANT, nullable=False),
    Column("balance_due_minor", MINOR, nullable=False),
    Column("account_credit_minor", MINOR, nullable=False),
    # the current period's price as charged and what it was charged (ADR 0069); NULL only on
    # a row written before migration 0022 backfilled it: read as the plan's cycle price
    Column("period_price_minor", MINOR),
    Column("period_charged_minor", MINOR),
    Column("cancel_at_us", INSTANT),
    Column("pending_plan", Text),
    Column("first_failed_us", INSTANT),
    Column("ended_us", INSTANT),
    Column("credits_minor", MINOR, nullable=False),
    Column("credit_kind", String(16), nullable=False),
    Column("promotions", Text, nullable=False, server_default="[]"),  # offers (ADR 0066)
    Column("updated_us", INSTANT, nullable=False),
    Column("created_us", INSTANT, nullable=False),
    Column("version", BoundedInt32(1, 2**31 - 1, "subscription version"), nullable=False),
    Index("ix_subscriptions_customer", "tenant_id", "customer_id"),
)

subscription_events = Table(
    "subscription_events",
    metadata,
    _tenant(),
    Column("subscription_id", ID, primary_key=True),
    Column("seq", BoundedInt32(1, 2**31 - 1, "event number"), primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("event", String(32), nullable=False),
    Column("at_us", INSTANT, nullable=False),
    Column("recorded_us", INSTANT, nullable=False),
    Column("actor", ID, nullable=False),
    Column("clauses", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("detail", Text, nullable=False),
)
APPEND_ONLY += ("plans", "subscription_events")

# A customer's payment method on file for gateway charges (ADR 0066): append-only history, the
# newest ``seq`` is current; a removal is a row without ``gateway_ref``.
payment_methods = Table(
    "payment_methods",
    metadata,
    _tenant(),
    Column("customer_id", ID, primary_key=True),
    Column("seq", BoundedInt32(1, 2**31 - 1, "payment method number"), primary_key=True),
    Column("gateway", String(32), nullable=False),
    Column("gateway_ref", LONG_ID),
    Column("method", String(16), nullable=False),
    Column("at_us", INSTANT, nullable=False),
)
APPEND_ONLY += ("payment_methods",)

# Plans (or the whole service, plan_id NULL) announced to end (MyProtektor 10.2, ADR 0066).
service_discontinuations = Table(
    "service_discontinuations",
    metadata,
    _tenant(),
    Column("discontinuation_id", ID, primary_key=True),
    Column("plan_id", ID),
    Column("announced_us", INSTANT, nullable=False),
    Column("effective_us", INSTANT, nullable=False),
    Column("clause", String(32), nullable=False),
)
APPEND_ONLY += ("service_discontinuations",)

# Promotional offers a tenant publishes (Conek 5.2/5.3): fixed once defined, like plans.
promotions = Table(
    "promotions",
    metadata,
    _tenant(),
    Column("code", ID, primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_us", INSTANT, nullable=False),
)
APPEND_ONLY += ("promotions",)

# --- the HTTP API's access and idempotency (ADR 0058) -----------------------------------
# API keys: the public id and the SHA-256 of the secret, never the secret; a revoked key keeps
# its row (``revoked_us`` set once). HTTP idempotency: the first response to an
# ``Idempotency-Key`` (status and body), kept at least 24 hours, under the tenant.
api_keys = Table(
    "api_keys",
    metadata,
    _tenant(),
    Column("key_id", ID, primary_key=True),
    Column("role", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_us", INSTANT, nullable=False),
    Column("revoked_us", INSTANT),
    UniqueConstraint("key_id", name="uq_api_keys_key_id"),
)

http_idempotency = Table(
    "http_idempotency",
    metadata,
    _tenant(),
    Column("key", LONG_ID, primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer),
    Column("body", Text),
    Column("created_us", INSTANT, nullable=False),
    Column("done_us", INSTANT),
    # the purge of records past their retention (ADR 0068, migration 0021)
    Index("ix_http_idempotency_created", "created_us"),
)
# --- payouts and notices (ADR 0056, 0057) -----------------------------------------------------
# ``outbox_attempts`` and ``payout_events`` are history (append-only): every delivery attempt
# of every outbox message (the webhook delivery log is its ``webhook_delivery`` rows) and every
# move of a payout. ``payouts`` is the payout's current state (one per case).

outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    _tenant(),
    Column("message_id", ID, primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("target", LONG_ID),
    Column("at_us", INSTANT, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer),
    Column("detail", Text),
)

payouts = Table(
    "payouts",
    metadata,
    _tenant(),
    Column("payout_id", ID, primary_key=True),
    Column("case_id", ID, nullable=False),
    Column("message_id", ID, nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("payment_id", ID, nullable=False),
    Column("decision_id", ID, nullable=False),
    Column("requested_currency", String(8), nullable=False),
    Column("requested_minor", MINOR, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("amount_minor", MINOR, nullable=False),
    Column("fx_rate", String(48)),
    Column("fx_source", Text),
    Column("fx_as_of_us", INSTANT),
    Column("method", String(16), nullable=False),
    Column("gateway", String(32), nullable=False),
    Column("state", String(24), nullable=False),
    Column("requested_us", INSTANT, nullable=False),
    Column("expected_from_us", INSTANT, nullable=False),
    Column("expected_by_us", INSTANT, nullable=False),
    Column("gateway_refund_id", LONG_ID),
    Column("failure_reason", Text),
    Column("destination", LONG_ID),
    Column("sent_us", INSTANT),
    Column("settled_us", INSTANT),
    Column("entry_id", ID),
    UniqueConstraint("tenant_id", "case_id", name="uq_payouts_case"),
)

payout_events = Table(
    "payout_events",
    metadata,
    _tenant(),
    Column("payout_id", ID, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("state", String(24), nullable=False),
    Column("at_us", INSTANT, nullable=False),
    Column("gateway_refund_id", LONG_ID),
    Column("detail", Text),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _tenant(),
    Column("endpoint_id", ID, primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("event_types", Text, nullable=False),
    Column("created_us", INSTANT, nullable=False),
)
APPEND_ONLY += ("outbox_attempts", "payout_events")

# --- console and portal logins, used sign-in links (ADR 0061) ----------------------------
# Staff logins carry an Argon2 hash; customer logins name their customer. A sign-in link is
# used once: redeeming it inserts its id, and the key refuses a second insert.
logins = Table(
    "logins",
    metadata,
    _tenant(),
    Column("email", BoundedString(254, "email"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    Column("customer_id", ID),
    Column("created_us", INSTANT, nullable=False),
)
sign_in_links = Table(
    "sign_in_links",
    metadata,
    _tenant(),
    Column("link_id", ID, primary_key=True),
    Column("email", BoundedString(254, "email"), nullable=False),
    Column("used_us", INSTANT, nullable=False),
)
APPEND_ONLY += ("sign_in_links",)
