"""Alembic environment: always run programmatically with a live connection.

The application (``adapters.db.engine.migrate``) builds the Alembic ``Config`` in code and
passes its open connection in ``config.attributes["connection"]``; there is no alembic.ini
and no URL parsing here, so migrations run the same from the CLI, tests and the bootstrap.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
