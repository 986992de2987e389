"""The server a creator runs: the OpenAI Videos API with this library's feed (/feed) and cameos.

`kinora serve` and the studio's "Serve the OpenAI Videos API" toggle both build it here, so the two
serve the same routes under the same rules.
"""

from __future__ import annotations

from studio.consent.usage import issue_receipts
from studio.library import Library
from studio.provenance.identity import SigningIdentity, ensure_identity

from .cameo_routes import cameo_router, clear_video_request
from .feed_routes import feed_router
from .server import KinoraServer, ServeOptions


def studio_server(library: Library, options: ServeOptions, *, identity: SigningIdentity | None = None,
                  share_feed: bool = False, feed: bool = True) -> KinoraServer:
    """`feed`: serve the library's feed at /feed, to this machine only unless `share_feed`.
    Cameo requests (@handles, `characters`) are checked against grants and content rules before queueing,
    and each take this server's engine finishes signs its cameo usage receipts."""
    identity = identity or ensure_identity()
    public = [feed_router(library, identity, remote_allowed=lambda: share_feed)] if feed else []
    return KinoraServer(
        library, options, routers=[cameo_router(library, identity)], public_routers=public,
        clear=lambda recipe, characters, spec: clear_video_request(library, identity, recipe, characters, spec).recipe,
        after_take=lambda take_id: issue_receipts(library, identity, take_id))
