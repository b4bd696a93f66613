"""The central collector: receives signed reports from school agents and lets a trust compare its schools.

FastAPI on uvicorn, SQLAlchemy 2 with Alembic migrations (applied on start), SQLite by default and PostgreSQL by
URL. It imports only ``contract``, ``standards_map`` and ``reports`` of the project (never ``agent`` or
``probes``), so a trust server installs it with the ``[collector]`` extra alone.
"""

from importlib.metadata import PackageNotFoundError, version

DEFAULT_DB_URL = "sqlite:///schoolnet-collector.db"

try:
    __version__ = version("schoolnet-audit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
