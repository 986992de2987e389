"""Recording a cameo from the webcam (OpenCV) and microphone (sounddevice) while the dialog shows the
script's prompts. Blocking: call it on a worker thread. Not exercised by the tests (the test machines
have no camera); the dialog falls back to choosing a recording file when `camera_available()` is False.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from studio.consent.verify import Script
from studio.errors import MediaError
from studio.media.encode import write_clip

CAPTURE_RATE = 48_000
MAX_WIDTH = 640


def camera_available(index: int = 0) -> bool:
    import cv2

    capture = cv2.VideoCapture(index)
    try:
        return bool(capture.isOpened())
    finally:
        capture.release()


def record(path: Path, script: Script, *, camera: int = 0, stop: threading.Event | None = None) -> Path:
    """Record `script.duration` seconds of camera and microphone into an MP4 at `path`."""
    import cv2
    import sounddevice as sd

    capture = cv2.VideoCapture(camera)
    if not capture.isOpened():
        raise MediaError("No camera could be opened; choose a recording file instead.")
    chunks: list[np.ndarray] = []
    frames: list[np.ndarray] = []
    try:
        with sd.InputStream(samplerate=CAPTURE_RATE, channels=1, dtype="float32",
                            callback=lambda data, *_: chunks.append(data.copy())):
            start = time.monotonic()
            while time.monotonic() - start < script.duration and not (stop and stop.is_set()):
                ok, bgr = capture.read()
                if not ok:
                    raise MediaError("The camera stopped sending pictures.")
                if bgr.shape[1] > MAX_WIDTH:
                    bgr = cv2.resize(bgr, (MAX_WIDTH, round(bgr.shape[0] * MAX_WIDTH / bgr.shape[1])))
                frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    if not frames:
        raise MediaError("Nothing was recorded.")
    fps = len(frames) / script.duration  # the camera's real rate, so sound and prompts stay in step
    audio = np.concatenate(chunks) if chunks else None
    return write_clip(np.stack(frames), audio, fps, CAPTURE_RATE, path)
