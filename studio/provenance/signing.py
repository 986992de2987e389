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

    from studio.provenance.c2pa_context import make_context, make_identity_signing_context, make_signer

    source, dest = Path(source), Path(dest)
    mime = SIGNABLE.get(source.suffix.lower())
    if mime is None:
        raise ProvenanceError(f"Cannot sign {source.name}: Kinora signs MP4 and MOV files only.")
    if source.resolve() == dest.resolve():
        raise ProvenanceError(f"Cannot sign {source.name} onto itself; give a different output file.")
    identity = identity or ensure_identity()
    bound = plan.creator_bound
    # With cameos the creator (this studio's identity, as their feed knows it) signs a CAWG identity too.
    context = make_identity_signing_context(identity, identity, bound) if bound else make_context(identity)
    thumbnail = poster_jpeg(source)
    definition = plan.definition(thumbnail_id=THUMBNAIL_ID if thumbnail else None, mime=mime)
    # Ingredients c2pa cannot parse (RF64 WAV, ...) are described by title and format, without their bytes.
    described = {i for i, ing in enumerate(plan.ingredients) if unsigned_reason(ing.path, context) is not None}
    definition["ingredients"] = [{"title": ing.title, "relationship": ing.relationship, "label": ingredient_label(i),
                                  "format": _mime_of(ing.path)}
                                 for i, ing in enumerate(plan.ingredients) if i in described]
    try:
        with c2pa.Builder(definition, context=context) as builder:
            if thumbnail:
                builder.add_resource(THUMBNAIL_ID, io.BytesIO(thumbnail))
            for index, ingredient in enumerate(plan.ingredients):
                if index not in described:
                    _add_ingredient(builder, index, ingredient.path, ingredient.title, ingredient.relationship)
            with atomic_path(dest) as tmp:
                with open(source, "rb") as src, open(tmp, "w+b") as out:
                    if bound:
                        builder.sign(mime, src, out)  # the context's settings hold both signers
                    else:
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


def unsigned_reason(path: Path, context=None, *, name: str | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """Why an ingredient file's own history will travel unsigned (None when c2pa can read the file).

    c2pa parses an ingredient to copy its credentials and hash its bytes; a format it cannot parse
    (RF64/BW64 WAV, a damaged header) is named in the manifest by title and format only.
    """
    import c2pa

    from studio.provenance.c2pa_context import make_context

    own = context is None
    context = context or make_context()
    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(_mime_of(path), stream, None, context)
            if reader is not None:
                reader.close()
    except c2pa.C2paError as exc:
        detail = str(exc).splitlines()[0][:120]
        return (f"{name or path.name}: c2pa cannot read this file ({detail}); it is named in the credentials by title "
                "and format, without its bytes or credentials of its own")
    except OSError:
        return None  # unreadable files fail loudly where they are added
    finally:
        if own:
            context.close()
    return None


def _mime_of(path: Path) -> str:
    from studio.provenance.reader import MIME_TYPES

    return SIGNABLE.get(path.suffix.lower()) or MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _add_ingredient(builder, index: int, path: Path, title: str, relationship: str) -> None:  # type: ignore[no-untyped-def]
    mime = _mime_of(path)
    try:
        with open(path, "rb") as stream:
            builder.add_ingredient({"title": title, "relationship": relationship, "label": ingredient_label(index)},
                                   mime, stream)
    except OSError as exc:
        raise ProvenanceError(f"Cannot read the ingredient {path} ({exc.strerror or exc}); "
                              f"it may have been moved or deleted.") from exc
