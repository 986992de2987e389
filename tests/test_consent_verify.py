"""Cameo verification on recordings made from the corpus pictures (espeak-ng reads the phrase)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cameo_helpers import load_rgb, recording, require_espeak

from studio.consent.verify import Check, random_script, verify_recording
from studio.errors import MediaError


@pytest.fixture(autouse=True)
def _espeak() -> None:
    require_espeak()


def test_one_face_turning_and_speaking_passes_with_stills_and_voice(corpus: Path, tmp_path: Path) -> None:
    script = random_script()
    video = recording(tmp_path / "me.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"), script=script)
    result = verify_recording(video, script)
    assert result.ok, result.reason
    assert result.one_face_ratio >= 0.9 and result.voiced_ratio > 0.15
    left, right = result.turn_shift
    assert left * right < 0  # the face moved one way, then the other
    assert 1 <= len(result.stills) <= 3 and result.stills[0].ndim == 3
    assert result.voice is not None and result.voice.size > 16_000  # seconds of the phrase window


def test_two_faces_fail_naming_the_check(corpus: Path, tmp_path: Path) -> None:
    video = recording(tmp_path / "two.mp4", load_rgb(corpus / "faces" / "two_people.jpg"), zoom=0.95)
    result = verify_recording(video)
    assert not result.ok
    assert [f.check for f in result.failures][0] == Check.ONE_FACE
    assert "two faces in the picture" in result.reason


def test_no_face_fails_naming_the_check(tmp_path: Path) -> None:
    result = verify_recording(recording(tmp_path / "empty.mp4", None))
    assert "no face" in result.reason and Check.ONE_FACE in {f.check for f in result.failures}


def test_silence_fails_with_no_speech_heard_and_nothing_else(corpus: Path, tmp_path: Path) -> None:
    video = recording(tmp_path / "mute.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"), speech=False)
    result = verify_recording(video)
    assert [f.check for f in result.failures] == [Check.SPEECH]
    assert "no speech heard" in result.reason


def test_a_face_that_never_turns_fails_the_turn_check(corpus: Path, tmp_path: Path) -> None:
    video = recording(tmp_path / "still.mp4", load_rgb(corpus / "faces" / "portrait_one_face.jpg"), turn=False)
    result = verify_recording(video)
    assert [f.check for f in result.failures] == [Check.HEAD_TURN]
    assert result.reason == "the head did not turn when asked"


def test_the_stage_clip_is_not_a_cameo(corpus: Path) -> None:
    # Singing on stage with two performers: whatever else fails, it must not verify.
    assert not verify_recording(corpus / "faces" / "stage_clip_two_faces.mp4").ok


def test_a_file_that_is_not_a_video_or_is_cut_short_is_refused_clearly(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes((corpus / "faces" / "stage_clip_two_faces.mp4").read_bytes()[:200_000])
    for path in (bad, cut):
        with pytest.raises(MediaError, match="cannot be read as a video"):
            verify_recording(path)
