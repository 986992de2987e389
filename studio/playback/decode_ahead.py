"""The decode-ahead thread: decodes the frames playback will need next into a bounded queue.

The GUI thread only ever takes frames out (`take_due`), under a lock that the decoder holds just to
append; decoding itself happens outside the lock, so asking for the current frame never blocks.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from studio.playback.sources import Source, frame_count

log = logging.getLogger(__name__)

# How far ahead to decode: up to AHEAD_BYTES of pictures, between MIN_AHEAD and MAX_AHEAD frames. A
# few hundred ms absorbs the stall where an edit opens or jumps a decoder (a cut, a dissolve's
# second picture: a seek and the pictures from the keyframe before it) while its clips play on.
AHEAD_BYTES = 64 * 2**20
MIN_AHEAD, MAX_AHEAD = 8, 30


@dataclass(frozen=True)
class DecodedFrame:
    """One picture of the source: its frame index, presentation time (s) and RGB pixels."""

    index: int
    pts: float
    image: np.ndarray


class DecodeAhead:
    """Decodes frames `start, start+step, ...` of a source ahead of time into a bounded queue.

    `capacity` fixes the queue's length; by default it follows the size of the pictures (AHEAD_BYTES).
    """

    def __init__(self, capacity: int | None = None) -> None:
        self._fixed_capacity = capacity
        self._capacity = capacity or MIN_AHEAD
        self._cond = threading.Condition()
        self._queue: deque[DecodedFrame] = deque()
        self._source: Source | None = None
        self._retired: list[Source] = []  # replaced sources, closed by the decode thread itself
        self._count = 0
        self._size: tuple[int, int] | None = None
        self._generation = 0
        self._next = 0
        self._step = 1
        self._closed = False
        self._busy = False  # a frame is being decoded outside the lock
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="kinora-decode-ahead", daemon=True)
        self._thread.start()

    def set_source(self, source: Source | None, size: tuple[int, int] | None = None) -> None:
        """Play `source` (decoded at `size`, width by height, or its own size); starts at frame 0."""
        with self._cond:
            if self._source is not None and self._source is not source:
                self._retired.append(self._source)
            self._source = source
            self._count = frame_count(source) if source is not None else 0
            self._size = size
            self.last_error = None
        self.restart(0, 1)

    def set_size(self, size: tuple[int, int] | None) -> None:
        """Decode at `size` (width, height) from now on; frames already queued keep theirs until a restart."""
        with self._cond:
            self._size = size

    def restart(self, index: int, step: int) -> None:
        """Forget queued frames and decode from `index` onwards, `step` frames apart (negative: reverse)."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._next = index
            self._step = step
            self._cond.notify_all()

    def skip_to(self, index: int, step: int) -> bool:
        """Drop queued frames before `index` if it is already queued in this direction; else False."""
        with self._cond:
            if step != self._step or not any(f.index == index for f in self._queue):
                return False
            while self._queue[0].index != index:
                self._queue.popleft()
            self._cond.notify_all()
            return True

    def take_due(self, target: int) -> DecodedFrame | None:
        """The newest queued frame whose time has come at frame `target` (older due ones are passed over).

        When the decoder is behind (what it decodes next is older than `target`), it skips ahead to the
        frame after `target`: decoding frames that could only be shown late, then dropped, would keep it
        behind for good. Frames never shown show as gaps in the indices shown (dropped frames).
        """
        shown: DecodedFrame | None = None
        with self._cond:
            while self._queue and self._reached(self._queue[0].index, target):
                shown = self._queue.popleft()
            if not self._queue and self._reached(self._next, target - self._step):
                self._next = target + self._step
            if shown is not None:
                self._cond.notify_all()
        return shown

    def ready(self, count: int) -> bool:
        """True when `count` frames are queued, or the decoder has nothing more to decode."""
        with self._cond:
            return len(self._queue) >= count or (not self._busy and not self._has_work())

    def _reached(self, index: int, target: int) -> bool:
        return index <= target if self._step > 0 else index >= target

    def close(self) -> None:
        """Stop the thread and close every source it was given, the current one included."""
        with self._cond:
            self._closed = True
            if self._source is not None:
                self._retired.append(self._source)
                self._source = None
            self._cond.notify_all()
        self._thread.join(timeout=2.0)
        self._close_retired()

    def _close_retired(self) -> None:
        with self._cond:
            retired, self._retired = self._retired, []
        for source in retired:
            try:
                source.close()
            except Exception:
                log.exception("closing a replaced playback source failed")

    def _loop(self) -> None:
        while True:
            self._close_retired()
            with self._cond:
                while not self._closed and not self._has_work() and not self._retired:
                    self._cond.wait()
                if self._closed:
                    return
                if not self._has_work():
                    continue
                source, size, generation = self._source, self._size, self._generation
                index, fps = self._next, source.fps
                self._next += self._step
                self._busy = True
            try:
                # Sample mid-frame so rounding in a file's timestamps never lands on the previous frame.
                image = source.frame_at((index + 0.5) / fps, size)
            except Exception as exc:  # a bad frame must not stop playback: keep going, report it
                log.exception("decoding frame %d failed", index)
                self.last_error = str(exc)
                image = None
            with self._cond:
                self._busy = False
                if image is not None and generation == self._generation:
                    # Contiguous rows: the GUI wraps the pixels in an image without copying them.
                    image = np.ascontiguousarray(image)
                    self._queue.append(DecodedFrame(index, index / fps, image))
                    if self._fixed_capacity is None:
                        self._capacity = min(max(AHEAD_BYTES // max(image.nbytes, 1), MIN_AHEAD), MAX_AHEAD)

    def _has_work(self) -> bool:
        return (
            self._source is not None
            and len(self._queue) < self._capacity
            and 0 <= self._next < self._count
        )
