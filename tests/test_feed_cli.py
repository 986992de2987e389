"""`kinora feed` as two users would run it: each with their own library and identity (config folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from studio.media.encode import write_clip

REPO = Path(__file__).resolve().parent.parent


def kinora(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KINORA_LIBRARY": str(home / "library"), "KINORA_CONFIG": str(home / "config")}
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_publish_subscribe_list_and_a_bad_subscription(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    frames = np.full((12, 64, 36, 3), 90, np.uint8)
    clip = write_clip(frames, None, 24, 48000, tmp_path / "gull.mp4")
    assert kinora(alice, "identity", "rename", "alice").returncode == 0
    take = json.loads(kinora(alice, "import", str(clip), "--json").stdout)[0]["id"]
    published = kinora(alice, "feed", "publish", str(take), "--json")
    assert published.returncode == 0, published.stderr
    post = json.loads(published.stdout)
    assert post["subscription_id"] is None and post["take_id"] == take and post["author_name"] == "alice"
    outbox = alice / "library" / "outbox"
    subscribed = kinora(bob, "feed", "subscribe", str(outbox), "--json")
    assert subscribed.returncode == 0, subscribed.stderr
    assert json.loads(subscribed.stdout)["imported"] == [post["post_id"]]
    listed = json.loads(kinora(bob, "feed", "list", "--json").stdout)
    assert [(p["post_id"], p["author_name"]) for p in listed] == [(post["post_id"], "alice")]
    bad = kinora(bob, "feed", "subscribe", str(tmp_path / "nowhere"))
    # Bad input exits 2 (the KinoraError family, since the harden merge); this test still expected 1.
    assert bad.returncode == 2 and bad.stderr.startswith("kinora: ") and "neither an http(s) feed URL nor a folder" in bad.stderr
    subs = kinora(bob, "feed", "subscriptions")
    assert subs.returncode == 0 and "alice" in subs.stdout and "ok" in subs.stdout
