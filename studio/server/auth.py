"""Who is calling: with keys required, a valid `Authorization: Bearer KEY`; else anyone on loopback."""

from __future__ import annotations

from fastapi import Request

from .errors import ApiError


async def caller_for(request: Request) -> str:
    """The caller's key name ("" when keys are not required). 401 for a missing or unknown key."""
    keys = request.app.state.keys
    if keys is None:
        return ""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    name = keys.match(presented.strip()) if scheme.lower() == "bearer" and presented.strip() else None
    if name is None:
        raise ApiError(401, "A valid API key is required (Authorization: Bearer KEY). Make one with "
                            "`kinora serve keys create NAME` on the machine that runs Kinora.", code="invalid_api_key")
    return name
