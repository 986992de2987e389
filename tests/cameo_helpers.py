"""Recordings for the cameo tests, made from the corpus pictures: a still panned left then right (a head
turn as the detector sees it) with espeak-ng reading the phrase, muxed into an MP4 with PyAV."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.consent.verify import DEFAULT_SCRIPT, Script
from studio.media.encode import resample, write_clip

FPS = 10


def require_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng, in the Makefile's SPEECH_PACKAGES): "
                    "the verification tests need spoken audio")
    return exe


def spoken(text: str, folder: Path) -> tuple[np.ndarray, int]:
    """espeak-ng reading `text`: mono float32 and its sample rate."""
    out = folder / "speech.wav"
    subprocess.run([require_espeak(), "-w", str(out), text], check=True, capture_output=True, timeout=60)
    with wave.open(str(out)) as w:
        rate, data = w.getframerate(), w.readframes(w.getnframes())
    return np.frombuffer(data, np.int16).astype(np.float32) / 32768.0, rate


def recording(path: Path, picture: np.ndarray | None, *, speech: bool = True, turn: bool = True,
              script: Script = DEFAULT_SCRIPT, size: tuple[int, int] = (320, 240), zoom: float = 2 / 3) -> Path:
    """An MP4 following `script`: `picture` (RGB; None: a plain grey gradient, no face) cropped and panned
    during the turn windows (a `zoom` share of its width in view), and espeak-ng saying the phrase in the
    phrase window (or room noise only)."""
    import cv2

    width, height = size
    if picture is None:
        ramp = np.linspace(60, 200, width * 2, dtype=np.float32)
        picture = np.repeat(np.tile(ramp, (height * 2, 1))[:, :, None], 3, axis=2).astype(np.uint8)
    ph, pw = picture.shape[:2]
    crop_w = min(round(pw * zoom), round(ph * width / height))
    crop_h = round(crop_w * height / width)
    cx, cy = (pw - crop_w) // 2, (ph - crop_h) // 2
    pan = min((pw - crop_w) // 2, crop_w // 6)

    frames = []
    n = int(script.duration * FPS)
    for i in range(n):
        t = i / FPS
        dx = 0
        if turn and script.left_window[0] <= t < script.left_window[1]:
            dx = pan
        elif turn and script.right_window[0] <= t < script.right_window[1]:
            dx = -pan
        crop = picture[cy:cy + crop_h, cx + dx:cx + dx + crop_w]
        frames.append(cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA))

    rate = 48_000
    rng = np.random.default_rng(1)
    audio = rng.normal(0, 0.002, int(script.duration * rate)).astype(np.float32)  # room noise
    if speech:
        voice, voice_rate = spoken(script.phrase, path.parent)
        voice = resample(np.repeat(voice[:, None], 2, axis=1), voice_rate, rate)[:, 0]
        start = int(script.phrase_window[0] * rate)
        span = min(voice.size, int((script.phrase_window[1] - script.phrase_window[0]) * rate))
        audio[start:start + span] += voice[:span]
    return write_clip(np.stack(frames), audio[:, None], FPS, rate, path)


def load_rgb(path: Path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path))
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
