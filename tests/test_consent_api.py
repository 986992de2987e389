"""The cameo API on the real `kinora serve` app: create_character runs verification on the upload,
get_character, and POST /v1/videos with `characters` (JSON and bracket multipart) or an @handle in the
prompt: 403 `cameo_permission_denied` without a grant and after revocation."""

from __future__ import annotations

from pathlib import Path

from cameo_helpers import load_rgb, recording, require_espeak
from fastapi import FastAPI
from fastapi.testclient import TestClient
from feed_helpers import Studio, open_studio

from studio.consent.grants import grant, revoke
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_all
from studio.server.catalog import ModelMap
from studio.server.compose import studio_server
from studio.server.server import ServeOptions

TINY = {"model": "tiny-random", "size": "32x32", "seconds": "1"}


def app_for(studio: Studio) -> FastAPI:
    """The real `kinora serve` app over the studio's library, wired as the serve command wires it."""
    options = ServeOptions(engine_process=False, run_engine=False, models=ModelMap(fallback="tiny-random"))
    return studio_server(studio.lib, options, identity=studio.identity).app


def test_characters_and_the_403_without_and_after_a_grant(corpus: Path, tmp_path: Path) -> None:
    require_espeak()
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    try:
        a, b = TestClient(app_for(alice)), TestClient(app_for(bob))
        silent = recording(tmp_path / "mute.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"), speech=False)
        with silent.open("rb") as f:
            failed = a.post("/v1/videos/characters", data={"name": "alice"}, files={"video": ("mute.mp4", f, "video/mp4")})
        assert failed.status_code == 400 and "no speech heard" in failed.json()["error"]["message"]
        not_video = a.post("/v1/videos/characters", data={"name": "alice"}, files={"video": ("x.mp4", b"nope", "video/mp4")})
        assert not_video.status_code == 400 and "cannot be read as a video" in not_video.json()["error"]["message"]

        video = recording(tmp_path / "alice.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"))
        with video.open("rb") as f:
            made = a.post("/v1/videos/characters", data={"name": "alice"}, files={"video": ("alice.mp4", f, "video/mp4")})
        assert made.status_code == 200, made.text
        character = made.json()
        assert (character["id"], character["object"], character["reference_stills"] >= 1) == ("char_alice", "character", True)
        assert a.get("/v1/videos/characters/char_alice").json()["name"] == "@alice"

        denied = b.post("/v1/videos", json={"prompt": "waving at the sea", "characters": [{"id": "char_alice"}],
                                            **TINY})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "cameo_permission_denied"
        assert "No grant for @alice" in denied.json()["error"]["message"]
        assert b.get("/v1/videos/characters/char_alice").status_code == 404
        assert bob.lib.count_takes() == 0

        granted = grant(alice.lib, alice.identity, "alice", bob.key, "bob")  # writes alice's outbox
        subscribe(bob.lib, str(FeedStore(alice.lib).outbox))
        sync_all(bob.lib, me=bob.key)
        assert b.get("/v1/videos/characters/char_alice").json()["grant_id"] == granted.grant_id
        ok = b.post("/v1/videos", data={"prompt": "waving at the sea", "characters[0][id]": "char_alice", **TINY})
        assert ok.status_code == 200, ok.text
        assert ok.json()["kinora"]["recipe"]["mode"] == "image"  # conditioned on the reference still the grant carries
        assert bob.lib.count_takes() == 1

        revoke(alice.lib, alice.identity, granted.grant_id)
        sync_all(bob.lib, me=bob.key)
        after = b.post("/v1/videos", json={"prompt": "@alice waving again", **TINY})
        assert after.status_code == 403 and "revoked" in after.json()["error"]["message"]
    finally:
        alice.lib.close()
        bob.lib.close()
