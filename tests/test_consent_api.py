"""The cameo API on a bare FastAPI app: create_character runs verification on the upload, get_character,
and a videos endpoint wired as studio/server/cameo_routes.py tells the videos routes to wire it
(JSON and bracket multipart `characters`, 403 `cameo_permission_denied`)."""

from __future__ import annotations

from pathlib import Path

from cameo_helpers import load_rgb, recording, require_espeak
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from feed_helpers import Studio, open_studio

from studio.consent.grants import grant, revoke
from studio.engine.registry import get_model
from studio.engine.runner import Runner
from studio.errors import ConsentError
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_all
from studio.recipe import Recipe
from studio.server.cameo_routes import cameo_router, characters_from_form, clear_video_request, permission_denied

TINY = dict(model_id="tiny-random", width=32, height=32, fps=8.0, steps=2, seconds=0.5)


def app_for(studio: Studio, runner: Runner) -> FastAPI:
    app = FastAPI()
    app.include_router(cameo_router(studio.lib, studio.identity))
    spec = get_model("tiny-random")

    @app.post("/v1/videos")  # the videos route's consent step, as its docstring says to wire it
    async def create(request: Request) -> object:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            prompt, characters = body["prompt"], body.get("characters")
        else:
            form = await request.form()
            prompt, characters = str(form["prompt"]), characters_from_form(form)
        try:
            cleared = clear_video_request(studio.lib, studio.identity, Recipe(prompt, seed=1, **TINY), characters, spec)
        except ConsentError as exc:
            return permission_denied(exc)
        return {"id": runner.submit(cleared.recipe), "mode": str(cleared.recipe.mode)}

    return app


def test_characters_and_the_403_without_and_after_a_grant(corpus: Path, tmp_path: Path) -> None:
    require_espeak()
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    runner = Runner(bob.lib)
    try:
        a, b = TestClient(app_for(alice, Runner(alice.lib))), TestClient(app_for(bob, runner))
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

        denied = b.post("/v1/videos", json={"prompt": "waving at the sea", "characters": [{"id": "char_alice"}]})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "cameo_permission_denied"
        assert "No grant for @alice" in denied.json()["error"]["message"]
        assert b.get("/v1/videos/characters/char_alice").status_code == 404
        assert bob.lib.count_takes() == 0

        granted = grant(alice.lib, alice.identity, "alice", bob.key, "bob")  # writes alice's outbox
        subscribe(bob.lib, str(FeedStore(alice.lib).outbox))
        sync_all(bob.lib, me=bob.key)
        assert b.get("/v1/videos/characters/char_alice").json()["grant_id"] == granted.grant_id
        ok = b.post("/v1/videos", data={"prompt": "waving at the sea", "characters[0][id]": "char_alice"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["mode"] == "image"  # conditioned on the reference still the grant carries
        assert bob.lib.count_takes() == 1

        revoke(alice.lib, alice.identity, granted.grant_id)
        sync_all(bob.lib, me=bob.key)
        after = b.post("/v1/videos", json={"prompt": "@alice waving again"})
        assert after.status_code == 403 and "revoked" in after.json()["error"]["message"]
    finally:
        runner.unload()
        alice.lib.close()
        bob.lib.close()
