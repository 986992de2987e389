"""The wire format: typed models mirroring the openai SDK 3.51.0's `openai/types/video*.py` exactly.

Every field the SDK declares is here with its type; Kinora's own facts travel in the one extension
field `kinora` (the SDK's models accept extra fields, strict validation included).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

# openai/types/video_size.py
VIDEO_SIZES: tuple[str, ...] = ("720x1280", "1280x720", "1024x1792", "1792x1024")
VideoSize = Literal["720x1280", "1280x720", "1024x1792", "1792x1024"]
VideoStatus = Literal["queued", "in_progress", "completed", "failed"]
Variant = Literal["video", "thumbnail", "spritesheet"]
VARIANTS: tuple[str, ...] = ("video", "thumbnail", "spritesheet")


class VideoCreateError(BaseModel):
    """openai/types/video_create_error.py (the fields Kinora fills)."""

    code: str
    message: str
    param: str | None = None
    type: str | None = None


class KinoraFacts(BaseModel):
    """Everything Kinora-specific about a video, under `kinora` (one extension field)."""

    take_id: int
    model: str  # the Kinora model that made (or makes) it
    size: str  # the real frame size, e.g. "768x512" (`size` is the nearest of the SDK's sizes)
    seconds: float  # the real length
    recipe: dict[str, Any] | None
    parent_take_id: int | None
    remix_kind: str | None
    children: list[str]  # ids of videos made from this one
    origin: str  # "api" when queued through this server; "" for the studio and the CLI


class Video(BaseModel):
    """openai/types/video.py."""

    id: str
    completed_at: int | None = None
    created_at: int
    error: VideoCreateError | None = None
    expires_at: int | None = None
    model: str
    object: Literal["video"] = "video"
    progress: int
    prompt: str | None = None
    remixed_from_video_id: str | None = None
    seconds: str
    size: VideoSize
    status: VideoStatus
    kinora: KinoraFacts


class VideoList(BaseModel):
    """The page SyncConversationCursorPage[Video] reads (openai/pagination.py)."""

    object: Literal["list"] = "list"
    data: list[Video]
    first_id: str | None
    last_id: str | None
    has_more: bool


class VideoDeleteResponse(BaseModel):
    """openai/types/video_delete_response.py."""

    id: str
    deleted: bool
    object: Literal["video.deleted"] = "video.deleted"


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    """OpenAI's error shape: {"error": {message, type, param, code}}."""

    error: ErrorDetail
