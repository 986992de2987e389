"""The app factory: the Videos API routes, error handlers, limits, optional CORS, and extra routers (/feed)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from studio import __version__

from .assets import Assets
from .auth import caller_for
from .errors import install_error_handlers
from .keys import KeyStore
from .limits import BodyLimit
from .routes import build_router
from .service import VideoService


def create_app(videos: VideoService, *, keys: KeyStore | None = None, cors_origins: Sequence[str] = (),
               routers: Sequence[APIRouter] = (), public_routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The ASGI app over `videos`.

    keys: require `Authorization: Bearer KEY` from this store on every route (None: no keys, loopback only).
    cors_origins: origins allowed by CORS (none by default: browsers on other sites get no access).
    routers: more routers to serve (each with its own prefix, e.g. the Feed's APIRouter(prefix="/feed")); the
    same key check applies to them.
    public_routers: routers served without the key check (what they expose is their own decision, e.g. a
    published feed that subscribers on other machines read).
    """
    app = FastAPI(title="Kinora", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.videos = videos
    app.state.assets = Assets(videos.library)
    app.state.keys = keys
    install_error_handlers(app)
    app.include_router(build_router())
    for router in routers:
        app.include_router(router, dependencies=[Depends(caller_for)])
    for router in public_routers:
        app.include_router(router)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["openai-poll-after-ms"])
    app.add_middleware(BodyLimit, max_bytes=videos.limits.upload_bytes)
    return app
