"""Lot counters derived from the journal by the database (issue 8; docs/decisions/0042-...).

``lots.remaining``, ``value_left_minor`` and ``status`` decide what a customer may still use
and what revenue is still deferred, so the service must not be able to set them: they follow
the append-only journal lines that carry the lot's id (``lines.lot_id``):

* ``remaining`` is minus the sum of the lot's lines (the purchase line credits the lot's units,
  each draw, expiry or forfeiture debits some back);
* ``value_left_minor`` is ``price_minor * remaining // units``, the rule ``CreditLot.take``
  already used (so the recognised parts add up to the price);
* ``status`` is ``open`` while units remain, else ``expired`` / ``forfeited`` when an expiry /
  forfeiture entry closed the lot, else ``exhausted``.

An AFTER INSERT trigger on ``lines`` moves the lot of every lot line (and records that line in
``moved_entry_id`` / ``moved_line_no``). Guards on ``lots`` refuse any other change: on
PostgreSQL the counters may change only from inside that trigger (``pg_trigger_depth() > 1``;
its function is SECURITY DEFINER, so the runtime role holds no UPDATE on them); on SQLite (no
roles, no trigger depth) an UPDATE must apply the lot's newest line, once, exactly. A new lot
must start at what its purchase line says; a line only takes units from a lot; lots are never
deleted.
Loaded by migrations (by path), so only plain strings and ``op`` here.
"""

from __future__ import annotations

from alembic import op

IDENTITY = (
    "tenant_id", "lot_id", "customer_id", "unit", "units", "price_minor", "currency",
    "valid_until_us", "source", "acquired_us", "priority", "entry_id",
)  # fmt: skip
# What a movement changes: the counters, and which line moved the lot last.
COUNTERS = ("remaining", "value_left_minor", "status", "moved_entry_id", "moved_line_no")
_M = 1_000_000


def exact_value_left(remaining: str, price: str = "price_minor", units: str = "units") -> str:
    """SQL for ``price * remaining // units`` in 64-bit integers that never overflow.

    SQLite turns an overflowing integer product into a float; the price (< 10^18) times the
    remaining units (< 10^12) can reach 10^30. With ``price = q*units + r`` and
    ``remaining = rh*M + rl`` (M = 10^6) and ``r*rh = a1*units + a2``, the exact floor is
    ``q*remaining + a1*M + (a2*M + r*rl) // units``; every intermediate stays below 2*10^18
    for non-negative values within the limits. tests/unit check it against Python's integers."""
    r, rh, rl = f"({price} % {units})", f"(({remaining}) / {_M})", f"(({remaining}) % {_M})"
    a = f"({r} * {rh})"
    return (
        f"(({price} / {units}) * ({remaining}) + ({a} / {units}) * {_M} "
        f"+ ((({a} % {units}) * {_M} + {r} * {rl}) / {units}))"
    )


# The status a lot closes with, from the kind of the entry whose line took its last units.
_CLOSING = (
    "COALESCE((SELECT CASE kind WHEN 'expiry' THEN 'expired' WHEN 'forfeiture' THEN 'forfeited' "
    "END FROM entries WHERE tenant_id = NEW.tenant_id AND entry_id = {entry}), 'exhausted')"
)

# Applied by the lines trigger: the moved lot's new counters, from its old ones and one line.
_SQLITE_LEFT = "(remaining - NEW.amount)"
SQLITE_LINES_MOVE_LOTS = (
    "CREATE TRIGGER lines_move_lots AFTER INSERT ON lines WHEN NEW.lot_id IS NOT NULL BEGIN "
    f"UPDATE lots SET remaining = {_SQLITE_LEFT}, "
    f"value_left_minor = {exact_value_left(_SQLITE_LEFT)}, "
    f"status = CASE WHEN {_SQLITE_LEFT} > 0 THEN 'open' "
    f"ELSE {_CLOSING.format(entry='NEW.entry_id')} END, "
    "moved_entry_id = NEW.entry_id, moved_line_no = NEW.line_no "
    "WHERE tenant_id = NEW.tenant_id AND lot_id = NEW.lot_id; END"
)

_NEW_VALUE = exact_value_left("NEW.remaining", "NEW.price_minor", "NEW.units")
_INTEGERS = "typeof(NEW.remaining) = 'integer' AND typeof(NEW.value_left_minor) = 'integer'"

