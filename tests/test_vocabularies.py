"""Each vocabulary is one StrEnum, and its values are exactly the words rows, JSON and the CLI already use.

A member equals its string, so libraries written before the enums existed, and JSON read by other
tools, keep working; these tests pin the values so a renamed member cannot silently change the wire.
"""

from __future__ import annotations

import json
import re

from studio.engine.events import ENDED_PHASES, FINAL_PHASES, PHASES, WAITING_PHASES, EngineEvent, Phase
from studio.library import Library
from studio.library.records import JobStatus, MediaKind, SnapshotKind, TakeOrigin, TakeStatus
from studio.recipe import MODES, REMIX_MODES, Mode, Recipe, RemixKind
from studio.ui.remix import REMIXES


def test_wire_values_are_unchanged() -> None:
    assert [m.value for m in Mode] == ["text", "image", "extend", "video", "retake", "keyframes", "reference"]
    assert [m.value for m in REMIX_MODES] == ["extend", "video", "retake"]
    assert [k.value for k in RemixKind] == ["new_seed", "edit_prompt", "restyle", "extend", "video", "retake"]
    assert [p.value for p in Phase] == ["queued", "loading", "encoding", "denoising", "decoding", "writing",
                                        "done", "failed", "canceled", "paused"]
    assert [s.value for s in TakeStatus] == ["queued", "running", "done", "failed", "canceled"]
    assert [s.value for s in JobStatus] == ["pending", "running", "paused", "done", "failed", "canceled"]
    assert [o.value for o in TakeOrigin] == ["generated", "imported"]
    assert [k.value for k in MediaKind] == ["video", "audio", "image"]
    assert [k.value for k in SnapshotKind] == ["autosave", "manual"]
    assert MODES == tuple(Mode) and PHASES == tuple(Phase)


def _check_values(schema_sql: str, column: str) -> list[str]:
    match = re.search(rf"{column} TEXT NOT NULL CHECK \({column} IN \(([^)]*)\)\)", schema_sql)
    assert match, f"no CHECK constraint on {column}"
    return [word.strip().strip("'") for word in match.group(1).split(",")]


def test_enums_match_the_database_check_constraints(lib: Library) -> None:
    tables = {row["name"]: row["sql"] for row in lib._db.query("SELECT name, sql FROM sqlite_master WHERE type = 'table'")}
    assert _check_values(tables["takes"], "status") == [s.value for s in TakeStatus]
    assert _check_values(tables["takes"], "origin") == [o.value for o in TakeOrigin]
    assert _check_values(tables["jobs"], "status") == [s.value for s in JobStatus]
    assert _check_values(tables["media"], "kind") == [k.value for k in MediaKind]
    assert _check_values(tables["project_snapshots"], "kind") == [k.value for k in SnapshotKind]


def test_records_read_back_as_members_equal_to_the_old_strings(lib: Library) -> None:
    take = lib.create_take(Recipe("a red kite", mode="text"), remix_kind=RemixKind.NEW_SEED)
    job = lib.enqueue_job(take.id)
    assert take.status is TakeStatus.QUEUED and take.status == "queued"
    assert take.origin is TakeOrigin.GENERATED and take.remix_kind == "new_seed"
    assert job.status is JobStatus.PENDING and job.status == "pending"
    row = lib._db.query_one("SELECT status, origin, remix_kind FROM takes WHERE id = ?", (take.id,))
    assert (row["status"], row["origin"], row["remix_kind"]) == ("queued", "generated", "new_seed")
    assert json.loads(json.dumps(take.to_dict()))["status"] == "queued"


def test_recipe_mode_is_a_mode_and_its_json_is_the_plain_word() -> None:
    recipe = Recipe("a red kite", mode="keyframes", keyframes=("a.png", "b.png"))
    assert recipe.mode is Mode.KEYFRAMES
    text = json.dumps(recipe.to_dict())
    assert '"mode": "keyframes"' in text
    assert Recipe.from_dict(json.loads(text)) == recipe


def test_event_phase_is_a_phase_and_its_json_is_the_plain_word() -> None:
    event = EngineEvent(take_id=1, job_id=2, phase="denoising", step=3, total=8)
    assert event.phase is Phase.DENOISING
    assert json.loads(json.dumps(event.to_dict()))["phase"] == "denoising"


def test_final_phases_are_the_ended_ones_and_paused() -> None:
    # The engine's FINAL_PHASES (no more events) and the queue panel's (the job is over) used to be two
    # sets with one name that differed by "paused"; now each meaning has its own name.
    assert FINAL_PHASES == ENDED_PHASES | {Phase.PAUSED}
    assert Phase.PAUSED not in ENDED_PHASES and Phase.PAUSED in WAITING_PHASES


def test_remix_menu_offers_each_remix_kind_once_with_a_real_recipe_mode() -> None:
    assert [m.kind for m in REMIXES] == list(RemixKind)
    for mode in REMIXES:
        assert mode.recipe_mode is None or mode.recipe_mode in MODES


def test_recipe_description_names_every_parameter_that_makes_it_again() -> None:
    # The credentials panel's own copy left out guidance and the negative prompt.
    recipe = Recipe("dusk", negative_prompt="blur", model_id="tiny-random", seconds=2, fps=12, width=64, height=32,
                    seed=7, steps=4, guidance=3.5, style="noir")
    assert recipe.describe() == ('"dusk", model tiny-random, mode text, seed 7, 64x32, 12 fps, 2 s, 4 steps, '
                                 'guidance 3.5, style noir, negative "blur"')
