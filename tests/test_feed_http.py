"""The /feed routes on a bare FastAPI app, and subscribing over loopback HTTP with its failure modes."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi.testclient import TestClient
from feed_helpers import Studio, feed_app, finished_take, serve

from studio.feed.fetch import open_source
from studio.feed.publish import publish_take
from studio.feed.signature import verify_document
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_subscription


def test_feed_route_serves_signed_public_posts_and_friends_posts_with_a_token(alice: Studio, tmp_path: Path) -> None:
    public = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "open to all"), alice.identity)
    friends = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "friends only", shade=9), alice.identity,
                           audience="friends")
    client = TestClient(feed_app(alice), client=("127.0.0.1", 50000))
    response = client.get("/feed")
    assert response.status_code == 200 and response.headers["content-type"] == "application/feed+json"
    assert verify_document(response.json()).author_key == alice.key
    assert [i["id"] for i in response.json()["items"]] == [public.post_id]
    assert client.get(f"/feed/{friends.video_name}").status_code == 403
    video = client.get(f"/feed/{public.video_name}")
    assert video.status_code == 200 and video.content == (FeedStore(alice.lib).outbox / public.video_name).read_bytes()
    invite = client.post("/feed/tokens", params={"label": "bob"}).json()
    assert invite["invite_url"].endswith(f"/feed?token={invite['token']}")
    with_token = client.get("/feed", params={"token": invite["token"]}).json()
    assert sorted(i["id"] for i in with_token["items"]) == sorted([public.post_id, friends.post_id])
    assert client.get(f"/feed/{friends.video_name}", headers={"Authorization": f"Bearer {invite['token']}"}).status_code == 200
    assert client.delete(f"/feed/tokens/{invite['token']}").status_code == 200
    assert [i["id"] for i in client.get("/feed", params={"token": invite["token"]}).json()["items"]] == [public.post_id]
    assert client.get("/feed/media/../../library.db").status_code == 404
    assert client.get("/feed/media/abcdefgh12.mp4").status_code == 404
    page = client.get("/feed/view")
    assert page.status_code == 200 and "<video" not in page.text.split("<script>")[0] and "alice on Kinora" in page.text


def test_subscribing_over_loopback_http_with_an_invite_link(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "for my friends"), alice.identity,
                        audience="friends")
    token = FeedStore(alice.lib).create_token("bob")
    with serve(feed_app(alice)) as url:
        without = subscribe(bob.lib, f"{url}/feed")
        assert sync_subscription(bob.lib, without.id, me=bob.key).imported == ()
        sub = subscribe(bob.lib, f"{url}/feed?token={token}")
        result = sync_subscription(bob.lib, sub.id, me=bob.key)
    assert result.ok and result.imported == (post.post_id,)
    take = bob.lib.take(FeedStore(bob.lib).post(post.post_id).take_id)
    assert take.recipe.prompt == "for my friends"


def _bad_server(alice: Studio) -> FastAPI:
    """A server that misbehaves in each of the ways a subscription must survive."""
    app = FastAPI()
    good = feed_app(alice)

    @app.get("/redirect-off-host/feed")
    def off_host() -> RedirectResponse:
        return RedirectResponse("http://localhost.invalid/feed")

    @app.get("/redirect-same-host/feed")
    def same_host() -> RedirectResponse:
        return RedirectResponse("/feed")

    @app.get("/slow/feed")
    def slow() -> Response:
        time.sleep(1.5)
        return Response(b"{}")

    @app.get("/huge/feed")
    def huge() -> Response:
        return Response(b" " * (5 * 1024 * 1024), media_type="application/feed+json")

    @app.get("/garbage/feed")
    def garbage() -> Response:
        return Response(b"<html>not a feed</html>")

    app.mount("/", good)
    return app


def test_bad_servers_fail_their_own_subscription_with_a_reason(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a swan"), alice.identity)

    def quick(source: str):  # noqa: ANN202
        return open_source(source, read_timeout_s=0.5)

    with serve(_bad_server(alice)) as url:
        reasons = {}
        for path in ("redirect-off-host", "slow", "huge", "garbage"):
            sub = subscribe(bob.lib, f"{url}/{path}/feed")
            reasons[path] = sync_subscription(bob.lib, sub.id, me=bob.key, source_factory=quick).error
        followed = subscribe(bob.lib, f"{url}/redirect-same-host/feed")
        same_host = sync_subscription(bob.lib, followed.id, me=bob.key, source_factory=quick)
    assert "redirected off the feed's host" in reasons["redirect-off-host"]
    assert "did not answer in time" in reasons["slow"]
    assert "cap" in reasons["huge"]
    assert "not JSON" in reasons["garbage"]
    assert same_host.ok and len(same_host.imported) == 1  # a redirect within the host is followed
    states = {s.source.rsplit("/", 2)[-2]: s.status for s in FeedStore(bob.lib).subscriptions()}
    assert states == {"redirect-off-host": "failed", "slow": "failed", "huge": "failed", "garbage": "failed",
                      "redirect-same-host": "ok"}


def test_oversize_post_is_refused_and_nothing_half_downloaded_stays(alice: Studio, bob: Studio, tmp_path: Path) -> None:
    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a long one"), alice.identity)
    with serve(feed_app(alice)) as url:
        sub = subscribe(bob.lib, f"{url}/feed")
        result = sync_subscription(bob.lib, sub.id, me=bob.key, max_video_bytes=1000)
    assert result.ok and "cap" in result.rejected[post.post_id]
    assert bob.lib.count_takes() == 0 and bob.lib.stray_media_files() == []
    assert not any((bob.lib.cache_dir / "feed-incoming").iterdir())
    assert json.loads(json.dumps(FeedStore(bob.lib).subscription(sub.id).rejections))[0][0] == post.post_id


def test_other_machines_are_refused_until_sharing_is_on(alice: Studio, tmp_path: Path) -> None:
    from studio.server.feed_routes import feed_router

    post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a wren"), alice.identity)
    sharing = {"on": False}
    app = FastAPI()
    app.include_router(feed_router(alice.lib, alice.identity, remote_allowed=lambda: sharing["on"]))
    phone = TestClient(app, client=("192.168.1.20", 50000))
    for path in ("/feed", "/feed/view", f"/feed/{post.video_name}"):
        assert phone.get(path).status_code == 403
    sharing["on"] = True
    assert phone.get("/feed").status_code == 200 and phone.get(f"/feed/{post.video_name}").status_code == 200
    assert phone.post("/feed/tokens").status_code == 403  # tokens: from this machine only, sharing or not
    assert TestClient(app, client=("127.0.0.1", 50001)).get("/feed").status_code == 200  # loopback is always served