# SQLite, a new lot: it holds what its lines say (its purchase line), untouched by any line yet.
_SQLITE_OPENING = (
    f"{_INTEGERS} AND NEW.remaining BETWEEN 1 AND NEW.units AND NEW.remaining = -(SELECT "
    "COALESCE(SUM(amount), 0) FROM lines WHERE tenant_id = NEW.tenant_id AND lot_id = NEW.lot_id) "
    f"AND NEW.value_left_minor = {_NEW_VALUE} AND NEW.status = 'open' "
    "AND NEW.moved_entry_id IS NULL AND NEW.moved_line_no IS NULL"
)

# SQLite, a movement: NEW names the lot's newest line (by insertion order, which the index on
# (tenant_id, lot_id) keeps through its trailing rowid), a line not applied before (OLD names
# another), which takes units (lots give nothing back: reinstatement makes a new lot), and the
# counters are OLD's moved by exactly that line. Each line is applied once, when inserted, so
# the counters always equal the sum of the lot's lines, checked in O(1) rather than by a sum.
_SQLITE_MOVE = (
    f"{_INTEGERS} AND NEW.moved_entry_id IS NOT NULL AND NOT (NEW.moved_entry_id IS "
    "OLD.moved_entry_id AND NEW.moved_line_no IS OLD.moved_line_no) "
    "AND (NEW.moved_entry_id, NEW.moved_line_no) = (SELECT entry_id, line_no FROM lines "
    "WHERE tenant_id = NEW.tenant_id AND lot_id = NEW.lot_id ORDER BY rowid DESC LIMIT 1) "
    "AND NEW.remaining = OLD.remaining - (SELECT amount FROM lines WHERE tenant_id = "
    "NEW.tenant_id AND entry_id = NEW.moved_entry_id AND line_no = NEW.moved_line_no) "
    "AND NEW.remaining >= 0 AND NEW.remaining < OLD.remaining "
    f"AND NEW.value_left_minor = {_NEW_VALUE} "
    "AND NEW.status = CASE WHEN NEW.remaining > 0 THEN 'open' "
    f"ELSE {_CLOSING.format(entry='NEW.moved_entry_id')} END"
)

_DERIVED = (
    "derived: a lot''s remaining units, value left and status follow its journal lines "
    "(post the movement instead)"
)
_IDENTITY = "append-only: a lot''s record cannot change, only its counters (moved by its lines)"


def _install_sqlite() -> None:
    changed = " OR ".join(f"NEW.{col} IS NOT OLD.{col}" for col in IDENTITY)
    moved = " OR ".join(f"NEW.{col} IS NOT OLD.{col}" for col in COUNTERS)
    op.execute(
        f"CREATE TRIGGER lots_identity BEFORE UPDATE ON lots WHEN {changed} BEGIN "
        f"SELECT RAISE(ABORT, '{_IDENTITY}'); END"
    )
    op.execute(
        f"CREATE TRIGGER lots_counters BEFORE UPDATE ON lots WHEN ({moved}) AND NOT "
        f"({_SQLITE_MOVE}) BEGIN SELECT RAISE(ABORT, '{_DERIVED}'); END"
    )
    op.execute(
        f"CREATE TRIGGER lots_opening BEFORE INSERT ON lots WHEN NOT ({_SQLITE_OPENING}) "
        f"BEGIN SELECT RAISE(ABORT, '{_DERIVED}'); END"
    )
    op.execute(
        "CREATE TRIGGER lots_no_delete BEFORE DELETE ON lots BEGIN "
        "SELECT RAISE(ABORT, 'append-only: DELETE on lots is not allowed'); END"
    )
    op.execute(SQLITE_LINES_MOVE_LOTS)


_PG_VALUE = "div(price_minor::numeric * (remaining - NEW.amount), units)::bigint"

PG_LOTS_FROM_LINES = f"""
CREATE OR REPLACE FUNCTION refundable_lots_from_lines() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  moved_by text;
BEGIN
  SELECT e.kind INTO moved_by FROM entries e
    WHERE e.tenant_id = NEW.tenant_id AND e.entry_id = NEW.entry_id;
  UPDATE lots SET remaining = remaining - NEW.amount,
    value_left_minor = {_PG_VALUE},
    status = CASE WHEN remaining - NEW.amount > 0 THEN 'open'
                  WHEN moved_by = 'expiry' THEN 'expired'
                  WHEN moved_by = 'forfeiture' THEN 'forfeited'
                  ELSE 'exhausted' END,
    moved_entry_id = NEW.entry_id, moved_line_no = NEW.line_no
    WHERE tenant_id = NEW.tenant_id AND lot_id = NEW.lot_id;
  RETURN NULL;
END;
$$
"""

