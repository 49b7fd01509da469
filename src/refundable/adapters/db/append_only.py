"""The append-only triggers, shared by every migration that adds an append-only table.

Alembic loads version modules by path, so migrations cannot import one another; they import
this module instead. A migration passes the tables *it* creates, never ``schema.APPEND_ONLY``
(that is today's list, and a migration must build the same thing forever).
See docs/decisions/0011-append-only-enforcement.md.
"""

from __future__ import annotations

from collections.abc import Iterable

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
