"""Media inputs that used to crash, hang or run for ever (issue 16). The old tests probed real and noisy
files only: none was a FIFO, a /proc file, unreadable, had undecodable metadata, failed to seek or
claimed a length or rate past any use."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from studio.errors import MediaError
from studio.library import Library
from studio.media import containers
from studio.media.audio import AudioCursor
from studio.media.encode import write_clip
from studio.media.limits import MAX_MEDIA_SECONDS, check_media_bounds
from studio.media.probe import probe

REPO = Path(__file__).resolve().parent.parent


def _clip(path: Path) -> Path:
    return write_clip(np.full((6, 32, 32, 3), 90, np.uint8), None, 24, 48000, path)


def _wav(path: Path, samples: int) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, samples), np.int16), format="s16", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            out.mux(packet)
    return path


@pytest.mark.parametrize("special", ["fifo", "/proc/self/pagemap", "/dev/zero"])
def test_non_regular_files_are_refused_before_they_are_opened(tmp_path: Path, special: str) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "pipe.mp4"
        os.mkfifo(path)  # opening it for reading would block for ever
    with pytest.raises(MediaError, match="special file|not a regular file"):
        probe(path)
    with Library.open(tmp_path / "lib") as lib, pytest.raises(MediaError):
        lib.import_media(path)


def test_an_unreadable_file_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _clip(tmp_path / "locked.mp4")
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != path)  # root reads anything: say what a user meets
    with pytest.raises(MediaError, match="locked.mp4: permission denied"):
        probe(path)


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists(), reason="needs root and setpriv")
def test_kinora_import_of_a_file_the_user_cannot_read_is_one_line_exit_2(tmp_path: Path) -> None:
    # Root without CAP_DAC_OVERRIDE reads like an ordinary user: the real PermissionError, not a simulation.
    path = _clip(tmp_path / "locked.mp4")
    path.chmod(0)
    cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search",
           sys.executable, "-m", "studio", "import", str(path)]
    result = subprocess.run(cmd, cwd=REPO, env={**os.environ, "KINORA_LIBRARY": str(tmp_path / "lib")},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "locked.mp4" in result.stderr
    assert "permission denied" in result.stderr.lower() and "Traceback" not in result.stderr


def test_container_metadata_that_is_not_utf8_does_not_stop_a_probe(tmp_path: Path) -> None:
    path = tmp_path / "meta.mp4"
    with av.open(str(path), "w") as out:
        out.metadata["title"] = "ZZZZTITLEZZZZ"
        stream = out.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(4):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 40, np.uint8))):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    data = path.read_bytes().replace(b"ZZZZTITLEZZZZ", b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc")
    path.write_bytes(data)
    assert probe(path).has_video  # old code: UnicodeDecodeError out of av.open


def test_a_failed_seek_is_a_media_error_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _wav(tmp_path / "tone.wav", 48000)
    real_open = containers.open_input

    class NoSeek:  # what some m4a/mp3 demuxers answer: -1, raised by PyAV as PermissionError
        def __init__(self, inner: av.container.InputContainer) -> None:
            self._inner = inner

        def seek(self, *args: object, **kwargs: object) -> None:
            raise av.error.PermissionError(1, "Operation not permitted")

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    import studio.media.audio as audio_module

    monkeypatch.setattr(audio_module, "open_input", lambda p: NoSeek(real_open(p)))
    with pytest.raises(MediaError, match="tone.wav: Kinora cannot seek"):
        AudioCursor(path, start=0.5)
    cursor = AudioCursor(path, start=0.0)  # from the start no seek is needed: a failed one is harmless
    assert cursor.take(100).shape == (100, 2)


@pytest.mark.parametrize(("duration", "fps", "rate"), [
    (float("nan"), 24.0, None), (4.2e298, 24.0, None), (0.0, 24.0, None), (1.0, float("nan"), None),
    (1.0, 0.0, None), (1.0, -24.0, None), (1.0, 1e308, None), (MAX_MEDIA_SECONDS, 1000.0, None),
    (1.0, None, 0), (1.0, None, -48000), (1.0, None, 10**9)])
def test_lengths_and_rates_past_the_caps_are_named(duration: float, fps: float | None, rate: int | None) -> None:
    assert check_media_bounds(duration, fps, rate, 32, 32) is not None
    assert check_media_bounds(2.0, 24.0, 48000, 32, 32) is None


def test_a_wav_claiming_hours_it_does_not_hold_is_refused_by_probe(tmp_path: Path) -> None:
    # The old probe accepted lengths like this; an export of such a file then ran for hours or for ever.
    path = _wav(tmp_path / "forever.wav", 4800)
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[at + 4:at + 8] = struct.pack("<I", 0xFFFFFFF0)  # the data chunk claims 4 GiB
    fmt = data.index(b"fmt ")
    data[fmt + 16:fmt + 20] = struct.pack("<I", 1)  # at one byte a second
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="forever.wav: claims a length"):
        probe(path)


def test_a_video_whose_frames_last_days_is_refused_by_probe(tmp_path: Path) -> None:
    path = _clip(tmp_path / "slow.mp4")
    data = bytearray(path.read_bytes())
    at = data.index(b"stts")  # the video track's (sample count, sample delta) pairs
    data[at + 16:at + 20] = struct.pack(">I", 0x7FFFFFFF)  # each frame lasts 2^31 ticks: a rate of 6e-6 fps
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="slow.mp4: claims a frame rate"):
        probe(path)


def test_import_probes_before_it_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A huge sparse non-media file was hashed in full (minutes) before the probe refused it.
    import studio.library.library as library_module

    hashed: list[Path] = []
    monkeypatch.setattr(library_module, "sha256_of", lambda p: hashed.append(p) or "0" * 64)
    junk = tmp_path / "sparse.mp4"
    with open(junk, "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GiB of nothing, no disk used
    with Library.open(tmp_path / "lib") as lib, pytest.raises(MediaError):
        lib.import_media(junk)
    assert hashed == []


def test_a_cut_jpeg_is_one_line_not_a_libjpeg_warning_and_an_error(tmp_path: Path, corpus: Path) -> None:
    # The fuzzer's "unclear" cases: libjpeg under OpenCV printed "Premature end of JPEG file" before our line.
    cut = tmp_path / "cut.jpg"
    cut.write_bytes((corpus / "c2pa" / "C.jpg").read_bytes()[:30000])
    result = subprocess.run([sys.executable, "-m", "studio", "import", str(cut)], cwd=REPO, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "KINORA_LIBRARY": str(tmp_path / "lib")})
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("kinora: ") and "cut.jpg: is not a readable image" in result.stderr