_PG_IDENTITY_CHANGED = (
    "(" + ", ".join(f"NEW.{c}" for c in IDENTITY) + ") IS DISTINCT FROM ("
    + ", ".join(f"OLD.{c}" for c in IDENTITY) + ")"
)  # fmt: skip
_PG_COUNTERS_CHANGED = (
    "(" + ", ".join(f"NEW.{c}" for c in COUNTERS) + ") IS DISTINCT FROM ("
    + ", ".join(f"OLD.{c}" for c in COUNTERS) + ")"
)  # fmt: skip

PG_LOT_GUARD = f"""
CREATE OR REPLACE FUNCTION refundable_lot_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.remaining IS DISTINCT FROM -(SELECT COALESCE(SUM(amount), 0) FROM lines
         WHERE tenant_id = NEW.tenant_id AND lot_id = NEW.lot_id)
       OR NEW.remaining NOT BETWEEN 1 AND NEW.units
       OR NEW.value_left_minor IS DISTINCT FROM
          div(NEW.price_minor::numeric * NEW.remaining, NEW.units)::bigint
       OR NEW.status IS DISTINCT FROM 'open'
       OR NEW.moved_entry_id IS NOT NULL OR NEW.moved_line_no IS NOT NULL THEN
      RAISE EXCEPTION '{_DERIVED}' USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
  END IF;
  IF {_PG_IDENTITY_CHANGED} THEN
    RAISE EXCEPTION '{_IDENTITY}' USING ERRCODE = 'raise_exception';
  END IF;
  IF {_PG_COUNTERS_CHANGED} THEN
    IF pg_trigger_depth() < 2 THEN
      RAISE EXCEPTION '{_DERIVED}' USING ERRCODE = 'raise_exception';
    END IF;
    IF NEW.remaining < 0 OR NEW.remaining >= OLD.remaining THEN
      RAISE EXCEPTION 'derived: a line may only take units from lot % (% left, % after); a '
        'lot gives nothing back (reinstatement makes a new lot)', NEW.lot_id, OLD.remaining,
        NEW.remaining USING ERRCODE = 'raise_exception';
    END IF;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _install_postgresql() -> None:
    op.execute(PG_LOT_GUARD)
    op.execute(
        "CREATE TRIGGER lots_guard BEFORE INSERT OR UPDATE ON lots "
        "FOR EACH ROW EXECUTE FUNCTION refundable_lot_guard()"
    )
    op.execute(
        "CREATE TRIGGER lots_no_delete BEFORE DELETE ON lots "
        "FOR EACH ROW EXECUTE FUNCTION refundable_append_only()"
    )
    op.execute(
        "CREATE TRIGGER lots_no_truncate BEFORE TRUNCATE ON lots "
        "FOR EACH STATEMENT EXECUTE FUNCTION refundable_append_only()"
    )
    op.execute(PG_LOTS_FROM_LINES)
    op.execute(
        "CREATE TRIGGER lines_move_lots AFTER INSERT ON lines FOR EACH ROW "
        "WHEN (NEW.lot_id IS NOT NULL) EXECUTE FUNCTION refundable_lots_from_lines()"
    )


def install_lot_counters() -> None:
    """Make the database move and guard the lot counters (see the module docstring)."""
    if op.get_bind().dialect.name == "postgresql":
        _install_postgresql()
    else:
        _install_sqlite()


def drop_lot_counters() -> None:
    """Back to a schema whose code writes the lot counters itself (with 0012's replace
    guard on SQLite)."""
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (
            ("lines_move_lots", "lines"), ("lots_guard", "lots"), ("lots_no_delete", "lots"),
            ("lots_no_truncate", "lots"),
        ):  # fmt: skip
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute("DROP FUNCTION refundable_lots_from_lines()")
        op.execute("DROP FUNCTION refundable_lot_guard()")
        return
    for trigger in (
        "lines_move_lots", "lots_identity", "lots_counters", "lots_opening", "lots_no_delete",
        "lots_no_replace",
    ):  # fmt: skip
        op.execute(f"DROP TRIGGER {trigger}")
