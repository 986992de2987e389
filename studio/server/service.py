"""The Videos API as a service over the library, the engine and the export path (no HTTP here).

A video is a take: its id is `video_<take id>`. Requests become `Recipe`s queued through the
engine's `submit` (the Runner's public surface, so any engine with the same calls can be passed in);
the library's jobs table is the queue every Kinora process shares.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.control import EngineControl
from studio.engine.events import FINAL_PHASES, EngineEvent
from studio.engine.registry import ModelSpec, require_installed
from studio.errors import ConsentError, EngineError, LibraryError
from studio.library import Library
from studio.library.records import TakeRecord
from studio.recipe import MIN_SECONDS, Recipe

from .catalog import ModelMap, frame_size, nearest_sdk_size, parse_seconds
from .errors import ApiError
from .limits import Limits, check_prompt
from .uploads import Upload, Uploads
from .wire import KinoraFacts, Video, VideoCreateError, VideoDeleteResponse, VideoList

ORIGIN = "api"
_VIDEO_ID = re.compile(r"^video_([1-9][0-9]{0,17})$")


# (recipe, the request's `characters`, the model) -> the recipe to queue; ConsentError when refused.
ClearRequest = Callable[[Recipe, "list[dict[str, Any]] | None", ModelSpec], Recipe]


@dataclass(frozen=True)
class Caller:
    """Who is asking: the API key's name ("" without keys) and an Idempotency-Key, if sent."""

    key: str = ""
    idempotency_key: str | None = None
    mark_queued: Callable[[], None] = lambda: None  # told once a job is queued (its errors must not invite a retry)


