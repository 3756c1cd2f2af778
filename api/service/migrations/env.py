"""Alembic environment: run on the connection the service hands over (api/service/db.py upgrade)."""
from alembic import context

from prereview.api.service.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
