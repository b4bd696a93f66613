"""The collector's API routes, one router per audience (the FastAPI project template's layout).

``api_router`` is everything under ``/api/v1``; ``create_app`` includes it with one line, and so do other routers
(the dashboard's pages, the speed endpoint).
"""

from fastapi import APIRouter

from collector.routers import agents, external_scans, filtering, reports, service, sites

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(service.router)
api_router.include_router(agents.router)
api_router.include_router(sites.router)
api_router.include_router(reports.router)
api_router.include_router(filtering.router)
api_router.include_router(external_scans.router)
