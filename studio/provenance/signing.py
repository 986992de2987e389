"""Sign a finished media file with a manifest, streaming from file to file.

Signing is the last step of an export (after the watermark and faststart): the signed copy is
written to a temporary name beside the destination, read back and validated, and only then
renamed into place, so a failure never leaves a half-written or unverifiable file.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from studio.atomic import atomic_path
from studio.errors import ProvenanceError
from studio.provenance.identity import SigningIdentity, ensure_identity
from studio.provenance.manifest import ManifestPlan, ingredient_label
from studio.provenance.reader import INVALID, NONE, TAMPERED, CredentialsReport, read_credentials
from studio.provenance.thumbnail import poster_jpeg

log = logging.getLogger(__name__)

THUMBNAIL_ID = "kinora-thumbnail.jpg"
SIGNABLE = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime"}


def sign_media(source: str | Path, dest: str | Path, plan: ManifestPlan, *,
               identity: SigningIdentity | None = None) -> CredentialsReport:
    """Write `dest`: `source` with `plan` signed into it. Returns the read-back report.

    `source` is not modified and may not be `dest`. The identity defaults to the user's (made on
    first use). Raises ProvenanceError naming what failed; `dest` is then untouched.
    """
    import c2pa

    from studio.provenance.c2pa_context import make_context, make_signer

    source, dest = Path(source), Path(dest)
    mime = SIGNABLE.get(source.suffix.lower())
    if mime is None:
        raise ProvenanceError(f"Cannot sign {source.name}: Kinora signs MP4 and MOV files only.")
    if source.resolve() == dest.resolve():
        raise ProvenanceError(f"Cannot sign {source.name} onto itself; give a different output file.")
    identity = identity or ensure_identity()
    context = make_context(identity)
    thumbnail = poster_jpeg(source)
    try:
        with c2pa.Builder(plan.definition(thumbnail_id=THUMBNAIL_ID if thumbnail else None, mime=mime),
                          context=context) as builder:
            if thumbnail:
                builder.add_resource(THUMBNAIL_ID, io.BytesIO(thumbnail))
            for index, ingredient in enumerate(plan.ingredients):
                _add_ingredient(builder, index, ingredient.path, ingredient.title, ingredient.relationship)
            with atomic_path(dest) as tmp:
                with open(source, "rb") as src, open(tmp, "w+b") as out:
                    builder.sign(make_signer(identity), mime, src, out)
                report = read_credentials(tmp, context=context)
                # Our own manifest must verify; a parent's state is reported, it does not block the export.
                own = report.own_validation or report.validation
                if own.state in (TAMPERED, INVALID, NONE):
                    raise ProvenanceError(
                        f"The signed copy of {source.name} did not verify ({own.state}: "
                        f"{own.failing_check or 'no manifest found'}); nothing was written to {dest}.")
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"Signing {dest.name} failed: {exc}. The file was not written.") from exc
    finally:
        context.close()
    return CredentialsReport(path=dest, validation=report.validation, manifest=report.manifest,
                             manifest_json=report.manifest_json, own_validation=report.own_validation)


def _add_ingredient(builder, index: int, path: Path, title: str, relationship: str) -> None:  # type: ignore[no-untyped-def]
    mime = SIGNABLE.get(path.suffix.lower())
    if mime is None:
        from studio.provenance.reader import MIME_TYPES

        mime = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
    try:
        with open(path, "rb") as stream:
            builder.add_ingredient({"title": title, "relationship": relationship, "label": ingredient_label(index)},
                                   mime, stream)
    except OSError as exc:
        raise ProvenanceError(f"Cannot read the ingredient {path} ({exc.strerror or exc}); "
                              f"it may have been moved or deleted.") from exc
