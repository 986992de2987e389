"""Request limits: the body size (uploads streamed to disk are capped as they arrive) and prompt length."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_response

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_PROMPT_CHARS = 4000
MAX_QUEUED_PER_KEY = 8


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = MAX_UPLOAD_BYTES
    prompt_chars: int = MAX_PROMPT_CHARS
    queued_per_key: int = MAX_QUEUED_PER_KEY  # jobs waiting or running for one key (or for everyone, keyless)


def check_prompt(prompt: str | None, limits: Limits, *, param: str = "prompt") -> str:
    text = (prompt or "").strip()
    if not text:
        raise ApiError(400, "prompt is empty: describe the video you want.", param=param, code="invalid_prompt")
    if len(text) > limits.prompt_chars:
        raise ApiError(413, f"prompt is {len(text)} characters; the limit is {limits.prompt_chars}.", param=param,
                       code="prompt_too_long")
    return text


class _TooLarge(ApiError):
    """Raised from inside the body stream; the app's ApiError handler (or BodyLimit) answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The upload is larger than the {max_bytes // (1024 * 1024)} MB limit.",
                         code="upload_too_large")


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by its Content-Length or while it streams in.

    The multipart parser writes file parts to disk as they arrive; stopping the stream at the cap means
    an oversized upload never lands whole anywhere and queues nothing.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes + 64 * 1024  # room for the multipart framing and the other fields
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = _TooLarge(self.max_bytes)
        response = error_response(None, 413, exc.message, code=exc.code)
        await response(scope, receive, send)
