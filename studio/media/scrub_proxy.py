"""A background-built, in-memory scrub proxy: every frame of a clip, small and JPEG-compressed.

Random access into H.264 costs a seek plus decoding every frame from the keyframe before the
target (about 300 ms median into a long-GOP 1080p file on a 2-core machine). For scrubbing, a
viewer needs the right frame at its own (small) size, fast. One sequential decode pass in a
background thread stores each frame, already rotated, at `height` pixels as a JPEG (~50 KB at
540p, so 20 s of 30 fps is ~30 MB); any frame it holds comes back in a few milliseconds.
"""

from __future__ import annotations

import bisect
import threading
from pathlib import Path

import cv2
import numpy as np

from studio.media.containers import open_input

_JPEG_QUALITY = 90


class ScrubProxy:
    """Frames of one file at a fixed height, filled in by a daemon thread started on creation."""

    def __init__(self, path: Path, *, width: int, height: int, rotation: int, origin_pts: int) -> None:
        self.width, self.height = width, height
        self._rotation = rotation
        self._origin = origin_pts
        self._path = path
        self._times: list[float] = []
        self._jpegs: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, name=f"scrub-proxy {path.name}", daemon=True)
        self._thread.start()

    def frame_at(self, t: float, size: tuple[int, int] | None) -> np.ndarray | None:
        """The frame shown at t at size (default the proxy's), or None if the proxy hasn't reached t."""
        with self._lock:
            i = bisect.bisect_right(self._times, t + 1e-4) - 1
            # Known only once the next frame (or the end) is in: until then a later frame may be due.
            if i < 0 or (i + 1 >= len(self._times) and not self.done.is_set()):
                return None
            data = self._jpegs[i]
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if size is not None and (size[0], size[1]) != (self.width, self.height):
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        return rgb

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(len(j) for j in self._jpegs)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _build(self) -> None:
        try:
            with open_input(self._path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                tb = float(stream.time_base)
                coded = (self.height, self.width) if self._rotation in (90, 270) else (self.width, self.height)
                for frame in container.decode(stream):
                    if self._stop.is_set():
                        return
                    bgr = frame.to_ndarray(width=coded[0], height=coded[1], format="bgr24")
                    if self._rotation:
                        bgr = np.ascontiguousarray(np.rot90(bgr, k=-self._rotation // 90))
                    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
                    t = ((frame.pts if frame.pts is not None else self._origin) - self._origin) * tb
                    with self._lock:
                        if ok and (not self._times or t > self._times[-1]):
                            self._times.append(t)
                            self._jpegs.append(jpeg.tobytes())
        except Exception as exc:  # a damaged tail (or any decode failure): keep what was decoded
            self.error = exc
        finally:
            self.done.set()
