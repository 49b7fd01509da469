"""The PostgreSQL grants of the runtime role: what the running service may do to the tables.

The schema owner runs the migrations; the service connects as a separate role that can read
and append, update only the projection columns that change as money moves, and do nothing
else: it owns no table, so it cannot ALTER, DROP or disable triggers; it holds no TRUNCATE,
DELETE or UPDATE on history (it deletes only expired HTTP idempotency records, which are not
history); and without superuser it cannot SET session_replication_role.
docs/postgres-roles.md explains each line; ``refundable db grant-runtime`` applies them.
"""

from __future__ import annotations

import re

from refundable.core.errors import InputError
from refundable.core.limits import echo

# Columns the service updates (projections kept in step with the journal). Everything else
# is INSERT and SELECT only. A new table with updatable columns adds its row here.
RUNTIME_UPDATES: dict[str, tuple[str, ...]] = {
    # Balances move only by the trigger on ``lines`` (SECURITY DEFINER, migration 0007): the
    # role holds no UPDATE on ``balance``. SELECT ... FOR UPDATE needs UPDATE on one column;
    # the identity trigger refuses any change of ``kind``.
    "accounts": ("kind",),
    # Lot counters move only by the trigger on ``lines`` (SECURITY DEFINER, migration 0012,
    # ADR 0042); ``unit`` is there for SELECT ... FOR UPDATE, the lot guard refuses a change.
    "lots": ("unit",),
    "payments": ("refunded_minor", "charged_back_minor"),
    "idempotency": ("result",),
    # SELECT ... FOR UPDATE needs UPDATE on one column of the table; the append-only trigger
    # still refuses any actual update of a hold.
    "holds": ("reason",),
    # scheduled work: an action's state, a test clock's time, an outbox message's delivery
    "scheduled_actions": ("state", "attempts", "last_error", "due_us", "done_us"),
    "test_clocks": ("frozen_us",),
    "outbox": ("sent_us", "state", "attempts", "failures", "next_us", "lease_us", "last_error"),
    # personal data and its retention (ADR 0051): a profile is edited and blanked by a purge;
    # a schedule is replaced, withdrawn or marked purged. Erasures are history (insert only).
    "customer_profiles": ("name", "email", "phone", "address", "updated_us", "erased_us"),
    "retention_schedules": ("trigger", "trigger_us", "purge_us", "clause", "state", "updated_us"),
    # refund cases: the current state moves with each transition (history is case_events)
    "cases": (
        "state",
        "open_key",
        "next_due_us",
        "updated_us",
        "body",
        "next_warn_us",
        "breach_marked",
        "last_due_us",
    ),
    # a subscription's current state (its history is append-only: subscription_events)
    "subscriptions": (
        "state",
        "currency",
        "plan_id",
        "plan",
        "access_from_us",
        "access_until_us",
        "blocks",
        "anchor_us",
        "period_index",
        "period_start_us",
        "period_end_us",
        "next_renewal_us",
        "charged_through_us",
        "balance_due_minor",
        "account_credit_minor",
        "period_price_minor",
        "period_charged_minor",
        "cancel_at_us",
        "pending_plan",
        "first_failed_us",
        "ended_us",
        "credits_minor",
        "credit_kind",
        "promotions",
        "updated_us",
        "version",
    ),
    # the HTTP API (ADR 0058): a key is revoked once; an idempotency record is completed,
    # or taken over when its holder died or it expired
    "api_keys": ("revoked_us",),
    "http_idempotency": ("fingerprint", "status", "body", "created_us", "done_us"),
    # a payout's current state (its history is the append-only payout_events)
    "payouts": (
        "state",
        "message_id",
        "method",
        "destination",
        "gateway_refund_id",
        "failure_reason",
        "requested_us",
        "expected_from_us",
        "expected_by_us",
        "sent_us",
        "settled_us",
        "entry_id",
    ),
}
# Tables the service reads but never writes.
READ_ONLY = ("alembic_version",)
# Tables whose rows the service deletes: none is history. HTTP idempotency records are a
# cache of responses, purged once past their retention (ADR 0068).
RUNTIME_DELETES = ("http_idempotency",)

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_role(name: str) -> str:
    if not _ROLE.match(name):
        raise InputError(
            f"{echo(name)} is not a role name",
            where="--role",
            allowed="1-63 lowercase letters, digits and '_', not starting with a digit",
        )
    return name


def runtime_grants(role: str, database: str) -> list[str]:
    """The statements (run by the owner, after every `db upgrade`) that let ``role`` run the
    service and nothing more."""
    r = check_role(role)
    stmts = [
        f'GRANT CONNECT ON DATABASE "{database}" TO {r}',
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {r}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}",
        f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {r}",
        # Tables a later migration creates (as the owner) are readable and appendable at once.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {r}",
    ]
    stmts += [f"REVOKE INSERT ON {table} FROM {r}" for table in READ_ONLY]
    stmts += [
        f"GRANT UPDATE ({', '.join(cols)}) ON {table} TO {r}"
        for table, cols in RUNTIME_UPDATES.items()
    ]
    stmts += [f"GRANT DELETE ON {table} TO {r}" for table in RUNTIME_DELETES]
    return stmts
