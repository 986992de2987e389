"""Cameos in the OpenAI-style Videos API (issue 20): characters, and the consent check of a video request.

`studio.server.compose.studio_server` mounts `cameo_router(library, identity)`:

- `POST /v1/videos/characters` (multipart: `name` = the handle, `video` = the recording; optional `access`,
  repeated `restrictions`) runs the same verification as the Cameo dialog and returns the cameo as a
  character; a recording that fails verification is 400 `cameo_verification_failed` naming the check.
- `GET /v1/videos/characters/{id}`: my cameo, or a friend's that a valid grant lets me use.

The videos service (`VideoService._consent`) calls `clear_video_request` before queueing a create or a
remix (`characters=[{id}]` as JSON, or bracket multipart read by `characters_from_form`) and answers a
ConsentError with 403 `cameo_permission_denied`; the server signs usage receipts
(`studio.consent.usage.issue_receipts`) for each take its engine finishes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from studio.consent.cameos import CameoStore, clean_handle, create_cameo
from studio.consent.grants import valid_grant
from studio.consent.records import Cameo, Grant
from studio.consent.usage import Cleared, clear_recipe, mentions
from studio.errors import ConsentError, KinoraError
from studio.feed.signature import author_key

if TYPE_CHECKING:
    from studio.engine.registry import ModelSpec
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity
    from studio.recipe import Recipe

CHARACTER_PREFIX = "char_"
_BRACKET = re.compile(r"^characters\[(\d+)\]\[(\w+)\]$")


def character_id(handle: str) -> str:
    return f"{CHARACTER_PREFIX}{handle}"


def handle_of(character: str) -> str:
    """`char_alice`, `@alice` or `alice` -> `alice` (ConsentError for anything else)."""
    return clean_handle(character.removeprefix(CHARACTER_PREFIX))


def characters_from_form(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """`characters[0][id]=char_alice` fields of a multipart request, in index order."""
    found: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _BRACKET.match(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = str(value)
    return [found[i] for i in sorted(found)]


def clear_video_request(library: Library, identity: SigningIdentity, recipe: Recipe,
                        characters: list[dict[str, Any]] | None, spec: ModelSpec) -> Cleared:
    """Consent for a video request: the characters it names join the prompt's @handles (at most two in
    all) under the same grant and content rules as the studio and the CLI. ConsentError if refused."""
    named = []
    for entry in characters or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConsentError("Each entry of 'characters' needs an 'id' (from POST /v1/videos/characters).")
        named.append(handle_of(entry["id"]))
    extra = [h for h in named if h not in mentions(recipe.prompt)]
    checked = recipe.replace(prompt=" ".join([recipe.prompt, *(f"@{h}" for h in extra)])) if extra else recipe
    return clear_recipe(library, checked, author_key(identity), spec)


def _mine(cameo: Cameo) -> dict[str, Any]:
    return {"id": character_id(cameo.handle), "object": "character", "name": f"@{cameo.handle}",
            "owner_name": cameo.owner_name, "owner_key": cameo.owner_key, "access": str(cameo.access),
            "restrictions": list(cameo.restrictions), "reference_stills": len(cameo.still_media_ids),
            "voice_sample": cameo.voice_media_id is not None, "created_at": int(cameo.created_at)}


def _granted(grant: Grant) -> dict[str, Any]:
    return {"id": character_id(grant.handle), "object": "character", "name": f"@{grant.handle}",
            "owner_name": grant.owner_name, "owner_key": grant.owner_key, "grant_id": grant.grant_id,
            "scope": str(grant.scope), "expires_at": grant.expires_at, "restrictions": list(grant.restrictions)}


def cameo_router(library: Library, identity: SigningIdentity) -> APIRouter:
    router = APIRouter(prefix="/v1/videos", tags=["cameos"])
    store = CameoStore(library)

    @router.post("/characters")
    def create_character(name: Annotated[str, Form()], video: Annotated[UploadFile, File()],
                         access: Annotated[str, Form()] = "approved",
                         restrictions: Annotated[list[str] | None, Form()] = None) -> Any:
        library.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=library.cache_dir) as tmp:
            path = Path(tmp) / f"upload{Path(video.filename or 'video.mp4').suffix or '.mp4'}"
            with path.open("wb") as out:
                shutil.copyfileobj(video.file, out)
            try:
                cameo, _ = create_cameo(library, identity, path, name, access=access, restrictions=tuple(restrictions or ()))
            except (KinoraError, ValueError) as exc:  # a failed check, an unreadable file, a bad access level
                return JSONResponse(status_code=400, content={"error": {
                    "code": "cameo_verification_failed", "message": str(exc), "type": "invalid_request_error"}})
        return _mine(cameo)

    @router.get("/characters/{character}")
    def get_character(character: str) -> Any:
        try:
            handle = handle_of(character)
            mine = store.find(handle)
            if mine is not None:
                return _mine(mine)
            return _granted(valid_grant(library, handle, author_key(identity)))
        except ConsentError as exc:
            return JSONResponse(status_code=404, content={"error": {"code": "character_not_found", "message": str(exc),
                                                                    "type": "invalid_request_error"}})

    return router
