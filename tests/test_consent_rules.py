"""Content rules and grant checks without recordings: a cameo row with a corpus still stands in for a
verified cameo (verification itself is tests/test_consent_verify.py)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feed_helpers import Studio, open_studio

from studio.consent.cameos import CameoStore
from studio.consent.grants import grant, valid_grant
from studio.consent.records import EVERYONE, Access, Cameo, NoticeKind, Scope
from studio.consent.rules import RULES_FILE, ContentRules
from studio.consent.usage import check_prompt, mentions
from studio.errors import ConsentError
from studio.feed.publish import build_document
from studio.feed.store import FeedStore
from studio.feed.subscribe import subscribe, sync_all


@pytest.fixture
def studios(corpus: Path, tmp_path: Path) -> Iterator[tuple[Studio, Studio, Cameo]]:
    """alice with a cameo row (a corpus still; "people I approve") and bob; closed after the test."""
    alice, bob = open_studio(tmp_path, "alice"), open_studio(tmp_path, "bob")
    still = alice.lib.import_media(corpus / "faces" / "portrait_one_face.jpg").id
    cameo = CameoStore(alice.lib).add(handle="alice", owner_key=alice.key, owner_name="alice", access=Access.APPROVED,
                                      restrictions=(), stills=(still,), voice=None, recording=None,
                                      verification="verified")
    yield alice, bob, cameo
    alice.lib.close()
    bob.lib.close()


def test_rules_file_blocked_terms_real_people_restrictions_and_classifier(tmp_path: Path) -> None:
    (tmp_path / RULES_FILE).write_text(json.dumps({"blocked_terms": ["gore"], "real_people": ["Ada Lovelace"],
                                                   "topics": {"sporty": ["football"]}}))
    rules = ContentRules.load(tmp_path)
    rules.check("a quiet harbour at dawn")
    with pytest.raises(ConsentError, match="blocked terms.*'gore'"):
        rules.check("Gore on the floor")
    with pytest.raises(ConsentError, match="real-people rule.*Ada Lovelace"):
        rules.check("ada lovelace programs a loom")
    rules.check("ada lovelace programs a loom", cameo_names=["Ada Lovelace"])  # she has a cameo in it
    with pytest.raises(ConsentError, match="@alice's owner's restriction .no political content.*'politic'"):
        rules.check("a politician shakes hands", restrictions=[("@alice's owner", "no political content")])
    with pytest.raises(ConsentError, match="'football'"):
        rules.check("a football match", restrictions=[("@alice's owner", "no sporty stuff")])
    rules.check("a harvest festival with cakes", restrictions=[("x", "no political content")])
    with pytest.raises(ConsentError, match="classifier: too spooky"):
        rules.check("a ghost", classifier=lambda prompt, _: "too spooky" if "ghost" in prompt else None)
    (tmp_path / RULES_FILE).write_text("{not json")
    with pytest.raises(ConsentError, match="not a valid rules file"):
        ContentRules.load(tmp_path)


def test_mentions_ignore_emails_and_repeat_handles() -> None:
    assert mentions("@Alice and @bob meet @alice; mail me@example.com") == ["alice", "bob"]


def test_grant_checks_expiry_everyone_access_and_a_tampered_grant(studios: tuple[Studio, Studio, Cameo],
                                                                   tmp_path: Path) -> None:
    alice, bob, cameo = studios
    store = CameoStore(alice.lib)
    store.set_access(cameo.id, Access.ONLY_ME)
    with pytest.raises(ConsentError, match="only me"):
        grant(alice.lib, alice.identity, "alice", bob.key, "bob")
    store.set_access(cameo.id, Access.MUTUAL)
    with pytest.raises(ConsentError, match="you do not follow bob"):
        grant(alice.lib, alice.identity, "alice", bob.key, "bob")
    store.set_access(cameo.id, Access.APPROVED)
    with pytest.raises(ConsentError, match="not open to everyone"):
        grant(alice.lib, alice.identity, "alice", EVERYONE, "everyone")
    short = grant(alice.lib, alice.identity, "alice", bob.key, "bob", expires_at=time.time() + 3600)
    # The grant carries alice's picture: friends' copies of her feed list it, the public one does not.
    assert [n["id"] for n in build_document(alice.lib, alice.identity, include_friends=True)["_kinora"]["notices"]] \
        == [short.grant_id]
    assert build_document(alice.lib, alice.identity, include_friends=False)["_kinora"]["notices"] == []
    subscribe(bob.lib, str(FeedStore(alice.lib).outbox))
    sync_all(bob.lib, me=bob.key)
    assert valid_grant(bob.lib, "@alice", bob.key).grant_id == short.grant_id
    with pytest.raises(ConsentError, match="expired on"):
        valid_grant(bob.lib, "alice", bob.key, now=time.time() + 7200)
    assert check_prompt(alice.lib, "@alice on a boat", alice.key)[0].grant is None  # the owner needs none

    # A grant changed after signing (scope widened to everyone) no longer verifies.
    bob_store = FeedStore(bob.lib)
    [(author, notice)] = bob_store.received_notices(str(NoticeKind.GRANT))
    forged = copy.deepcopy(notice)
    forged["grantee_key"] = EVERYONE
    bob_store.replace_received_notices(1, author, (forged,))
    carol = open_studio(tmp_path, "carol")
    try:
        with pytest.raises(ConsentError, match="signature does not verify"):
            valid_grant(bob.lib, "alice", carol.key)
    finally:
        carol.lib.close()


def test_credentials_judge_flags_missing_forged_and_accepts_the_owner(studios: tuple[Studio, Studio, Cameo]) -> None:
    from studio.consent.credentials import INVALID, MISSING, OWNER, VALID, judge
    from studio.provenance.reader import ManifestSummary
    from studio.recipe import Recipe

    alice, bob, _ = studios
    granted = grant(alice.lib, alice.identity, "alice", bob.key, "bob")
    [signed] = [n for n in FeedStore(alice.lib).my_notices() if n["id"] == granted.grant_id]
    entry = {"handle": "@alice", "owner_key": alice.key, "owner_name": "alice", "grant_id": granted.grant_id,
             "scope": "generate+publish", "grant": signed}
    forged = {**entry, "grant": {**signed, "scope": "generate", "grantee_key": EVERYONE}}
    own = {"handle": "@bob", "owner_key": bob.key, "owner_name": "bob", "grant_id": None, "scope": "owner"}

    def summary(*entries: dict, prompt: str) -> ManifestSummary:
        return ManifestSummary(issuer="bob", signed_time=None, time_source=None, claim_generator=None, title=None,
                               ai_generated=True, actions=(), recipe=Recipe(prompt, model_id="tiny-random"),
                               timeline_takes=(), ingredients=(), cameo_consent=entries)

    assert [s.state for s in judge(summary(entry, own, prompt="@alice and @bob"))] == [VALID, OWNER]
    assert [s.state for s in judge(summary(forged, prompt="@alice"))] == [INVALID]
    assert [(s.handle, s.state) for s in judge(summary(prompt="@carol dances"))] == [("@carol", MISSING)]


def test_a_generate_only_grant_makes_takes_but_refuses_publishing(studios: tuple[Studio, Studio, Cameo],
                                                                  tmp_path: Path) -> None:
    from feed_helpers import finished_take

    from studio.consent.records import Scope
    from studio.consent.usage import publish_cameo_take, submit_with_consent
    from studio.engine.registry import get_model
    from studio.recipe import Recipe

    alice, bob, _ = studios
    grant(alice.lib, alice.identity, "alice", bob.key, "bob", scope=Scope.GENERATE)
    subscribe(bob.lib, str(FeedStore(alice.lib).outbox))
    sync_all(bob.lib, me=bob.key)
    take_id, _ = submit_with_consent(bob.lib, lambda r: finished_take(bob.lib, tmp_path, r.prompt),
                                     Recipe("@alice on a pier", model_id="tiny-random"), bob.key,
                                     get_model("tiny-random"))
    with pytest.raises(ConsentError, match="does not allow publishing"):
        publish_cameo_take(bob.lib, bob.identity, take_id)
    assert FeedStore(bob.lib).posts() == []


def test_access_levels_match_the_cameos_check_constraint_and_the_wire(lib) -> None:  # type: ignore[no-untyped-def]
    from test_vocabularies import _check_values

    sql = lib.database.query_one("SELECT sql FROM sqlite_master WHERE name = 'cameos'")["sql"]
    assert _check_values(sql, "access") == [a.value for a in Access] == ["only_me", "approved", "mutual", "everyone"]
    assert [a.label for a in Access] == ["only me", "people I approve", "mutual followers", "everyone"]


def test_a_wan_vace_model_takes_the_cameo_still_as_a_subject_reference(studios: tuple[Studio, Studio, Cameo]) -> None:
    from studio.consent.usage import clear_recipe
    from studio.engine.registry import get_model
    from studio.recipe import Mode, Recipe

    alice, bob, _ = studios
    grant(alice.lib, alice.identity, "alice", bob.key, "bob")
    subscribe(bob.lib, str(FeedStore(alice.lib).outbox))
    sync_all(bob.lib, me=bob.key)
    prompt = "@alice waves at the sea"

    vace = clear_recipe(bob.lib, Recipe(prompt, model_id="wan-2.1-vace-1.3b"), bob.key, get_model("wan-2.1-vace-1.3b"))
    assert vace.recipe.mode == Mode.REFERENCE and vace.recipe.image is not None
    assert Path(vace.recipe.image).is_file()  # the still the grant carries, as bob's studio keeps it
    assert not any("cannot condition" in n for n in vace.notes)

    # Wan 2.2 TI2V-5B has no VACE weights: it says so and uses the cameo by name only.
    ti2v = clear_recipe(bob.lib, Recipe(prompt, model_id="wan-2.2-ti2v-5b"), bob.key, get_model("wan-2.2-ti2v-5b"))
    assert ti2v.recipe.mode == Mode.TEXT and ti2v.recipe.image is None
    assert any("cannot condition on a reference picture" in n and "Wan 2.1 VACE" in n for n in ti2v.notes)
    from studio.errors import RecipeError

    with pytest.raises(RecipeError, match="subject reference needs a picture"):
        Recipe(prompt, model_id="wan-2.1-vace-1.3b", mode="reference")


def test_a_signed_grant_survives_the_trip_through_a_file_s_credentials(studios: tuple[Studio, Studio, Cameo],
                                                                        tmp_path: Path) -> None:
    # A grant issued at 1796648983.1446497 came back from the file at ...6495: c2pa reads the manifest's numbers
    # with serde_json's default (one ULP off at times), so the grant's signature failed in one run of three
    # (the CLI test caught it now and then; no test put a grant through a file).
    import numpy as np

    from studio.consent.credentials import VALID, judge
    from studio.consent.records import Grant, sign_notice
    from studio.media.encode import write_clip
    from studio.provenance.manifest import generated_take_plan
    from studio.provenance.reader import read_credentials
    from studio.provenance.signing import sign_media
    from studio.recipe import Recipe

    alice, bob, _ = studios
    body = Grant(grant_id="grant-ulp", handle="alice", owner_key=alice.key, owner_name="alice", grantee_key=bob.key,
                 grantee_name="bob", scope=Scope.PUBLISH, issued_at=1796648983.1446497, expires_at=None,
                 restrictions=(), still_jpeg_b64="").body()
    signed = sign_notice(body, alice.identity)
    entry = {"handle": "@alice", "owner_key": alice.key, "owner_name": "alice", "grant_id": "grant-ulp",
             "scope": "generate+publish", "grant": signed}
    clip = write_clip(np.full((6, 32, 48, 3), 90, np.uint8), None, 24, 48000, tmp_path / "raw.mp4")
    plan = generated_take_plan(Recipe("@alice waves", model_id="tiny-random"), title="wave", consent=[entry])
    sign_media(clip, tmp_path / "wave.mp4", plan, identity=bob.identity)
    manifest = read_credentials(tmp_path / "wave.mp4").manifest
    assert manifest is not None and manifest.cameo_consent[0]["grant"] == signed
    assert [s.state for s in judge(manifest)] == [VALID]
