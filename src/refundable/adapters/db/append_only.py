"""The append-only triggers, shared by every migration that adds an append-only table.

Alembic loads version modules by path, so migrations cannot import one another; they import
this module instead. A migration passes the tables *it* creates, never ``schema.APPEND_ONLY``
(that is today's list, and a migration must build the same thing forever).
See docs/decisions/0011-append-only-enforcement.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from alembic import op

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refundable_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'append-only: % on % is not allowed; post a reversing entry instead',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql
"""


def install_append_only_triggers(tables: Iterable[str]) -> None:
    """Make the database itself refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) of the
    rows of ``tables``, so no code path, script or console session can rewrite history. Runs
    inside a migration (it uses Alembic's ``op``)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)  # CREATE OR REPLACE: the same function for every migration
        for t in tables:
            op.execute(
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION refundable_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refundable_append_only()"
            )
        return
    for t in tables:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} BEGIN "
                f"SELECT RAISE(ABORT, 'append-only: {verb} on {t} is not allowed; "
                "post a reversing entry instead'); END"
            )


# --- 0003: the holes found by the hardening probe (docs/decisions/0032-...) --------------------


def install_replace_guards(unique_keys: Mapping[str, Sequence[Sequence[str]]]) -> None:
    """SQLite only: refuse an INSERT whose key is already taken in an append-only table.

    ``INSERT OR REPLACE`` / ``REPLACE`` resolve a conflict by deleting the old row, and SQLite
    fires no DELETE trigger for that deletion (unless ``recursive_triggers`` is on, which is a
    per-connection setting a console session would not have). A BEFORE INSERT trigger that
    refuses a taken key closes the hole for every connection. ``unique_keys`` maps each table
    to its unique column sets (primary key first). PostgreSQL has no REPLACE, and its
    ``ON CONFLICT DO UPDATE`` fires the UPDATE trigger that already refuses."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, keys in unique_keys.items():
        taken = " OR ".join(
            f"EXISTS (SELECT 1 FROM {table} WHERE "
            + " AND ".join(f"{col} = NEW.{col}" for col in key)
            + ")"
            for key in keys
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {taken} BEGIN "
            f"SELECT RAISE(ABORT, 'append-only: INSERT over an existing row of {table} "
            "(REPLACE or UPSERT) is not allowed; post a reversing entry instead'); END"
        )


PG_PAYMENT_COUNTERS = """
CREATE OR REPLACE FUNCTION refundable_payment_counters() RETURNS trigger AS $$
DECLARE
  refunded numeric;
  charged_back numeric;
BEGIN
  IF (NEW.tenant_id, NEW.payment_id, NEW.customer_id, NEW.amount_minor, NEW.currency,
      NEW.method, NEW.provider, NEW.source_account, NEW.funded_account, NEW.entry_id,
      NEW.paid_us) IS DISTINCT FROM
     (OLD.tenant_id, OLD.payment_id, OLD.customer_id, OLD.amount_minor, OLD.currency,
      OLD.method, OLD.provider, OLD.source_account, OLD.funded_account, OLD.entry_id,
      OLD.paid_us) THEN
    RAISE EXCEPTION 'append-only: a payment''s record cannot change, only its counters'
      USING ERRCODE = 'raise_exception';
  END IF;
  SELECT COALESCE(SUM(amount_minor) FILTER (WHERE kind = 'refund'), 0),
         COALESCE(SUM(amount_minor) FILTER (WHERE kind = 'chargeback'), 0)
    INTO refunded, charged_back
    FROM payment_returns WHERE tenant_id = NEW.tenant_id AND payment_id = NEW.payment_id;
  IF NEW.refunded_minor <> refunded OR NEW.charged_back_minor <> charged_back THEN
    RAISE EXCEPTION 'derived: payments counters must equal the sum of the payment''s '
      'payment_returns rows (insert the return first)' USING ERRCODE = 'raise_exception';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

_SQLITE_PAYMENT_SUM = (
    "(SELECT COALESCE(SUM(amount_minor), 0) FROM payment_returns "
    "WHERE tenant_id = NEW.tenant_id AND payment_id = NEW.payment_id AND kind = '{kind}')"
)


def install_payment_counter_guard() -> None:
    """``payments.refunded_minor`` and ``charged_back_minor`` guard against over-refunding, so
    the database holds them to the append-only ``payment_returns`` rows: an UPDATE must set
    each to the sum of the payment's returns of its kind (the return is inserted first), the
    rest of the payment never changes, and payments are never deleted or truncated."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_PAYMENT_COUNTERS)
        op.execute(
            "CREATE TRIGGER payments_counters BEFORE UPDATE ON payments "
            "FOR EACH ROW EXECUTE FUNCTION refundable_payment_counters()"
        )
        op.execute(
            "CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments "
            "FOR EACH ROW EXECUTE FUNCTION refundable_append_only()"
        )
        op.execute(
            "CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments "
            "FOR EACH STATEMENT EXECUTE FUNCTION refundable_append_only()"
        )
        return
    fixed = [
        *("tenant_id", "payment_id", "customer_id", "amount_minor", "currency", "method"),
        *("provider", "source_account", "funded_account", "entry_id", "paid_us"),
    ]
    changed = " OR ".join(f"NEW.{col} IS NOT OLD.{col}" for col in fixed)
    op.execute(
        f"CREATE TRIGGER payments_fixed BEFORE UPDATE ON payments WHEN {changed} BEGIN "
        "SELECT RAISE(ABORT, 'append-only: a payment''s record cannot change, only its "
        "counters'); END"
    )
    refunded = _SQLITE_PAYMENT_SUM.format(kind="refund")
    charged_back = _SQLITE_PAYMENT_SUM.format(kind="chargeback")
    op.execute(
        "CREATE TRIGGER payments_counters BEFORE UPDATE ON payments WHEN "
        f"NEW.refunded_minor IS NOT {refunded} OR NEW.charged_back_minor IS NOT {charged_back} "
        "BEGIN SELECT RAISE(ABORT, 'derived: payments counters must equal the sum of the "
        "payment''s payment_returns rows (insert the return first)'); END"
    )
    op.execute(
        "CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments BEGIN "
        "SELECT RAISE(ABORT, 'append-only: DELETE on payments is not allowed'); END"
    )


