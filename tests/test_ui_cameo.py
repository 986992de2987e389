"""The Cameo dialog (a recording file, verified on a worker thread) and the review list of uses, offscreen."""

from __future__ import annotations

from pathlib import Path

from cameo_helpers import load_rgb, recording, require_espeak

from studio.consent.cameos import CameoStore
from studio.consent.service import CameoService
from studio.consent.usage import Notification
from studio.feed.service import FeedService
from studio.library import Library
from studio.provenance.identity import create_identity
from studio.ui.cameo_dialog import CameoDialog, CameoUsesView


def test_dialog_verifies_and_saves_a_recording_and_names_the_failed_check(qtbot, lib: Library, corpus: Path,
                                                                          tmp_path: Path) -> None:
    require_espeak()
    identity = create_identity("alice", folder=tmp_path / "id")
    dialog = CameoDialog(CameoService(FeedService(lib, identity=lambda: identity)), camera=False)
    qtbot.addWidget(dialog)
    assert not dialog.record_button.isEnabled() and "No camera found" in dialog.instruction.text()
    assert dialog.script.phrase in dialog.timeline.text()

    dialog.handle.setText("@alice")
    two = recording(tmp_path / "two.mp4", load_rgb(corpus / "faces" / "two_people.jpg"), script=dialog.script, zoom=0.95)
    dialog.use_file(two)
    qtbot.waitUntil(lambda: dialog.result.text().startswith("\u2716"), timeout=120_000)
    assert "two faces in the picture" in dialog.result.text()
    assert CameoStore(lib).all() == []

    with qtbot.waitSignal(dialog.saved, timeout=120_000) as saved:
        dialog.use_file(recording(tmp_path / "me.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"),
                                  script=dialog.script))
    assert saved.args[0].handle == "alice" and dialog.result.text().startswith("\u2714 Verified: @alice")
    assert [c.handle for c in CameoStore(lib).all()] == ["alice"]
    assert dialog.file_button.isEnabled()


class _Uses:
    """The service's two calls the review list makes (the flow behind them: tests/test_consent_scenario.py)."""

    def __init__(self, uses: list[Notification]) -> None:
        self._uses, self.removals = uses, []

    def uses(self) -> list[Notification]:
        return self._uses

    def request_removal(self, receipt_id: str) -> str:
        self.removals.append(receipt_id)
        self._uses = [u if u.receipt_id != receipt_id else
                      Notification(**{**u.__dict__, "removal_requested": True}) for u in self._uses]
        return "removal-1"


def test_review_list_plays_a_clip_and_asks_for_removal(qtbot) -> None:
    uses = [Notification("receipt-aaaaaaaa", "alice", "k", "bob", "@alice waves at the sea", "p1", 7, None, False),
            Notification("receipt-bbbbbbbb", "alice", "k", "carol", "@alice rides a bike", None, None,
                         "At @alice's owner's request: deleted take 3.", True)]
    service = _Uses(uses)
    view = CameoUsesView(service)  # type: ignore[arg-type]
    qtbot.addWidget(view)
    view.reload()
    qtbot.waitUntil(lambda: view.list.count() == 2)
    assert "[clip here]" in view.list.item(0).text() and "removed" in view.list.item(1).text()
    view.list.setCurrentRow(1)
    assert not view.remove_button.isEnabled() and not view.play_button.isEnabled()
    view.list.setCurrentRow(0)
    with qtbot.waitSignal(view.play_take) as played:
        view.play_button.click()
    assert played.args == [7]
    view.remove_button.click()
    qtbot.waitUntil(lambda: "removal requested" in view.list.item(0).text())
    assert service.removals == ["receipt-aaaaaaaa"] and "Removal requested from bob" in view.hint.text()


def test_the_prompt_panel_refuses_a_cameo_without_a_grant_before_queueing(qtbot, lib: Library) -> None:
    from test_ui_window import WAIT_MS, set_tiny_recipe, started_window

    window = started_window(qtbot, lib)
    try:
        set_tiny_recipe(window.prompt_panel, "@alice waves at the sea")
        window.prompt_panel.generate()
        qtbot.waitUntil(lambda: not window.prompt_panel.error.isHidden(), timeout=WAIT_MS)
        assert "No grant for @alice" in window.prompt_panel.error.text()
        assert window.queue_panel.take_ids() == [] and lib.count_takes() == 0
        assert any("No grant for @alice" in m for m, error in window.messages if error)
    finally:
        window.shutdown()


def test_the_prompt_panel_refuses_a_cameo_after_its_grant_is_revoked(qtbot, lib: Library, corpus: Path,
                                                                     tmp_path: Path) -> None:
    from feed_helpers import open_studio
    from test_ui_window import WAIT_MS, set_tiny_recipe, started_window

    from studio.consent.grants import grant, revoke, valid_grant
    from studio.consent.records import Access
    from studio.feed.signature import author_key
    from studio.feed.store import FeedStore
    from studio.feed.subscribe import subscribe, sync_all
    from studio.provenance.identity import ensure_identity

    bob = author_key(ensure_identity())  # the identity the window's Feed and cameo checks use
    alice = open_studio(tmp_path, "alice")
    try:
        still = alice.lib.import_media(corpus / "faces" / "portrait_one_face.jpg").id
        CameoStore(alice.lib).add(handle="alice", owner_key=alice.key, owner_name="alice", access=Access.APPROVED,
                                  restrictions=(), stills=(still,), voice=None, recording=None, verification="verified")
        granted = grant(alice.lib, alice.identity, "alice", bob, "bob")
        subscribe(lib, str(FeedStore(alice.lib).outbox))
        sync_all(lib, me=bob)
        assert valid_grant(lib, "alice", bob).grant_id == granted.grant_id  # in force before the revocation
        revoke(alice.lib, alice.identity, granted.grant_id)
        sync_all(lib, me=bob)
    finally:
        alice.lib.close()

    window = started_window(qtbot, lib)
    try:
        assert window.cameos.feed.me == bob
        set_tiny_recipe(window.prompt_panel, "@alice waves at the sea")
        window.prompt_panel.generate()
        qtbot.waitUntil(lambda: not window.prompt_panel.error.isHidden(), timeout=WAIT_MS)
        assert "@alice's owner alice revoked your grant" in window.prompt_panel.error.text()
        assert window.queue_panel.take_ids() == [] and lib.count_takes() == 0
        assert any("revoked your grant" in m for m, error in window.messages if error)
    finally:
        window.shutdown()
