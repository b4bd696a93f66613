"""Alembic migrations, shipped inside the package and applied by the collector on start."""
