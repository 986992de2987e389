"""The /v1/videos routes: parse the request the SDK sends, call the service, answer in the SDK's shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import FormData, UploadFile

from .assets import MEDIA_TYPES, Assets
from .auth import caller_for
from .cameo_routes import characters_from_form
from .errors import ApiError
from .service import Caller, VideoService
from .uploads import Upload
from .wire import VARIANTS, Video, VideoDeleteResponse, VideoList

MAX_FIELDS = 32


def _service(request: Request) -> VideoService:
    return request.app.state.videos


def _video_response(service: VideoService, video: Video) -> JSONResponse:
    headers = {}
    after = service.poll_after_ms_for(video)
    if after is not None:
        headers["openai-poll-after-ms"] = str(after)
    return JSONResponse(video.model_dump(), headers=headers)


async def _fields(request: Request) -> tuple[dict[str, Any], FormData | None]:
    """The request's fields: a multipart/url-encoded form (what the SDK sends) or a JSON object."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "The body is not valid JSON.", code="invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The JSON body must be an object.", code="invalid_json")
        return _flatten(body), None
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        limits = request.app.state.videos.limits
        form = await request.form(max_files=4, max_fields=MAX_FIELDS, max_part_size=limits.upload_bytes)
        return {key: value for key, value in form.multi_items()}, form
    if not content_type and not await request.body():
        return {}, None
    raise ApiError(400, f"Send multipart/form-data or JSON, not {content_type or 'no content type'}.",
                   code="invalid_content_type")


def _flatten(body: dict[str, Any]) -> dict[str, Any]:
    """JSON `{"video": {"id": ...}}` -> the multipart spelling `video[id]`, so both read alike."""
    flat: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                flat[f"{key}[{inner}]"] = item
        else:
            flat[key] = value
    return flat


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, UploadFile):
        raise ApiError(400, f"{name} must be a text field, not a file.", param=name, code="invalid_field")
    if not isinstance(value, str | int):
        raise ApiError(400, f"{name} must be a string.", param=name, code="invalid_field")
    return str(value)


def _upload(fields: dict[str, Any], name: str) -> Upload | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise ApiError(400, f"{name} must be a file upload (or use {name}[id] / {name}[image_url]).", param=name,
                       code="invalid_field")
    return Upload(value.filename or "", value.content_type or "", value.file)


def _characters(fields: dict[str, Any]) -> list[dict[str, Any]] | None:
    """`characters`: a JSON list of `{id}`, or the multipart spelling `characters[0][id]`."""
    value = fields.get("characters")
    if value is not None:
        if not isinstance(value, list):
            raise ApiError(400, "characters must be a list of {\"id\": ...}.", param="characters", code="invalid_field")
        return value
    return characters_from_form(fields) or None


def _caller(request: Request, key: str) -> Caller:
    def mark() -> None:
        request.state.queued = True

    return Caller(key=key, idempotency_key=request.headers.get("idempotency-key"), mark_queued=mark)


async def _answer(request: Request, call: Callable[[VideoService, dict[str, Any]], Video]) -> JSONResponse:
    """Read the request's fields, run `call` off the event loop (it may import an upload, touch the
    library), answer the video; the multipart form's spooled files are closed whatever happens."""
    fields, form = await _fields(request)
    try:
        service = _service(request)
        return _video_response(service, await run_in_threadpool(call, service, fields))
    finally:
        if form is not None:
            await form.close()


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post("/videos")
    async def create_video(request: Request, key: str = Depends(caller_for)) -> JSONResponse:
        return await _answer(request, lambda service, fields: service.create(
            _caller(request, key), prompt=_text(fields, "prompt"), model=_text(fields, "model"),
            seconds=_text(fields, "seconds"), size=_text(fields, "size"),
            image=_upload(fields, "input_reference"), image_url=_text(fields, "input_reference[image_url]"),
            file_id=_text(fields, "input_reference[file_id]"), characters=_characters(fields)))

    @router.get("/videos")
    def list_videos(request: Request, after: str | None = None, limit: int = Query(20),
                    order: str = Query("desc"), key: str = Depends(caller_for)) -> VideoList:
        return _service(request).list(after=after, limit=limit, order=order)

    @router.get("/videos/{video_id}")
    async def retrieve_video(request: Request, video_id: str, key: str = Depends(caller_for)) -> JSONResponse:
        # The hot path (every poll): a millisecond of reads in WAL mode, which never wait for a writer, so it
        # runs on the event loop instead of paying a hop to the thread pool under 50 concurrent pollers.
        service = _service(request)
        return _video_response(service, service.retrieve(video_id))

    @router.delete("/videos/{video_id}")
    def delete_video(request: Request, video_id: str, key: str = Depends(caller_for)) -> VideoDeleteResponse:
        return _service(request).delete(video_id)

    @router.get("/videos/{video_id}/content")
    def download_content(request: Request, video_id: str, variant: str = Query("video"),
                         key: str = Depends(caller_for)) -> FileResponse:
        if variant not in VARIANTS:
            raise ApiError(400, f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}.", param="variant",
                           code="invalid_variant")
        service = _service(request)
        take, media_path = service.media_path(video_id)
        assets: Assets = request.app.state.assets
        path = assets.path(take, media_path, variant)
        suffix = path.suffix
        # FileResponse answers Range requests (206 with Content-Range) itself.
        return FileResponse(path, media_type=MEDIA_TYPES[variant], filename=f"{video_id}-{variant}{suffix}")

    @router.post("/videos/{video_id}/remix")
    async def remix_video(request: Request, video_id: str, key: str = Depends(caller_for)) -> JSONResponse:
        return await _answer(request, lambda service, fields: service.remix(
            _caller(request, key), video_id, _text(fields, "prompt")))

    @router.post("/videos/extensions")
    async def extend_video(request: Request, key: str = Depends(caller_for)) -> JSONResponse:
        return await _answer(request, lambda service, fields: service.extend(
            _caller(request, key), prompt=_text(fields, "prompt"), seconds=_text(fields, "seconds"),
            video=_upload(fields, "video"), video_ref=_text(fields, "video[id]")))

    @router.post("/videos/edits")
    async def edit_video(request: Request, key: str = Depends(caller_for)) -> JSONResponse:
        return await _answer(request, lambda service, fields: service.edit(
            _caller(request, key), prompt=_text(fields, "prompt"), video=_upload(fields, "video"),
            video_ref=_text(fields, "video[id]")))

    @router.post("/videos/{video_id}/cancel")
    def cancel_video(request: Request, video_id: str, key: str = Depends(caller_for)) -> JSONResponse:
        """A Kinora extension (the SDK has no cancel): the video ends `failed` with error.code "cancelled"."""
        service = _service(request)
        return _video_response(service, service.cancel(video_id))

    return router
