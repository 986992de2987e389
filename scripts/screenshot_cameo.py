"""Two studios in a scratch folder: alice verifies her cameo in the real Cameo dialog (a recording made from
the corpus portrait with espeak-ng speech, as the tests make it), grants it to bob; bob generates with @alice
(tiny-random) and publishes; alice syncs and sees the use in the review list. Saves both side by side.

Run under X (or Xvfb):  xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python scripts/screenshot_cameo.py
Writes docs/screenshot-cameo.png (or the path given as the first argument). Needs ../shared/corpus and espeak-ng.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "scripts")]

from cameo_helpers import load_rgb, recording  # noqa: E402
from PySide6.QtGui import QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from screenshot import wait  # noqa: E402

from studio.atomic import atomic_path  # noqa: E402
from studio.consent.grants import grant  # noqa: E402
from studio.consent.service import CameoService  # noqa: E402
from studio.consent.usage import issue_receipts, publish_cameo_take, submit_with_consent  # noqa: E402
from studio.engine.registry import get_model  # noqa: E402
from studio.engine.runner import Runner  # noqa: E402
from studio.feed.publish import write_outbox  # noqa: E402
from studio.feed.service import FeedService  # noqa: E402
from studio.feed.signature import author_key  # noqa: E402
from studio.feed.store import FeedStore  # noqa: E402
from studio.feed.subscribe import subscribe, sync_all  # noqa: E402
from studio.library import Library  # noqa: E402
from studio.provenance.identity import create_identity  # noqa: E402
from studio.recipe import Recipe  # noqa: E402
from studio.ui.cameo_dialog import CameoDialog, CameoUsesView  # noqa: E402
from studio.ui.theme import apply_theme  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "faces"


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["KINORA_CONFIG"] = str(root / "config")
        alice_lib, bob_lib = Library.open(root / "alice"), Library.open(root / "bob")
        alice, bob = create_identity("alice", folder=root / "alice-id"), create_identity("bob", folder=root / "bob-id")
        service = CameoService(FeedService(alice_lib, identity=lambda: alice))

        dialog = CameoDialog(service, camera=False)
        dialog.setWindowTitle("Kinora — Your cameo")
        dialog.handle.setText("@alice")
        dialog.restrictions.setText("no political content")
        dialog.show()
        dialog.use_file(recording(root / "alice.mp4", load_rgb(CORPUS / "portrait_one_face.jpg"), script=dialog.script))
        wait(app, lambda: dialog.result.text().startswith(("\u2714", "\u2716")), 120, "the verification")
        wait(app, lambda: dialog.stills.pixmap() is not None and not dialog.stills.pixmap().isNull(), 20,
             "the reference stills")

        write_outbox(bob_lib, bob)
        subscribe(alice_lib, str(FeedStore(bob_lib).outbox))
        sync_all(alice_lib, me=author_key(alice))
        grant(alice_lib, alice, "alice", author_key(bob), "bob")
        subscribe(bob_lib, str(FeedStore(alice_lib).outbox))
        sync_all(bob_lib, me=author_key(bob))
        runner = Runner(bob_lib)
        recipe = Recipe("@alice waves from a lighthouse at dusk", model_id="tiny-random", width=64, height=64, fps=8.0,
                        steps=2, seconds=0.5, seed=3)
        take_id, _ = submit_with_consent(bob_lib, runner.submit, recipe, author_key(bob), get_model("tiny-random"))
        runner.run_take(take_id)
        runner.unload()
        issue_receipts(bob_lib, bob, take_id)
        publish_cameo_take(bob_lib, bob, take_id)
        sync_all(alice_lib, me=author_key(alice))

        uses = CameoUsesView(service)
        uses.setWindowTitle("Kinora — Uses of your cameo")
        uses.resize(640, dialog.height())
        uses.show()
        uses.reload()
        wait(app, lambda: uses.list.count() > 0, 30, "the uses list")
        uses.list.setCurrentRow(0)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.01)

        left, right = dialog.grab(), uses.grab()
        sheet = QPixmap(left.width() + right.width() + 16, max(left.height(), right.height()))
        sheet.fill(dialog.palette().window().color())
        painter = QPainter(sheet)
        painter.drawPixmap(0, 0, left)
        painter.drawPixmap(left.width() + 16, 0, right)
        painter.end()
        with atomic_path(out) as tmp_png:
            if not sheet.save(str(tmp_png), "PNG"):
                raise SystemExit(f"could not write {out}")
        dialog.close()
        uses.close()
        alice_lib.close()
        bob_lib.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshot-cameo.png")
