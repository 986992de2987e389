"""A clip's own reframe (position and scale): the values kept in its metadata and the one geometry
that places it in an output frame (Qt-free)."""

from __future__ import annotations

import pytest

from studio.errors import ProjectError
from studio.media.compose import place_framed
from studio.media.framing import Framing
from studio.project.framing import clip_framing, framing_metadata, make_framing


def test_framing_round_trips_through_the_clips_metadata() -> None:
    framing = make_framing(1.5, -0.2, 0.1, "black")
    assert clip_framing(framing_metadata(framing)) == framing
    assert framing_metadata(None) == {"reframe": None}
    assert clip_framing({}) is None and clip_framing({"reframe": {"mode": "fit"}}) is None


@pytest.mark.parametrize("args, message", [
    ((0.0, 0, 0, "blur"), "Scale must be between"),
    ((1.0, 1.5, 0, "blur"), "X offset"),
    ((1.0, 0, -2, "blur"), "Y offset"),
    ((1.0, 0, 0, "white"), "one of blur, black"),
])
def test_out_of_range_framing_is_refused_with_the_value_named(args, message) -> None:
    with pytest.raises(ProjectError, match=message):
        make_framing(*args)


def test_a_bad_framing_written_by_another_tool_is_named() -> None:
    with pytest.raises(ProjectError, match="not numbers"):
        clip_framing({"reframe": {"mode": "custom", "scale": "big"}})


def test_scale_one_centred_is_the_letterbox_fit() -> None:
    p = place_framed(1920, 1080, 1080, 1920, Framing())
    assert (p.w, p.h, p.dest_x, p.dest_y) == (1080, 608, 0, 656)


def test_a_moved_and_enlarged_picture_is_cropped_by_the_frame_edges() -> None:
    p = place_framed(64, 64, 64, 64, Framing(2.0, 0.25, 0.0))  # 128 px wide, centre 16 px right
    assert (p.scaled_w, p.dest_x, p.crop_x, p.w) == (128, 0, 16, 64)
    assert p.covers(64, 64)
    assert place_framed(64, 64, 64, 64, Framing(1.0, 1.0, 0.0)) is None  # wholly outside
