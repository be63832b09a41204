"""Alembic's environment: the connection is handed in by originrules.store.db.migrate()."""

from alembic import context

from originrules.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
