"""Making a cameo from a verified recording, and the cameos table of the library (migration 8).

`create_cameo` verifies the recording (studio.consent.verify), then keeps the recording, up to three
reference stills (JPEG) and the voice sample (WAV of the phrase window) in the library's media store.
A recording that fails verification makes no cameo: ConsentError names the checks that failed.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.consent.records import Access, Cameo
from studio.consent.verify import DEFAULT_SCRIPT, SPEECH_RATE, Script, Verification, verify_recording
from studio.errors import ConsentError
from studio.feed.signature import author_key

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.provenance.identity import SigningIdentity

HANDLE = re.compile(r"^[a-z0-9_]{2,30}$")


def clean_handle(handle: str) -> str:
    """`@Alice` -> `alice`; ConsentError for anything but 2-30 letters, digits or '_'."""
    name = handle.strip().removeprefix("@").lower()
    if not HANDLE.match(name):
        raise ConsentError(f"A cameo handle is 2-30 letters, digits or '_' (like @alice), not {handle!r}.")
    return name


def create_cameo(lib: Library, identity: SigningIdentity, recording: Path, handle: str, *,
                 access: Access | str = Access.APPROVED, restrictions: tuple[str, ...] = (),
                 script: Script = DEFAULT_SCRIPT) -> tuple[Cameo, Verification]:
    """Verify `recording` against `script` and keep it as my cameo `@handle`."""
    name = clean_handle(handle)
    access = Access(access)
    store = CameoStore(lib)
    if store.find(name) is not None:
        raise ConsentError(f"There is already a cameo @{name} in this library; pick another handle.")
    result = verify_recording(recording, script)
    if not result.ok:
        raise ConsentError(f"The recording was not verified: {result.reason}. Record again, alone, "
                           "reading the phrase aloud and turning your head when asked.")
    lib.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.cache_dir) as tmp:
        stills = [lib.import_media(_write_jpeg(Path(tmp) / f"still-{n}.jpg", rgb)).id
                  for n, rgb in enumerate(result.stills)]
        voice = lib.import_media(_write_wav(Path(tmp) / "voice.wav", result.voice)).id if result.voice is not None else None
        kept = lib.import_media(recording).id
    cameo = store.add(handle=name, owner_key=author_key(identity), owner_name=identity.name, access=access,
                      restrictions=tuple(r.strip() for r in restrictions if r.strip()), stills=tuple(stills),
                      voice=voice, recording=kept, verification=result.reason)
    return cameo, result


class CameoStore:
    """The cameos table: my cameos (the only ones with media here; friends' come as grants)."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self._db = lib.database

    def add(self, *, handle: str, owner_key: str, owner_name: str, access: Access, restrictions: tuple[str, ...],
            stills: tuple[int, ...], voice: int | None, recording: int | None, verification: str) -> Cameo:
        with self._db.transaction() as conn:
            cameo_id = conn.execute(
                "INSERT INTO cameos (handle, owner_key, owner_name, access, restrictions_json, voice_media_id, "
                "recording_media_id, verification, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (handle, owner_key, owner_name, str(access), json.dumps(list(restrictions)), voice, recording,
                 verification, time.time())).lastrowid or 0
            conn.executemany("INSERT INTO cameo_stills (cameo_id, position, media_id) VALUES (?, ?, ?)",
                             [(cameo_id, n, media) for n, media in enumerate(stills)])
        return self.get(int(cameo_id))

    def get(self, cameo_id: int) -> Cameo:
        row = self._db.query_one("SELECT * FROM cameos WHERE id = ?", (cameo_id,))
        if row is None:
            raise ConsentError(f"There is no cameo {cameo_id} in this library.")
        return self._cameo(row)

    def find(self, handle: str) -> Cameo | None:
        row = self._db.query_one("SELECT * FROM cameos WHERE handle = ?", (handle.removeprefix("@").lower(),))
        return self._cameo(row) if row else None

    def all(self) -> list[Cameo]:
        return [self._cameo(r) for r in self._db.query("SELECT * FROM cameos ORDER BY handle")]

    def set_access(self, cameo_id: int, access: Access | str, restrictions: tuple[str, ...] | None = None) -> Cameo:
        cameo = self.get(cameo_id)
        with self._db.transaction() as conn:
            conn.execute("UPDATE cameos SET access = ?, restrictions_json = ? WHERE id = ?",
                         (str(Access(access)), json.dumps(list(cameo.restrictions if restrictions is None
                                                               else restrictions)), cameo_id))
        return self.get(cameo_id)

    def still_paths(self, cameo: Cameo) -> list[Path]:
        return [self.lib.media_path(self.lib.media(m)) for m in cameo.still_media_ids]

    def _cameo(self, row: Any) -> Cameo:
        stills = self._db.query("SELECT media_id FROM cameo_stills WHERE cameo_id = ? ORDER BY position", (row["id"],))
        return Cameo(id=row["id"], handle=row["handle"], owner_key=row["owner_key"], owner_name=row["owner_name"],
                     access=Access(row["access"]), restrictions=tuple(json.loads(row["restrictions_json"])),
                     still_media_ids=tuple(int(s["media_id"]) for s in stills), voice_media_id=row["voice_media_id"],
                     verification=row["verification"], created_at=row["created_at"])


def _write_jpeg(path: Path, rgb: np.ndarray) -> Path:
    import cv2

    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]):
        raise ConsentError(f"Could not write the reference still {path}.")
    return path


def _write_wav(path: Path, mono: np.ndarray) -> Path:
    pcm = (np.clip(mono, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SPEECH_RATE)
        out.writeframes(pcm.tobytes())
    return path
