"""The central collector: receives signed reports from school agents and lets a trust compare its schools.

FastAPI on uvicorn, SQLAlchemy 2 with Alembic migrations (applied on start), SQLite by default and PostgreSQL by
URL. It imports no probe code that needs scapy or netmiko: only ``agent.delivery.signing`` (cryptography),
``contract.report`` and ``standards_map`` (pydantic).
"""

DEFAULT_DB_URL = "sqlite:///schoolnet-collector.db"
