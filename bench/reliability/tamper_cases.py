"""The tamper matrix: files made here (signed clips, a tampered ingredient, a CAWG identity from a signer
outside the trust list, free/skip boxes) and the verdict and exit code `kinora credentials` owes each.
Shared by tests/test_provenance_truth.py and the reliability harness."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from studio.media.encode import write_clip
from studio.provenance import identity as ident
from studio.provenance.manifest import IngredientSource, generated_take_plan
from studio.provenance.signing import sign_media
from studio.recipe import Recipe

PARENT_PROMPT = "PARENT-PROMPT-kite-over-the-sea"

MATRIX = {  # case -> (state, failing check, exit code of `kinora credentials`)
    "valid": ("valid", None, 0),
    "no credentials": ("none", None, 5),
    "media byte flipped": ("tampered", "assertion.bmffHash.mismatch", 4),
    "free box appended": ("tampered", "assertion.bmffHash.mismatch", 4),
    "free renamed skip": ("tampered", "assertion.bmffHash.mismatch", 4),
    "ingredient tampered": ("tampered", "ingredient.manifest.mismatch", 4),
    "cawg untrusted": ("untrusted signer", "cawg.x509.credential.untrusted", 3),
    "other signer": ("untrusted signer", "signingCredential.untrusted", 3),
}


def clip(path: Path, shade: int = 40) -> Path:
    pictures = np.full((12, 48, 64, 3), shade, np.uint8)
    pictures[:, :, :20] = 200
    return write_clip(pictures, None, 24, 48000, path)


def signed(folder: Path, name: str, prompt: str, parent: Path | None = None, parent_title: str = "") -> Path:
    plan = generated_take_plan(Recipe(prompt=prompt, model_id="tiny-random", seed=len(name)), title=name,
                               parent=IngredientSource(parent, parent_title or parent.stem, "parentOf") if parent else None)
    return sign_media(clip(folder / f"{name}.raw.mp4", shade=30 + len(name)), folder / f"{name}.mp4", plan).path


def ingredient_tampered(folder: Path) -> Path:
    """A remix whose embedded parent manifest was changed after signing (ingredient.manifest.mismatch)."""
    parent = signed(folder, "parent", PARENT_PROMPT)
    child = signed(folder, "child", "a remix", parent=parent)
    data = bytearray(child.read_bytes())
    at = data.index(PARENT_PROMPT.encode())
    data[at] ^= 0x01
    out = folder / "child-ingredient-tampered.mp4"
    out.write_bytes(bytes(data))
    return out


def cawg_untrusted(folder: Path) -> Path:
    """Signed by our identity, with a CAWG identity assertion by a certificate outside our trust list.

    (studio.provenance.c2pa_context.make_identity_signing_context, as a cameo export uses it with the creator's
    own identity.)
    """
    import c2pa

    from studio.provenance.c2pa_context import make_identity_signing_context

    ours = ident.ensure_identity()
    camera = ident.create_identity("Camera Maker (not trusted here)", folder=folder / "camera-identity")
    context = make_identity_signing_context(ours, camera, ["c2pa.actions"])
    plan = generated_take_plan(Recipe(prompt="camera clip", model_id="tiny-random", seed=3), title="camera")
    out = folder / "cawg-untrusted.mp4"
    try:
        with c2pa.Builder(plan.definition(mime="video/mp4"), context=context) as builder, \
                open(clip(folder / "camera.raw.mp4", 77), "rb") as src, open(out, "w+b") as dst:
            builder.sign("video/mp4", src, dst)
    finally:
        context.close()
    return out


def top_level_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        boxes.append((kind, at, size))
        at += size if size >= 8 else len(data)
    return boxes


def free_box_appended(source: Path, out: Path) -> Path:
    out.write_bytes(source.read_bytes() + struct.pack(">I4s", 16, b"free") + b"anything")
    return out


def free_renamed_skip(source: Path, out: Path) -> Path:
    data = bytearray(source.read_bytes())
    kind, at, _ = next(b for b in top_level_boxes(bytes(data)) if b[0] == b"free")
    data[at + 4:at + 8] = b"skip"
    out.write_bytes(bytes(data))
    return out


def media_byte_flipped(source: Path, out: Path) -> Path:
    data = bytearray(source.read_bytes())
    _, at, size = next(b for b in top_level_boxes(bytes(data)) if b[0] == b"mdat")
    data[at + size // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def make_matrix(folder: Path) -> dict[str, Path]:
    """Every case of MATRIX, signed with the identity of the current KINORA_CONFIG (made if needed)."""
    good = signed(folder, "good", "a red kite")
    other = ident.create_identity("Someone Else", folder=folder / "other")
    return {
        "valid": good,
        "no credentials": clip(folder / "plain.mp4"),
        "media byte flipped": media_byte_flipped(good, folder / "flipped.mp4"),
        "free box appended": free_box_appended(good, folder / "free-appended.mp4"),
        "free renamed skip": free_renamed_skip(good, folder / "skip.mp4"),
        "ingredient tampered": ingredient_tampered(folder),
        "cawg untrusted": cawg_untrusted(folder),
        "other signer": sign_media(clip(folder / "o.raw.mp4"), folder / "other.mp4",
                                   generated_take_plan(Recipe(prompt="x"), title="o"), identity=other).path,
    }
