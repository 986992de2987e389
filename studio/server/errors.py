"""API errors in OpenAI's shape, and the rule that a request which queued a job is never retried."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from studio.errors import KinoraError

from .wire import ErrorBody, ErrorDetail

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "invalid_request_error",
               405: "invalid_request_error", 409: "invalid_request_error", 413: "invalid_request_error",
               416: "invalid_request_error", 429: "rate_limit_error"}


class ApiError(Exception):
    """A request the API refuses, with the parameter at fault (`param`) where there is one."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}


def error_response(request: Request | None, status: int, message: str, *, param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(message=message, type=ERROR_TYPES.get(status, "server_error"), param=param,
                                       code=code))
    out = dict(headers or {})
    # The SDK retries 408/409/429/5xx without an idempotency key: once a job is queued, a retry would
    # queue a second one, so the answer forbids it.
    if request is not None and getattr(request.state, "queued", False):
        out["x-should-retry"] = "false"
    return JSONResponse(body.model_dump(), status_code=status, headers=out)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.message, param=exc.param, code=exc.code, headers=exc.headers)

    @app.exception_handler(KinoraError)
    async def _kinora_error(request: Request, exc: KinoraError) -> JSONResponse:
        # Bad input the services caught (a recipe out of range, a model that cannot do the mode).
        return error_response(request, 400, str(exc), code="invalid_request")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
        return error_response(request, 400, f"{'.'.join(loc) or 'request'}: {first.get('msg', 'invalid')}",
                              param=".".join(loc) or None, code="invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(request, exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return error_response(request, 500, f"Kinora could not answer: {exc!r}", code="server_error")
