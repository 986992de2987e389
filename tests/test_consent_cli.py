"""`kinora cameo` and `kinora generate` with @handle, as alice and bob would run them (own library and identity)."""

from __future__ import annotations

import json
from pathlib import Path

from cameo_helpers import load_rgb, recording, require_espeak
from test_feed_cli import kinora

from studio.cli import EXIT_BAD_INPUT  # a refusal is a KinoraError: exit 2 since the harden merge (was 1)

TINY = ("--model", "tiny-random", "--size", "32x32", "--fps", "8", "--seconds", "0.5", "--steps", "2")


def test_generate_with_a_cameo_is_refused_without_a_grant_allowed_with_one_and_refused_after_revocation(
        corpus: Path, tmp_path: Path) -> None:
    require_espeak()
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for home, name in ((alice, "alice"), (bob, "bob")):
        assert kinora(home, "identity", "rename", name).returncode == 0

    refused = kinora(bob, "generate", "@alice waves at the sea", *TINY)
    assert refused.returncode == EXIT_BAD_INPUT and "No grant for @alice" in refused.stderr
    assert json.loads(kinora(bob, "library", "list", "--json").stdout) == []  # nothing was queued

    video = recording(tmp_path / "alice.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"))
    made = kinora(alice, "cameo", "create", "@alice", str(video), "--restrict", "no political content")
    assert made.returncode == 0, made.stderr
    assert "@alice verified" in made.stdout

    assert kinora(bob, "feed", "write", str(tmp_path / "bob-feed")).returncode == 0
    assert kinora(alice, "feed", "subscribe", str(tmp_path / "bob-feed")).returncode == 0
    granted = kinora(alice, "cameo", "grant", "alice", "1", "--json")
    assert granted.returncode == 0, granted.stderr
    grant_id = json.loads(granted.stdout)["grant_id"]
    assert kinora(bob, "feed", "subscribe", str(alice / "library" / "outbox")).returncode == 0

    political = kinora(bob, "generate", "@alice at an election rally", *TINY)
    assert political.returncode == EXIT_BAD_INPUT and "no political content" in political.stderr

    made_take = kinora(bob, "generate", "@alice waves at the sea", *TINY, "-o", str(tmp_path / "wave.mp4"), "--json")
    assert made_take.returncode == 0, made_take.stderr
    assert "voice sample" in made_take.stderr  # what the model cannot do is said, not faked
    assert json.loads(made_take.stdout)["status"] == "done"

    shown = kinora(bob, "credentials", str(tmp_path / "wave.mp4"))
    assert shown.returncode == 0, shown.stderr
    assert f"@alice of alice: VALID GRANT [ok] grant {grant_id} (generate+publish)" in shown.stdout
    assert "Creator:      bob (CAWG identity, the signer's own certificate)" in shown.stdout

    assert kinora(bob, "feed", "write", str(tmp_path / "bob-feed")).returncode == 0
    assert kinora(alice, "feed", "sync").returncode == 0
    uses = json.loads(kinora(alice, "cameo", "uses", "--json").stdout)
    assert [(u["handle"], u["maker_name"], u["prompt"]) for u in uses] == [("alice", "bob", "@alice waves at the sea")]

    assert kinora(alice, "cameo", "revoke", grant_id).returncode == 0
    assert kinora(bob, "feed", "sync").returncode == 0
    after = kinora(bob, "generate", "@alice waves again", *TINY)
    assert after.returncode == EXIT_BAD_INPUT and "revoked your grant" in after.stderr
    flagged = json.loads(kinora(bob, "credentials", str(tmp_path / "wave.mp4"), "--json").stdout)
    assert [(c["handle"], c["state"]) for c in flagged["cameo_consent_status"]] == [("@alice", "consent withdrawn")]
