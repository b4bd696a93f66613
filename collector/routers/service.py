"""The service itself: liveness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from collector import __version__
from collector.deps import SessionDep

router = APIRouter(tags=["service"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """Liveness: the service answers and its database is reachable."""
    session.execute(select(1))
    return {"status": "ok", "version": __version__}
