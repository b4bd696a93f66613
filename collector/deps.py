"""What the collector's routes depend on (FastAPI dependencies), in one place: the service's state, a database
session per request, and who is asking (an API token of one trust, with its role).

Routers declare what they need with the ``Annotated`` aliases (``SessionDep``, ``ViewerDep``, ``AdminDep``,
``StateDep``); FastAPI resolves each once per request, so a route and its auth share one session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from collector.admin import AdminError, TokenGrant, authenticate
from collector.ingest import IngestSettings
from collector.models import Trust


@dataclass
class CollectorState:
    """Everything a request may need, built once by ``create_app`` and kept on ``app.state.collector``."""

    engine: Engine
    sessions: sessionmaker[Session]
    write_guard: Callable[[], AbstractContextManager[None]]
    ingest: IngestSettings
    ingest_threads: int = 1
    # Made on first use: a CapacityLimiter needs the running event loop.
    _limiter: list[CapacityLimiter] = field(default_factory=list)

    def ingest_limiter(self) -> CapacityLimiter:
        if not self._limiter:
            self._limiter.append(CapacityLimiter(self.ingest_threads))
        return self._limiter[0]


def get_state(request: Request) -> CollectorState:
    state: CollectorState = request.app.state.collector
    return state


StateDep = Annotated[CollectorState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

bearer = HTTPBearer(auto_error=False, description="API token of one trust (`schoolnet collector token viewer`)")


def token_grant(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], session: SessionDep
) -> TokenGrant:
    """The caller's API token, checked on every request: unknown, revoked or expired answers 401 at once."""
    if credentials is None:
        raise HTTPException(401, "an API token is needed (Authorization: Bearer ...)")
    try:
        return authenticate(session, credentials.credentials)
    except AdminError as exc:
        raise HTTPException(exc.status_code, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None


GrantDep = Annotated[TokenGrant, Depends(token_grant)]


def viewer(grant: GrantDep) -> Trust:
    """The one trust this token may read (viewer and admin tokens alike)."""
    return grant.trust


def trust_admin(grant: GrantDep) -> Trust:
    """The trust this token administers; a viewer token gets 403."""
    if grant.role != "admin":
        raise HTTPException(403, "this needs an admin token of the trust (`collector token viewer --role admin`)")
    return grant.trust


ViewerDep = Annotated[Trust, Depends(viewer)]
AdminDep = Annotated[Trust, Depends(trust_admin)]
