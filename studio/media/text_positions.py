"""Where a text overlay may sit on the frame. Its own module, free of OpenCV and NumPy, so the clip
inspector can list the choices without loading them before the studio's first frame (studio/media/overlay.py
draws the text)."""

from __future__ import annotations

POSITIONS = ("bottom", "center", "top")
