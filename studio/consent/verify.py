"""Verifying a cameo recording: one person, alive, turning their head when asked, reading the phrase.

The recording follows a `Script`: a phrase to read aloud in one window, then "turn your head left" and
"turn your head right" windows. Three checks, each with the reason a creator sees when it fails:

- one face: exactly one face in at least 90% of the sampled frames ("two faces in the picture",
  "no face");
- head turn: during the left window the face box moves (or a profile is seen) one way, and during the
  right window the other way, relative to where the face was while reading ("the head did not turn");
  the sign is not fixed, as a webcam preview may be mirrored;
- speech: voiced energy well above the recording's own noise floor during the phrase window
  ("no speech heard").

The face detector is OpenCV's Haar cascades (frontal and profile), whose models ship inside the
opencv-python-headless wheel: nothing is downloaded. It is a liveness and single-person check, not a
proof of identity: the grant, signed by the owner's key, is what ties a likeness to a person.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import MediaError

SAMPLE_FPS = 6.0  # frames looked at per second: enough to see a turn, cheap on a CPU
ANALYSIS_WIDTH = 320  # faces are detected on frames scaled to this width
STILL_WIDTH = 640
ONE_FACE_RATIO = 0.9
TURN_SHIFT = 0.12  # a turn moves the face box by at least this fraction of its width (or shows a profile)
SPEECH_RATE = 16_000
SPEECH_FLOOR_DB = -45.0  # quieter than this is never speech, whatever the noise floor
SPEECH_OVER_FLOOR = 4.0  # voiced frames are this many times louder (RMS) than the clip's quietest tenth
SPEECH_MIN_VOICED = 0.15  # share of the phrase window that must be voiced

PHRASES = (
    "purple lanterns drift over the quiet harbour",
    "seven paper boats race down the rainy street",
    "a brass kettle sings in the morning kitchen",
    "the orange kite circles above the wheat field",
    "twelve owls count the stars behind the mill",
    "a blue tram hums along the frozen river",
)


class Check(StrEnum):
    ONE_FACE = "one face"
    HEAD_TURN = "head turn"
    SPEECH = "speech"


@dataclass(frozen=True)
class Script:
    """What the recording asks of the person, in seconds from its start."""

    phrase: str
    phrase_window: tuple[float, float] = (0.5, 4.0)
    left_window: tuple[float, float] = (4.5, 6.0)
    right_window: tuple[float, float] = (6.2, 7.7)
    duration: float = 8.0

    def prompt_at(self, t: float) -> str:
        """The instruction shown at t seconds (the Cameo dialog shows this while recording)."""
        if self.phrase_window[0] <= t < self.phrase_window[1]:
            return f"Read aloud: \u201c{self.phrase}\u201d"
        if self.left_window[0] <= t < self.left_window[1]:
            return "Turn your head to the left"
        if self.right_window[0] <= t < self.right_window[1]:
            return "Turn your head to the right"
        return "Look at the camera"


def random_script() -> Script:
    """A script with a phrase drawn at random, so a replayed recording of another session fails."""
    return Script(phrase=PHRASES[secrets.randbelow(len(PHRASES))])


DEFAULT_SCRIPT = Script(phrase=PHRASES[0])


@dataclass(frozen=True)
class Failure:
    check: Check
    reason: str


@dataclass(frozen=True)
class Verification:
    """The outcome, with what the cameo keeps: reference stills (RGB frames) and the voice sample."""

    failures: tuple[Failure, ...]
    one_face_ratio: float
    turn_shift: tuple[float, float]  # signed face-box shift (in face widths) in the left and right windows
    voiced_ratio: float
    stills: tuple[np.ndarray, ...] = field(default=(), repr=False)
    voice: np.ndarray | None = field(default=None, repr=False)  # mono float32 at SPEECH_RATE, the phrase window

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def reason(self) -> str:
        return "; ".join(f.reason for f in self.failures) if self.failures else "verified"


@dataclass(frozen=True)
class _Frame:
    t: float
    faces: int
    box: tuple[float, float, float, float] | None  # x, y, w, h of the largest face (analysis pixels)
    profile: int  # +1 profile facing one way, -1 the other, 0 none
    frontal: bool
    rgb: np.ndarray | None = field(repr=False)


def verify_recording(path: str | Path, script: Script = DEFAULT_SCRIPT) -> Verification:
    """Run the three checks on a recording (any file PyAV reads). MediaError if it has no picture."""
    frames = _analyse_frames(Path(path), script)
    if not frames:
        raise MediaError(f"{path}: no video frames to verify; record yourself with the camera or pick a video file.")
    failures: list[Failure] = []
    counts = np.array([f.faces for f in frames])
    one_face = float(np.mean(counts == 1))
    if one_face < ONE_FACE_RATIO:
        many, none = float(np.mean(counts >= 2)), float(np.mean(counts == 0))
        if many >= none:
            failures.append(Failure(Check.ONE_FACE, f"two faces in the picture ({many:.0%} of frames show more than one)"))
        else:
            failures.append(Failure(Check.ONE_FACE, f"no face ({none:.0%} of frames show no face)"))
    shifts = _turn_shifts(frames, script)
    if not _turned(frames, script, shifts):
        failures.append(Failure(Check.HEAD_TURN, "the head did not turn when asked"))
    voiced, voice = _speech(Path(path), script)
    if voiced < SPEECH_MIN_VOICED:
        failures.append(Failure(Check.SPEECH, "no speech heard while the phrase was shown"))
    return Verification(failures=tuple(failures), one_face_ratio=one_face, turn_shift=shifts, voiced_ratio=voiced,
                        stills=_pick_stills(frames, script), voice=voice)


@lru_cache(maxsize=1)
def _cascades() -> tuple[Any, Any]:
    import cv2
    import cv2.data  # the cascades' folder inside the opencv-python-headless wheel

    folder = Path(cv2.data.haarcascades)
    frontal = cv2.CascadeClassifier(str(folder / "haarcascade_frontalface_default.xml"))
    profile = cv2.CascadeClassifier(str(folder / "haarcascade_profileface.xml"))
    if frontal.empty() or profile.empty():
        raise MediaError(f"OpenCV's face models are missing from {folder}; reinstall opencv-python-headless.")
    return frontal, profile


def _analyse_frames(path: Path, script: Script) -> list[_Frame]:
    import av

    try:
        return _decode_and_detect(path, script)
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"{path}: cannot be read as a video ({exc}).") from exc


def _decode_and_detect(path: Path, script: Script) -> list[_Frame]:
    import av
    import cv2

    frontal_model, profile_model = _cascades()
    out: list[_Frame] = []
    with av.open(str(path)) as container:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        next_t = 0.0
        for frame in container.decode(stream):
            t = float(frame.time) - start if frame.time is not None else next_t
            if t + 1e-6 < next_t:
                continue
            next_t = t + 1.0 / SAMPLE_FPS
            rgb = frame.to_ndarray(format="rgb24")
            scale = ANALYSIS_WIDTH / rgb.shape[1]
            small = cv2.resize(rgb, (ANALYSIS_WIDTH, max(1, round(rgb.shape[0] * scale))), interpolation=cv2.INTER_AREA)
            gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
            fronts = _detect(frontal_model, gray)
            right: list[tuple[float, ...]] = []
            left: list[tuple[float, ...]] = []
            # Profiles are looked for where a frontal face may be missing: a turn, or no frontal face found
            # (the profile model is the slower one, and a cameo is mostly frontal).
            if not fronts or _in(t, script.left_window) or _in(t, script.right_window):
                right = _detect(profile_model, gray)
                left = [(ANALYSIS_WIDTH - x - w, y, w, h) for x, y, w, h in _detect(profile_model, cv2.flip(gray, 1))]
            faces = _merge(fronts + right + left)
            box = max(faces, key=lambda b: b[2] * b[3]) if faces else None
            profile = 0 if fronts or not (right or left) else (1 if len(right) >= len(left) else -1)
            # Only frames that may become reference stills keep their picture (at most STILL_WIDTH wide).
            keep = len(faces) == 1 and bool(fronts)
            still = _shrink(rgb, STILL_WIDTH) if keep else None
            out.append(_Frame(t=t, faces=len(faces), box=box, profile=profile, frontal=bool(fronts), rgb=still))
    return out


def _detect(model: Any, gray: np.ndarray) -> list[tuple[float, ...]]:
    # Faces smaller than an eighth of the frame are ignored: a cameo is a close-up, and small scales
    # are where a Haar cascade spends its time.
    found = model.detectMultiScale(gray, scaleFactor=1.15, minNeighbors=6, minSize=(ANALYSIS_WIDTH // 8,) * 2)
    return [tuple(map(float, box)) for box in found]


def _shrink(rgb: np.ndarray, width: int) -> np.ndarray:
    import cv2

    if rgb.shape[1] <= width:
        return rgb
    return cv2.resize(rgb, (width, round(rgb.shape[0] * width / rgb.shape[1])), interpolation=cv2.INTER_AREA)


def _merge(boxes: list[tuple[float, ...]]) -> list[tuple[float, float, float, float]]:
    """One box per face: a profile box overlapping a frontal one (or another profile) is the same face."""
    kept: list[tuple[float, float, float, float]] = []
    for box in boxes:
        x, y, w, h = box
        cx, cy = x + w / 2, y + h / 2
        if all(abs(cx - (k[0] + k[2] / 2)) > max(w, k[2]) / 2 or abs(cy - (k[1] + k[3] / 2)) > max(h, k[3]) / 2
               for k in kept):
            kept.append((x, y, w, h))
    return kept


def _in(t: float, window: tuple[float, float]) -> bool:
    return window[0] <= t < window[1]


def _turn_shifts(frames: list[_Frame], script: Script) -> tuple[float, float]:
    """Median face-box shift (face widths) in the left and right windows against the reading window."""
    def centres(window: tuple[float, float]) -> list[tuple[float, float]]:
        return [(f.box[0] + f.box[2] / 2, f.box[2]) for f in frames if f.box is not None and _in(f.t, window)]

    base = centres(script.phrase_window)
    if not base:
        return 0.0, 0.0
    base_x = float(np.median([c for c, _ in base]))
    width = float(np.median([w for _, w in base]))
    shifts = []
    for window in (script.left_window, script.right_window):
        seen = centres(window)
        shifts.append(float(np.median([c for c, _ in seen]) - base_x) / width if seen else 0.0)
    return shifts[0], shifts[1]


def _turned(frames: list[_Frame], script: Script, shifts: tuple[float, float]) -> bool:
    left, right = shifts
    if abs(left) >= TURN_SHIFT and abs(right) >= TURN_SHIFT and np.sign(left) != np.sign(right):
        return True
    # A real turn often loses the frontal face and shows a profile instead: opposite profiles also count.
    sides = []
    for window in (script.left_window, script.right_window):
        seen = [f.profile for f in frames if _in(f.t, window) and f.profile]
        sides.append(int(np.sign(sum(seen))) if seen else 0)
    return sides[0] != 0 and sides[1] != 0 and sides[0] != sides[1]


def _speech(path: Path, script: Script) -> tuple[float, np.ndarray | None]:
    """Share of voiced 30 ms frames in the phrase window, and that window's sound (the voice sample)."""
    from studio.media.audio import read_audio
    from studio.media.probe import probe

    if not probe(path).has_audio:
        return 0.0, None
    mono = read_audio(path, rate=SPEECH_RATE).mean(axis=1)
    hop = int(SPEECH_RATE * 0.03)
    if mono.size < hop * 4:
        return 0.0, None
    n = mono.size // hop
    rms = np.sqrt(np.mean(mono[: n * hop].reshape(n, hop) ** 2, axis=1)) + 1e-9
    floor = float(np.percentile(rms, 10))
    threshold = max(floor * SPEECH_OVER_FLOOR, 10 ** (SPEECH_FLOOR_DB / 20))
    a, b = (int(t * SPEECH_RATE / hop) for t in script.phrase_window)
    window = rms[a:b]
    voiced = float(np.mean(window > threshold)) if window.size else 0.0
    voice = mono[a * hop: b * hop].astype(np.float32)
    return voiced, voice


def _pick_stills(frames: list[_Frame], script: Script, count: int = 3) -> tuple[np.ndarray, ...]:
    """Reference stills: sharp frontal single-face frames while reading, spread over the window."""
    import cv2

    good = [f for f in frames if f.rgb is not None and _in(f.t, script.phrase_window)]
    good = good or [f for f in frames if f.rgb is not None]
    if not good:
        return ()
    chunks = np.array_split(np.arange(len(good)), min(count, len(good)))
    picked = []
    for chunk in chunks:
        best = max((good[i] for i in chunk),
                   key=lambda f: cv2.Laplacian(cv2.cvtColor(f.rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())
        picked.append(best.rgb)
    return tuple(picked)
