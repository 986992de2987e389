"""The /feed routes of `kinora serve`: my signed feed, its media, a web view, and invite tokens.

Mount with `app.include_router(feed_router(library, identity))` (or pass it in the server's
`routers=[...]`). Routes, thin over studio.feed:

- `GET  /feed`                  the signed JSON Feed (`application/feed+json`): public posts, or every
                                post with a valid invite token (`?token=...` or `Authorization: Bearer`)
- `GET  /feed/media/{name}`     a post's signed MP4 or poster (friends-only ones need the token); ranges work
- `GET  /feed/view`             a small HTML page: vertical swipe, autoplay, like and remix counts
- `POST /feed/tokens`           make an invite token -> {"token", "invite_url"}  (loopback clients only)
- `DELETE /feed/tokens/{token}` revoke it (loopback clients only)

Nothing is served to another machine until the creator turns sharing on: requests from outside
loopback get 403 unless `remote_allowed()` says yes (the server passes its sharing setting), whatever
address the server listens on. Token management stays loopback-only even then.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from studio.errors import FeedError
from studio.feed.document import MIME_TYPE, encode
from studio.feed.publish import build_document
from studio.feed.store import FeedStore

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity

_MEDIA_NAME = re.compile(r"^[A-Za-z0-9_-]{8,64}\.(mp4|jpg)$")
LOOPBACK_HOSTS = frozenset({"localhost"})  # names; addresses are checked with ipaddress


def feed_router(library: Library, identity: SigningIdentity, *, prefix: str = "/feed",
                remote_allowed: Callable[[], bool] = lambda: False) -> APIRouter:
    """The feed's routes over one library, signed as `identity` (the library's own).

    `remote_allowed`: whether clients off loopback may read the feed now (the creator's sharing switch).
    """
    store = FeedStore(library)

    def sharing_gate(request: Request) -> None:
        if not _is_loopback(request) and not remote_allowed():
            raise HTTPException(403, "Sharing is off: this studio serves its feed to this machine only.")

    router = APIRouter(prefix=prefix, tags=["feed"], dependencies=[Depends(sharing_gate)])

    def token_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return request.query_params.get("token")

    def require_loopback(request: Request) -> None:
        if not _is_loopback(request):
            raise HTTPException(403, "Invite tokens are managed from this machine only.")

    @router.get("", response_class=Response, name="feed_document")
    def get_feed(request: Request) -> Response:
        friends = store.token_valid(token_of(request))
        document = build_document(library, identity, include_friends=friends)
        return Response(encode(document), media_type=MIME_TYPE, headers={"Cache-Control": "no-store"})

    @router.get("/media/{name}", name="feed_media")
    def get_media(name: str, request: Request) -> FileResponse:
        if not _MEDIA_NAME.match(name):
            raise HTTPException(404, "No such file in this feed.")
        relative = f"media/{name}"
        posts = store.posts(where="p.subscription_id IS NULL AND (p.video_name = ? OR p.poster_name = ?)",
                            params=(relative, relative))
        if not posts:
            raise HTTPException(404, "No such file in this feed.")
        if posts[0].audience == "friends" and not store.token_valid(token_of(request)):
            raise HTTPException(403, "This post is for friends: open the feed with your invite link.")
        path = store.outbox / relative
        if not path.is_file():
            raise HTTPException(404, "The post's file is missing from the outbox.")
        return FileResponse(path, media_type="video/mp4" if name.endswith(".mp4") else "image/jpeg")

    @router.get("/view", response_class=HTMLResponse, name="feed_view")
    def get_view() -> HTMLResponse:
        return HTMLResponse(_VIEW_PAGE.replace("__FEED_URL__", json.dumps(prefix))
                            .replace("__TITLE__", _html_escape(f"{identity.name} on Kinora")))

    @router.post("/tokens", name="feed_token_create")
    def create_token(request: Request, label: str = "") -> dict[str, str]:
        require_loopback(request)
        token = store.create_token(label)
        return {"token": token, "invite_url": str(request.url_for("feed_document").include_query_params(token=token))}

    @router.delete("/tokens/{token}", name="feed_token_revoke")
    def revoke_token(token: str, request: Request) -> dict[str, str]:
        require_loopback(request)
        try:
            store.revoke_token(token)
        except FeedError as exc:
            raise HTTPException(404, str(exc)) from exc
        return {"revoked": token}

    return router


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client is not None else ""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# Text from the feed goes in with textContent only, never as HTML. Videos start muted (browsers only
# autoplay muted video); a tap unmutes. The card in view plays and loops; the others pause.
_VIEW_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
html, body { margin: 0; height: 100%; background: #000; color: #fff; font-family: system-ui, sans-serif; }
#feed { height: 100vh; overflow-y: scroll; scroll-snap-type: y mandatory; }
.card { height: 100vh; scroll-snap-align: start; scroll-snap-stop: always; position: relative;
        display: flex; justify-content: center; align-items: center; }
.card video { height: 100%; max-width: 100%; aspect-ratio: 9 / 16; object-fit: cover; background: #111; }
.overlay { position: absolute; left: 16px; right: 90px; bottom: 24px; text-shadow: 0 1px 4px #000; }
.author { font-weight: 600; } .prompt { margin-top: 6px; }
.counts { position: absolute; right: 16px; bottom: 32px; text-align: center; font-size: 14px; line-height: 1.6; }
#empty { padding: 40vh 24px; text-align: center; color: #aaa; }
</style></head>
<body><div id="feed"></div>
<script>
const FEED_URL = __FEED_URL__;
const token = new URLSearchParams(location.search).get("token");
const query = token ? "?token=" + encodeURIComponent(token) : "";
const base = new URL(FEED_URL + "/", location.href);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text; return e; }
fetch(FEED_URL + query).then(r => r.json()).then(doc => {
  const feed = document.getElementById("feed");
  if (!doc.items.length) { feed.appendChild(el("div", "", "Nothing published yet.")).id = "empty"; return; }
  const author = (doc.authors[0] || {}).name || "";
  for (const item of doc.items) {
    const card = el("section", "card");
    const video = el("video");
    video.src = new URL(item.attachments[0].url, base) + query;
    if (item.image) video.poster = new URL(item.image, base) + query;
    video.muted = true; video.loop = true; video.playsInline = true; video.preload = "auto";
    video.addEventListener("click", () => { video.muted = !video.muted; });
    const k = item._kinora || {};
    const overlay = el("div", "overlay");
    overlay.append(el("div", "author", author), el("div", "prompt", item.content_text || ""));
    const counts = el("div", "counts");
    counts.append(el("div", "likes", "\\u2665 " + (k.likes || 0)), el("div", "remixes", "\\u21bb " + (k.remixes || 0)));
    card.append(video, overlay, counts);
    feed.appendChild(card);
  }
  const observer = new IntersectionObserver(entries => {
    for (const e of entries) { const v = e.target.querySelector("video");
      if (e.isIntersecting) { v.play().catch(() => {}); } else { v.pause(); } }
  }, { threshold: 0.6 });
  document.querySelectorAll(".card").forEach(c => observer.observe(c));
});
</script></body></html>
"""
