"""Takes whose formats could not be exported or signed (issue 16): stills, MJPEG .mov, RF64 .wav.
The old export tests used generated MP4 takes only."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from studio.exporting import ExportStatus, export_take
from studio.library import Library
from studio.media.probe import probe
from studio.provenance.reader import read_credentials


def _mjpeg_mov(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for i in range(6):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 30, np.uint8))):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _rf64_wav(path: Path) -> Path:
    with av.open(str(path), "w", options={"rf64": "always"}) as out:
        stream = out.add_stream("pcm_s16le", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 9600), np.int16), format="s16", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            out.mux(packet)
    assert path.read_bytes()[:4] == b"RF64"
    return path


def _import(lib: Library, path: Path) -> int:
    media = lib.import_media(path)
    return lib.add_imported_take(media.id, title=path.stem).id


@pytest.mark.parametrize("kind", ["still", "mjpeg", "rf64"])
def test_the_take_exports_signed_and_says_first_what_travels_unsigned(lib: Library, tmp_path: Path, corpus: Path,
                                                                      kind: str) -> None:
    source = {"still": lambda: corpus / "images" / "Landscape_6.jpg",
              "mjpeg": lambda: _mjpeg_mov(tmp_path / "mj.mov"),
              "rf64": lambda: _rf64_wav(tmp_path / "long.wav")}[kind]()
    seen: list[ExportStatus] = []
    out = export_take(lib, _import(lib, source), tmp_path / f"{kind}.mp4", progress=seen.append)
    report = read_credentials(out)
    assert report.state == "valid" and [i.relationship for i in report.ingredients] == ["parentOf"]
    notices = [s.detail for s in seen if s.phase == "notice"]
    first_render = next(i for i, s in enumerate(seen) if s.phase == "rendering")
    if kind == "rf64":  # c2pa cannot parse RF64: said before rendering, named without its bytes
        assert len(notices) == 1 and "long" in notices[0] and "RF64" in notices[0]
        assert all(s.phase == "notice" for s in seen[:first_render]) and seen[0].phase == "notice"
    else:
        assert notices == []
    if kind == "still":  # held for its clip's length at its upright size (was: "no picture could be decoded")
        info = probe(out)
        assert (info.width, info.height) == (1800, 1200) and info.duration == pytest.approx(3.0, abs=0.1)


def test_the_export_dialog_shows_the_notice_beside_its_progress(qtbot, lib: Library, tmp_path: Path) -> None:
    from studio.ui.export_dialog import ExportDialog

    dialog = ExportDialog(lib, None, take_id=_import(lib, _rf64_wav(tmp_path / "long.wav")))
    qtbot.addWidget(dialog)
    dialog._on_status(ExportStatus("notice", 0.0, None, "long: c2pa cannot read this file"))
    dialog._on_status(ExportStatus("rendering", 0.5, None))
    assert "long: c2pa cannot read this file" in dialog.notice.text() and not dialog.notice.isHidden()
    assert dialog.status.text().startswith("Rendering")