PG_ACCOUNT_IDENTITY = """
CREATE OR REPLACE FUNCTION refundable_account_identity() RETURNS trigger AS $$
BEGIN
  IF (NEW.tenant_id, NEW.code, NEW.kind, NEW.commodity, NEW.owner) IS DISTINCT FROM
     (OLD.tenant_id, OLD.code, OLD.kind, OLD.commodity, OLD.owner) THEN
    RAISE EXCEPTION 'append-only: an account''s identity cannot change, only its balance'
      USING ERRCODE = 'raise_exception';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def install_account_guards(max_balance_minor: int) -> None:
    """Accounts keep their identity forever and are never deleted; their balance stays within
    ``±max_balance_minor`` (a limit below 2^63, so ``balance + amount`` can never overflow a
    64-bit integer: on SQLite an overflowing sum silently turns into a float)."""
    bound = int(max_balance_minor)
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(
            "ck_accounts_balance_limit", "accounts", f"balance BETWEEN -{bound} AND {bound}"
        )
        op.execute(PG_ACCOUNT_IDENTITY)
        op.execute(
            "CREATE TRIGGER accounts_identity BEFORE UPDATE ON accounts "
            "FOR EACH ROW EXECUTE FUNCTION refundable_account_identity()"
        )
        op.execute(
            "CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts "
            "FOR EACH ROW EXECUTE FUNCTION refundable_append_only()"
        )
        op.execute(
            "CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts "
            "FOR EACH STATEMENT EXECUTE FUNCTION refundable_append_only()"
        )
        return
    outside = f"typeof(NEW.balance) <> 'integer' OR NEW.balance NOT BETWEEN -{bound} AND {bound}"
    for verb in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER accounts_balance_limit_{verb.lower()} BEFORE {verb} ON accounts "
            f"WHEN {outside} BEGIN SELECT RAISE(ABORT, 'limit: an account balance must stay "
            f"within -{bound} and {bound} minor units'); END"
        )
    identity = " OR ".join(
        f"NEW.{col} IS NOT OLD.{col}" for col in ("tenant_id", "code", "kind", "commodity", "owner")
    )
    op.execute(
        f"CREATE TRIGGER accounts_identity BEFORE UPDATE ON accounts WHEN {identity} BEGIN "
        "SELECT RAISE(ABORT, 'append-only: an account''s identity cannot change, only its "
        "balance'); END"
    )
    op.execute(
        "CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts BEGIN "
        "SELECT RAISE(ABORT, 'append-only: DELETE on accounts is not allowed'); END"
    )


# --- 0007: account balances derived from the journal (docs/decisions/0041-...) ----------

PG_BALANCES_FROM_LINES = """
CREATE OR REPLACE FUNCTION refundable_balances_from_lines() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  moved record;
BEGIN
  -- One UPDATE per account the statement touched, in (tenant, code) order: concurrent
  -- postings lock shared accounts in the same order, so they queue instead of deadlocking.
  FOR moved IN
    SELECT tenant_id, account, SUM(amount) AS delta FROM new_lines
    GROUP BY tenant_id, account ORDER BY tenant_id, account
  LOOP
    UPDATE accounts SET balance = balance + moved.delta
      WHERE tenant_id = moved.tenant_id AND code = moved.account;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'derived: a journal line names account % that does not exist '
        '(create the account first)', moved.account USING ERRCODE = 'raise_exception';
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$
"""

SQLITE_BALANCES_FROM_LINES = (
    "CREATE TRIGGER lines_move_balances AFTER INSERT ON lines BEGIN "
    "SELECT RAISE(ABORT, 'derived: a journal line names an account that does not exist "
    "(create the account first)') WHERE NOT EXISTS (SELECT 1 FROM accounts "
    "WHERE tenant_id = NEW.tenant_id AND code = NEW.account); "
    "UPDATE accounts SET balance = balance + NEW.amount "
    "WHERE tenant_id = NEW.tenant_id AND code = NEW.account; END"
)


def install_balances_from_lines() -> None:
    """``accounts.balance`` guards every floor check, so the database keeps it, not the
    application: inserting journal lines adds their amounts to their accounts (which must
    exist first). On PostgreSQL the function runs as the schema owner (SECURITY DEFINER), so
    the runtime role needs, and gets, no UPDATE on ``balance``; see roles.py."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_BALANCES_FROM_LINES)
        op.execute(
            "CREATE TRIGGER lines_move_balances AFTER INSERT ON lines "
            "REFERENCING NEW TABLE AS new_lines "
            "FOR EACH STATEMENT EXECUTE FUNCTION refundable_balances_from_lines()"
        )
        return
    op.execute(SQLITE_BALANCES_FROM_LINES)
