"""The one media resolver type: a clip with no file gets a clear message from every writer that takes one."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from studio.errors import MediaError
from studio.media.resolver import file_path_of, require_media
from studio.project.files import save_otio, save_otioz
from studio.project.timeline import new_timeline


def _timeline_with(url: str) -> otio.schema.Timeline:
    timeline = new_timeline("Far away")
    clip = otio.schema.Clip(name="remote", media_reference=otio.schema.ExternalReference(target_url=url),
                            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                                                 otio.opentime.RationalTime(24, 24)))
    timeline.tracks[0].append(clip)
    return timeline


def test_file_path_of_reads_file_urls_and_plain_paths_but_not_remote_urls(tmp_path: Path) -> None:
    local = tmp_path / "a b.mp4"
    assert file_path_of(_timeline_with(local.as_uri()).tracks[0][0]) == local
    assert file_path_of(_timeline_with(str(local)).tracks[0][0]) == local
    assert file_path_of(_timeline_with("https://example.com/a.mp4").tracks[0][0]) is None


def test_a_clip_without_a_file_is_named_in_the_error(tmp_path: Path) -> None:
    # Before one resolver type, save_otio/save_otioz called Path(resolve_media(clip)) and a resolver
    # answering None (file_path_of on a remote clip) ended in a TypeError from pathlib.
    timeline = _timeline_with("https://example.com/a.mp4")
    with pytest.raises(MediaError, match="'remote' is missing"):
        require_media(file_path_of, timeline.tracks[0][0])
    with pytest.raises(MediaError, match="'remote' is missing"):
        save_otioz(timeline, tmp_path / "out.otioz", file_path_of)
    assert not list(tmp_path.iterdir())  # nothing half-written
    # An .otio only references its media: an offline clip keeps its reference (issue 15), no error.
    save_otio(timeline, tmp_path / "out.otio", file_path_of)
    assert "https://example.com/a.mp4" in (tmp_path / "out.otio").read_text()
