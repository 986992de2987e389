"""The /feed/view page in a real browser: Debian's chromium through Selenium plays the first clip."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from feed_helpers import feed_app, finished_take, open_studio, serve

from studio.feed.publish import publish_take, set_like

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (`make test` installs them when run as root; "
           "otherwise: sudo apt-get install chromium chromium-driver)")


def test_web_view_plays_the_first_clip_and_shows_counts(tmp_path: Path) -> None:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    alice = open_studio(tmp_path, "alice")
    try:
        post = publish_take(alice.lib, finished_take(alice.lib, tmp_path, "a <b>bold</b> heron"), alice.identity)
        set_like(alice.lib, alice.identity, post.post_id)
        publish_take(alice.lib, finished_take(alice.lib, tmp_path, "second", shade=5), alice.identity)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio", "--window-size=405,720",
                    "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={tmp_path / 'chrome'}"):
            options.add_argument(arg)
        with serve(feed_app(alice)) as url:
            driver = webdriver.Chrome(options=options, service=Service(DRIVER, env={**os.environ}))
            try:
                driver.get(f"{url}/feed/view")
                deadline = time.monotonic() + 30
                state = {}
                while time.monotonic() < deadline:
                    state = driver.execute_script(
                        "const v = document.querySelector('video');"
                        "return v && {t: v.currentTime, ready: v.readyState, err: v.error && v.error.code,"
                        " cards: document.querySelectorAll('.card').length};")
                    if state and state["t"] > 0:
                        break
                    time.sleep(0.2)
                assert state and state["t"] > 0 and state["ready"] >= 2, f"the first clip did not play: {state}"
                assert state["cards"] == 2
                first = driver.find_elements("css selector", ".card")[0]
                # Newest first: the second post; the liked one is the second card.
                texts = [c.text for c in driver.find_elements("css selector", ".card")]
                assert "second" in texts[0] and "a <b>bold</b> heron" in texts[1]  # shown as text, never as HTML
                assert "\u2665 1" in texts[1] and "\u21bb 0" in texts[1]
                assert first.find_elements("css selector", "b") == []
                # A swipe (scrolling the feed by one screen) snaps to the next card, which plays; the first pauses.
                driver.execute_script("const f = document.getElementById('feed'); f.scrollTo(0, f.clientHeight);")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    state = driver.execute_script(
                        "const v = document.querySelectorAll('video');"
                        "return {first: v[0].paused, second: v[1].currentTime};")
                    if state["first"] and state["second"] > 0:
                        break
                    time.sleep(0.2)
                assert state["first"] and state["second"] > 0, f"the swipe did not move playback: {state}"
            finally:
                driver.quit()
    finally:
        alice.lib.close()