@dataclass
class _Ledger:
    """Per-process state: live progress from this process's engine, and the lock that orders creates.

    Idempotency keys and each key's jobs are the library's (`api_takes`): they outlive a restart.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)  # creates, one at a time
    progress_lock: threading.Lock = field(default_factory=threading.Lock)  # polls never wait for a create
    progress: dict[int, int] = field(default_factory=dict)


def video_id(take_id: int) -> str:
    return f"video_{take_id}"


def take_id_of(vid: str, param: str = "video_id") -> int:
    """The take id in `video_<n>`; 404 for anything else (nothing of the id reaches a file path)."""
    match = _VIDEO_ID.match(vid or "")
    if match is None:
        raise ApiError(404, f"No video found with id '{vid}'.", param=param, code="not_found")
    return int(match.group(1))


class VideoService:
    """create / retrieve / list / delete / remix / extend / edit / cancel, over one library and one engine."""

    def __init__(self, library: Library, engine: EngineControl, *, models: ModelMap | None = None,
                 limits: Limits | None = None, poll_after_ms: int = 1000, clear: ClearRequest | None = None) -> None:
        self.library = library
        self.clear = clear
        self.engine = engine
        self.models = models or ModelMap()
        self.limits = limits or Limits()
        self.poll_after_ms = poll_after_ms
        self.uploads = Uploads(library, self.limits)
        self._ledger = _Ledger()

    # ---- events (from an in-process engine) -------------------------------------------------------
    def on_event(self, event: EngineEvent) -> None:
        """Track progress for `progress`; hand this to the engine as (part of) its on_event."""
        with self._ledger.progress_lock:
            if event.phase in FINAL_PHASES:
                self._ledger.progress.pop(event.take_id, None)
            else:
                self._ledger.progress[event.take_id] = min(99, int(event.fraction * 100))

    # ---- reading ---------------------------------------------------------------------------------
    def retrieve(self, vid: str) -> Video:
        return self._video(self._take(take_id_of(vid)))

    def list(self, *, after: str | None, limit: int, order: str) -> VideoList:
        if not 1 <= limit <= 100:
            raise ApiError(400, f"limit must be from 1 to 100, not {limit}.", param="limit", code="invalid_limit")
        if order not in ("asc", "desc"):
            raise ApiError(400, f"order must be 'asc' or 'desc', not {order!r}.", param="order", code="invalid_order")
        where, params = "origin = 'generated'", []
        if after:
            where += " AND id > ?" if order == "asc" else " AND id < ?"
            params.append(take_id_of(after, "after"))
        direction = "ASC" if order == "asc" else "DESC"
        # Ids only grow, so a cursor names a fixed place in either order: new videos never shift a page.
        rows = self.library.database.query(f"SELECT id FROM takes WHERE {where} ORDER BY id {direction} LIMIT ?",
                                           [*params, limit + 1])
        data = [self._video(self.library.take(row["id"])) for row in rows[:limit]]
        return VideoList(data=data, first_id=data[0].id if data else None, last_id=data[-1].id if data else None,
                         has_more=len(rows) > limit)

    def poll_after_ms_for(self, video: Video) -> int | None:
        return self.poll_after_ms if video.status in ("queued", "in_progress") else None

    def media_path(self, vid: str) -> tuple[TakeRecord, Path]:
        """A completed video's take and its file in the store (400 while it is not completed)."""
        take = self._take(take_id_of(vid))
        if take.status != "done" or take.media_id is None:
            raise ApiError(400, f"Video {vid} is {self._status(take)}; its content is there once it is completed.",
                           param="video_id", code="video_not_ready")
        media = self.library.media(take.media_id)
        if media.missing:
            raise ApiError(404, f"The file of video {vid} is missing from the library.", code="content_missing")
        return take, self.library.media_path(media)

    # ---- writing ---------------------------------------------------------------------------------
    def create(self, caller: Caller, *, prompt: str | None, model: str | None, seconds: str | None,
               size: str | None, image: Upload | None = None, image_url: str | None = None,
               file_id: str | None = None, characters: list[dict[str, Any]] | None = None) -> Video:
        prompt = check_prompt(prompt, self.limits)
        spec = self.models.resolve(model)
        whole = parse_seconds(seconds)
        width, height = frame_size(size, spec)
        if file_id:
            raise ApiError(400, "input_reference.file_id is not supported here: upload the image or send "
                                "input_reference[image_url] as a data: URL.", param="input_reference[file_id]",
                           code="unsupported")
        mode = "text"
        if image is not None or image_url:
            mode = "image"
            self._require_mode(spec, "image", "input_reference")
        recipe = Recipe(prompt=prompt, model_id=spec.id, seconds=float(whole), fps=spec.native_fps, width=width,
                        height=height)  # validated now, before an upload is imported
        recipe = self._consent(recipe, characters, spec)

        def queue() -> int:
            nonlocal recipe
            if mode == "image":
                recipe = recipe.replace(mode="image", image=str(self.uploads.image(image, image_url)))
            return self._submit(recipe)

        return self._queue(caller, queue, spec.id)

    def remix(self, caller: Caller, vid: str, prompt: str | None) -> Video:
        prompt = check_prompt(prompt, self.limits)
        parent = self._take(take_id_of(vid))
        if parent.recipe is None:
            raise ApiError(400, f"Video {vid} was imported without a recipe; there is nothing to remix. "
                                "Use /v1/videos/edits to restyle it.", param="video_id", code="no_recipe")
        recipe = self._consent(parent.recipe.replace(prompt=prompt), None, self.models.resolve(parent.recipe.model_id))
        return self._queue(caller, lambda: self._submit(recipe, parent.id, "remix"), recipe.model_id)

    def _consent(self, recipe: Recipe, characters: list[dict[str, Any]] | None, spec: ModelSpec) -> Recipe:
        """Cameos (@handles, `characters`) and the content rules, checked before anything is queued: 403
        `cameo_permission_denied` with the reason, as the studio and the CLI refuse it."""
        if self.clear is None:
            if characters:
                raise ApiError(400, "This server does not serve cameos.", param="characters", code="unsupported")
            return recipe
        try:
            return self.clear(recipe, characters, spec)
        except ConsentError as exc:
            raise ApiError(403, str(exc), param="characters" if characters else "prompt",
                           code="cameo_permission_denied") from None

    def extend(self, caller: Caller, *, prompt: str | None, seconds: str | None, video: Upload | None,
               video_ref: str | None) -> Video:
        """Extend a video to `seconds` in total (the SDK's `seconds` is the stitched total)."""
        prompt = check_prompt(prompt, self.limits)
        total = parse_seconds(seconds)

        def queue() -> int:
            parent = self._source_take(video, video_ref)
            added = round(total - parent.duration, 3)
            if added < MIN_SECONDS:
                raise ApiError(400, f"seconds is the new total length: {total} s does not extend a "
                                    f"{parent.duration:g} s video by at least {MIN_SECONDS:g} s.", param="seconds",
                               code="invalid_seconds")
            spec = self._remix_model(parent, "extend")
            recipe = Recipe(prompt=prompt, model_id=spec.id, seconds=added, fps=spec.native_fps,
                            **self._parent_size(parent, spec), mode="extend", source_take_id=parent.id)
            return self._submit(recipe, parent.id, "extend")

        return self._queue(caller, queue, None)

    def edit(self, caller: Caller, *, prompt: str | None, video: Upload | None, video_ref: str | None) -> Video:
        prompt = check_prompt(prompt, self.limits)

        def queue() -> int:
            parent = self._source_take(video, video_ref)
            spec = self._remix_model(parent, "video")
            recipe = Recipe(prompt=prompt, model_id=spec.id, seconds=max(MIN_SECONDS, min(parent.duration, 20.0)),
                            fps=spec.native_fps, **self._parent_size(parent, spec), mode="video",
                            source_take_id=parent.id)
            return self._submit(recipe, parent.id, "video")

        return self._queue(caller, queue, None)

    def delete(self, vid: str) -> VideoDeleteResponse:
        take = self._take(take_id_of(vid))
        if take.status not in ("done", "failed", "canceled"):
            raise ApiError(400, f"Video {vid} is {self._status(take)}; only completed or failed videos can be "
                                "deleted (cancel it first: POST /v1/videos/{id}/cancel).", param="video_id",
                           code="invalid_state")
        self.library.delete_take(take.id)
        return VideoDeleteResponse(id=vid, deleted=True)

    def cancel(self, vid: str) -> Video:
        take = self._take(take_id_of(vid))
        if take.status in ("done", "failed", "canceled"):
            raise ApiError(400, f"Video {vid} is {self._status(take)}; only queued or in-progress videos can be "
                                "cancelled.", param="video_id", code="invalid_state")
        self.engine.cancel(take.id)
        return self._video(self.library.take(take.id))

    # ---- helpers ---------------------------------------------------------------------------------
    def _queue(self, caller: Caller, make: Callable[[], int], model_id: str | None) -> Video:
        """Run `make` (which queues one take) once per idempotency key, within the caller's queue depth."""
        if model_id is not None:
            self._check_installed(model_id)
        with self._ledger.lock:
            if caller.idempotency_key is not None:
                known = self.library.api_take_for(caller.key, caller.idempotency_key)
                if known is not None:
                    return self._video(self.library.take(known))
            active = len(self.library.active_api_takes(caller.key))
            if active >= self.limits.queued_per_key:
                raise ApiError(429, f"{active} videos of yours are already queued or in progress (the limit "
                                    f"is {self.limits.queued_per_key}); wait for one to finish.",
                               code="queue_full", headers={"retry-after": "5"})
            take_id = make()
            caller.mark_queued()
            self.library.record_api_take(take_id, caller.key, caller.idempotency_key)
        return self._video(self.library.take(take_id))

    def _submit(self, recipe: Recipe, parent_take_id: int | None = None, remix_kind: str | None = None) -> int:
        self._check_installed(recipe.model_id)
        return self.engine.submit(recipe, parent_take_id=parent_take_id, remix_kind=remix_kind, origin=ORIGIN)

    def _check_installed(self, model_id: str) -> None:
        try:
            require_installed(self.models.registry.get_model(model_id))
        except EngineError as exc:
            raise ApiError(400, str(exc), param="model", code="model_not_installed") from None

    def _require_mode(self, spec, mode: str, param: str) -> None:  # noqa: ANN001 (ModelSpec)
        if mode not in spec.modes:
            raise ApiError(400, f"Model '{spec.id}' cannot do {mode}-to-video; use sora-2 or a model that can "
                                f"(it can do: {', '.join(spec.modes)}).", param=param, code="unsupported_mode")

    def _remix_model(self, parent: TakeRecord, mode: str):  # noqa: ANN202 (ModelSpec)
        """The parent's own model when it can do `mode`, else what sora-2 maps to."""
        if parent.recipe is not None:
            try:
                spec = self.models.registry.get_model(parent.recipe.model_id)
                if mode in spec.modes:
                    return spec
            except EngineError:
                pass
        spec = self.models.resolve(None)
        self._require_mode(spec, mode, "video")
        return spec

    def _parent_size(self, parent: TakeRecord, spec) -> dict[str, int]:  # noqa: ANN001 (ModelSpec)
        media = self.library.media(parent.media_id) if parent.media_id is not None else None
        if media is not None and media.width and media.height:
            m = spec.size_multiple
            return {"width": max(m, media.width // m * m), "height": max(m, media.height // m * m)}
        return {"width": spec.native_width, "height": spec.native_height}

    def _source_take(self, video: Upload | None, video_ref: str | None) -> TakeRecord:
        """The completed take to extend or edit: `video[id]`, or an upload imported into the library."""
        if video_ref:
            take = self._take(take_id_of(video_ref, "video[id]"))
            if take.status != "done" or take.media_id is None:
                raise ApiError(400, f"Video {video_ref} is {self._status(take)}; only a completed video can be "
                                    "used.", param="video[id]", code="video_not_ready")
            return take
        return self.uploads.video_take(video)

    def _take(self, take_id: int) -> TakeRecord:
        try:
            return self.library.take(take_id)
        except LibraryError:
            raise ApiError(404, f"No video found with id '{video_id(take_id)}'.", param="video_id",
                           code="not_found") from None

    @staticmethod
    def _status(take: TakeRecord) -> str:
        return {"queued": "queued", "running": "in_progress", "done": "completed"}.get(take.status, "failed")

    def _video(self, take: TakeRecord) -> Video:
        """The wire form of a take: one extra query (recipe JSON, file size, its last job's origin and progress,
        children), no Recipe objects built, since every poll lands here."""
        extra = self.library.database.query_one(
            """SELECT t.recipe_json, m.width, m.height, j.origin, j.progress,
                      (SELECT group_concat(c.id) FROM takes c WHERE c.parent_take_id = t.id) AS children,
                      (SELECT p.duration FROM takes p WHERE p.id = t.parent_take_id) AS parent_seconds
               FROM takes t LEFT JOIN media m ON m.id = t.media_id
                    LEFT JOIN jobs j ON j.id = (SELECT max(id) FROM jobs WHERE jobs.take_id = t.id)
               WHERE t.id = ?""", (take.id,))
        recipe = json.loads(extra["recipe_json"]) if extra["recipe_json"] else None
        status = self._status(take)
        error = None
        if take.status == "canceled":
            error = VideoCreateError(code="cancelled", message="The video was cancelled before it finished.")
        elif take.status == "failed":
            error = VideoCreateError(code="generation_failed", message=take.error or "Generation failed.")
        if status == "completed":
            progress = 100
        elif status == "in_progress":
            # The engine that runs it writes its progress to the job row, whichever process it is in (the
            # studio's); this server's own events are fresher between those writes (and a cluster writes none).
            with self._ledger.progress_lock:
                progress = self._ledger.progress.get(take.id, 0)
            progress = max(progress, min(99, int((extra["progress"] or 0.0) * 100)))
        else:
            progress = 0
        if extra["width"] and extra["height"]:
            width, height = extra["width"], extra["height"]
        elif recipe is not None:
            width, height = recipe["width"], recipe["height"]
        else:
            width, height = 1280, 720
        seconds = take.duration
        if recipe is not None and take.media_id is None:
            seconds = recipe["seconds"]
            if recipe["mode"] == "extend":  # the SDK's seconds is the stitched total
                seconds += extra["parent_seconds"] or 0.0
        children = [video_id(int(c)) for c in extra["children"].split(",")] if extra["children"] else []
        model = recipe["model_id"] if recipe is not None else "imported"
        finished = take.finished_at if status in ("completed", "failed") else None
        return Video(
            id=video_id(take.id), created_at=int(take.created_at), completed_at=int(finished) if finished else None,
            error=error, model=model, progress=progress, prompt=recipe["prompt"] if recipe else None,
            remixed_from_video_id=video_id(take.parent_take_id) if take.parent_take_id else None,
            seconds=f"{seconds:g}" if seconds else "0", size=nearest_sdk_size(width, height), status=status,
            kinora=KinoraFacts(take_id=take.id, model=model, size=f"{width}x{height}", seconds=round(seconds, 3),
                               recipe=recipe, parent_take_id=take.parent_take_id, remix_kind=take.remix_kind,
                               children=children, origin=extra["origin"] or ""),
        )
