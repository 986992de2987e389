"""Two studios in a scratch folder: alice publishes three 9:16 clips, bob subscribes, likes one and
remixes another; then a screenshot of bob's Feed (the real FeedView, playing).

Run under X (or Xvfb):  xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python scripts/screenshot_feed.py
Writes docs/screenshot-feed.png (or the path given as the first argument).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.atomic import atomic_path  # noqa: E402
from studio.feed.publish import publish_take, set_like  # noqa: E402
from studio.feed.service import FeedService  # noqa: E402
from studio.feed.signature import author_key  # noqa: E402
from studio.feed.store import FeedStore  # noqa: E402
from studio.feed.subscribe import subscribe, sync_subscription  # noqa: E402
from studio.library import Library  # noqa: E402
from studio.media import generators  # noqa: E402
from studio.media.encode import write_clip  # noqa: E402
from studio.playback.sinks import WallClockSink  # noqa: E402
from studio.provenance.identity import create_identity  # noqa: E402
from studio.recipe import Recipe  # noqa: E402
from studio.ui.feed_view import FeedView  # noqa: E402
from studio.ui.theme import apply_theme  # noqa: E402

SIZE = (360, 640)  # 9:16
CLIPS = [("Lanterns over a night lake", (24, 30, 72)), ("A paper crane unfolds at dawn", (90, 40, 30)),
         ("Rain on a neon street, slow", (20, 60, 60))]


def add_take(lib: Library, folder: Path, prompt: str, background: tuple[int, int, int], parent: int | None = None) -> int:
    clip = generators.title_card(prompt.split(",")[0], 2.0, 24, SIZE, subtitle="made with Kinora", background=background)
    path = write_clip(np.asarray(clip.frames), clip.audio, clip.fps, clip.sample_rate, folder / f"{prompt[:12]}.mp4")
    recipe = Recipe(prompt=prompt, seconds=2.0, width=SIZE[0], height=SIZE[1], model_id="ltx-2", seed=42)
    take = lib.create_take(recipe, parent_take_id=parent, remix_kind="new_seed" if parent else None)
    return lib.complete_take(take.id, path, recipe=recipe, timings={}).id


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["KINORA_CONFIG"] = str(root / "config")
        alice_lib, bob_lib = Library.open(root / "alice"), Library.open(root / "bob")
        alice, bob = create_identity("alice", folder=root / "alice-id"), create_identity("bob", folder=root / "bob-id")
        posts = [publish_take(alice_lib, add_take(alice_lib, root, prompt, color), alice)
                 for prompt, color in CLIPS]
        sub = subscribe(bob_lib, str(FeedStore(alice_lib).outbox))
        sync_subscription(bob_lib, sub.id, me=author_key(bob))
        set_like(bob_lib, bob, posts[-1].post_id)
        # Bob's remix comes back to alice's feed too; here it shows on bob's count of alice's post.
        remix_of = FeedStore(bob_lib).post(posts[-1].post_id).take_id
        publish_take(bob_lib, add_take(bob_lib, root, "Rain on a neon street, at dusk", (60, 20, 70), remix_of), bob)

        view = FeedView(FeedService(bob_lib, identity=lambda: bob), sink=WallClockSink(notice=None))
        view.setWindowTitle("Kinora — Feed")
        view.resize(820, 900)
        view.show()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (view.cards.last_snap_ms is None or not view.cards.player.playing):
            app.processEvents()
            time.sleep(0.01)
        for _ in range(60):  # let it play a moment
            app.processEvents()
            time.sleep(0.01)
        image = view.grab()
        with atomic_path(out) as tmp_png:
            if not image.save(str(tmp_png), "PNG"):
                raise SystemExit(f"could not write {out}")
        print(f"wrote {out} ({image.width()}x{image.height()})")
        view.shutdown()
        alice_lib.close()
        bob_lib.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshot-feed.png")
