"""A small JPEG poster frame for a manifest's thumbnail (c2pa-rs makes none for video)."""

from __future__ import annotations

from pathlib import Path

LONG_EDGE = 320


def poster_jpeg(path: Path, long_edge: int = LONG_EDGE) -> bytes | None:
    """JPEG bytes of a frame a third of the way into the video, or None when it has no video.

    A thumbnail is a courtesy: a file we cannot decode is still signed, without one.
    """
    import av
    import cv2

    try:
        with av.open(str(path), metadata_errors="replace") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            duration = float(container.duration or 0) / 1_000_000
            if duration > 0:
                container.seek(int(duration / 3 * 1_000_000), any_frame=False, backward=True)
            frame = next(container.decode(stream), None)
            if frame is None:
                return None
            scale = long_edge / max(frame.width, frame.height)
            width = max(2, round(frame.width * min(1.0, scale)))
            height = max(2, round(frame.height * min(1.0, scale)))
            rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
    except (av.FFmpegError, OSError, StopIteration):
        return None
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    return encoded.tobytes() if ok else None
