"""The studio's menu toggle serves the API beside the window; its jobs wait for the studio's engine."""

from __future__ import annotations

import httpx
import openai
import pytest

from studio.ui.api_server import ApiServerToggle
from tests.server_helpers import MATTE

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled")


def test_toggle_starts_a_queue_only_server_and_stops_it(qtbot, lib) -> None:
    messages: list[tuple[str, bool]] = []
    toggle = ApiServerToggle(lib, lambda text, error: messages.append((text, error)), port=0)
    toggle.set_running(True)
    qtbot.waitUntil(lambda: bool(toggle.url), timeout=30_000)
    assert any("OpenAI Videos API at http://127.0.0.1:" in text for text, _ in messages)
    sdk = openai.OpenAI(base_url=toggle.url, api_key="local", max_retries=0)
    video = sdk.videos.create(prompt="red", **MATTE)
    assert video.status == "queued" and not toggle.server.engine.owns  # the studio's engine runs it
    assert lib.list_jobs()[0].origin == "api"
    url = toggle.url
    toggle.set_running(False)
    qtbot.waitUntil(lambda: toggle.url == "", timeout=30_000)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/videos", timeout=2)
