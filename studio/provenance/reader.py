"""Reading Content Credentials: who signed a file, when, whether AI made it, its recipe, its parents.

`read_credentials(path)` validates the file with c2pa-python (our own root added as a trust
anchor, nothing fetched from the network) and sums it up in a `CredentialsReport`:

- `state`: "valid" (signature, hashes and a trusted signer), "untrusted signer" (intact, but
  signed by a certificate we do not trust, e.g. another Kinora user's), "tampered" (a hash or
  signature check failed: the file was changed after signing), "invalid" (intact but the
  credential itself failed, e.g. an expired or revoked certificate) or "none" (no credentials).
- `failing_check`: the c2pa validation code that decided a bad state (e.g. assertion.bmffHash.mismatch).

The verdict follows c2pa-python's own `validation_state` (Trusted / Valid / Invalid) and the
ingredient deltas: a parent whose embedded manifest was changed (`ingredient.manifest.mismatch`)
makes the file TAMPERED even though its own signature and hashes hold. A signer outside the trust
list, for the claim or for a CAWG identity assertion (`cawg.x509.credential.untrusted`), is
"untrusted signer", never tampered.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import ProvenanceError, RecipeError
from studio.provenance.manifest import (
    AI_SOURCES,
    CONSENT_LABEL,
    MODEL_ID_KEY,
    RECIPE_LABEL,
    TIMELINE_LABEL,
    TimelineTake,
    consent_from_entry,
)
from studio.recipe import Recipe

log = logging.getLogger(__name__)

VALID = "valid"
UNTRUSTED = "untrusted signer"
TAMPERED = "tampered"
INVALID = "invalid"
NONE = "none"

CAWG_IDENTITY = "cawg.identity"
CAWG_UNTRUSTED = "cawg.x509.credential.untrusted"
_UNTRUSTED_CODES = {"signingCredential.untrusted", CAWG_UNTRUSTED}
# Failures about the credential rather than the content: the file is intact but cannot be relied on.
_CREDENTIAL_PREFIXES = ("signingCredential.", "timeStamp.", "cawg.x509.credential.")


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one manifest."""

    state: str
    failures: tuple[str, ...] = ()  # c2pa validation codes that failed, most decisive first
    explanation: str = ""  # c2pa's explanation of the first failure

    @property
    def failing_check(self) -> str | None:
        return self.failures[0] if self.failures else None

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "failing_check": self.failing_check, "failures": list(self.failures),
                "explanation": self.explanation}


@dataclass(frozen=True)
class ActionRecord:
    """One entry of a manifest's c2pa.actions assertion."""

    action: str
    digital_source_type: str | None = None
    software_agent: str | None = None
    description: str | None = None
    when: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "digital_source_type": self.digital_source_type,
                "software_agent": self.software_agent, "description": self.description, "when": self.when}


@dataclass(frozen=True)
class ManifestSummary:
    """What one manifest says: signer, time, actions, Kinora's assertions, and its own ingredients."""

    issuer: str | None
    signed_time: str | None
    time_source: str | None  # "timestamp authority", "signer's clock" or None
    claim_generator: str | None
    title: str | None
    ai_generated: bool
    actions: tuple[ActionRecord, ...]
    recipe: Recipe | None
    timeline_takes: tuple[TimelineTake, ...]
    ingredients: tuple[IngredientReport, ...]
    thumbnail: str | None = None  # the manifest's thumbnail resource (see `read_thumbnail`)
    # One entry per cameo, as the export states it (handle, owner key, grant id, scope, signed grant);
    # judged by studio.consent.credentials, which can check the grant's signature.
    cameo_consent: tuple[dict[str, Any], ...] = ()
    # The creator's CAWG identity (`cawg.identity`, X.509): the name on its certificate, or None without one.
    creator: str | None = None
    creator_is_signer: bool = False  # the identity's certificate is the claim signer's own (same issuer, serial)

    def to_dict(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer, "signed_time": self.signed_time, "time_source": self.time_source,
            "claim_generator": self.claim_generator, "title": self.title, "ai_generated": self.ai_generated,
            "thumbnail": self.thumbnail,
            "actions": [a.to_dict() for a in self.actions],
            "recipe": self.recipe.to_dict() if self.recipe else None,
            "timeline_takes": [t.to_dict() for t in self.timeline_takes],
            "ingredients": [i.to_dict() for i in self.ingredients],
            "cameo_consent": list(self.cameo_consent),
            "creator": self.creator, "creator_is_signer": self.creator_is_signer,
        }


class _ManifestContents:
    """The recipe and ingredients of `self.manifest`, empty when there are no credentials."""

    manifest: ManifestSummary | None

    @property
    def recipe(self) -> Recipe | None:
        return self.manifest.recipe if self.manifest else None

    @property
    def ingredients(self) -> tuple[IngredientReport, ...]:
        return self.manifest.ingredients if self.manifest else ()


@dataclass(frozen=True)
class IngredientReport(_ManifestContents):
    """A parent or component of a file, with its own credentials when it carried some."""

    title: str
    relationship: str  # "parentOf", "componentOf" or "inputTo"
    format: str | None
    validation: Validation
    manifest: ManifestSummary | None  # None: the ingredient had no credentials of its own

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = self.manifest.to_dict() if self.manifest else {"recipe": None, "ingredients": []}
        # The ingredient's own title (as its parent named it) wins; the nested manifest's is kept beside it.
        data["manifest_title"] = data.pop("title", None)
        data.update(title=self.title, relationship=self.relationship, format=self.format,
                    validation=self.validation.to_dict())
        return data


@dataclass(frozen=True)
class CredentialsReport(_ManifestContents):
    """Everything `kinora credentials` and the Content Credentials panel show about one file."""

    path: Path
    validation: Validation
    manifest: ManifestSummary | None
    manifest_json: str | None = field(default=None, repr=False)  # the raw store, kept by the library
    # The active manifest's own checks, without its ingredients (what a signer verifies of its output).
    own_validation: Validation | None = None

    @property
    def state(self) -> str:
        return self.validation.state

    @property
    def failing_check(self) -> str | None:
        return self.validation.failing_check

    @property
    def has_credentials(self) -> bool:
        return self.manifest is not None

    @property
    def issuer(self) -> str | None:
        return self.manifest.issuer if self.manifest else None

    @property
    def signed_time(self) -> str | None:
        return self.manifest.signed_time if self.manifest else None

    @property
    def ai_generated(self) -> bool:
        return bool(self.manifest and self.manifest.ai_generated)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": str(self.path), "validation": self.validation.to_dict(),
                                "has_credentials": self.has_credentials}
        if self.manifest:
            data.update(self.manifest.to_dict())
        return data


def read_credentials(path: str | Path, *, context: Any = None) -> CredentialsReport:
    """Read and validate the Content Credentials of a file (a missing manifest is state "none").

    Raises ProvenanceError when the file cannot be read at all or its format is not one c2pa reads.
    """
    import c2pa

    from studio.provenance.c2pa_context import make_context

    path = Path(path)
    if not path.is_file():
        raise ProvenanceError(f"{path} does not exist or is not a file.")
    own_context = context is None
    context = context or make_context()
    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(_mime_for(path), stream, None, context)
            if reader is None:
                return CredentialsReport(path=path, validation=Validation(NONE), manifest=None)
            with reader:
                store_json = reader.json()
    except c2pa.C2paError as exc:
        text = str(exc)
        if "NotSupported" in type(exc).__name__ or "not supported" in text.lower():
            raise ProvenanceError(f"{path.name}: this kind of file cannot carry Content Credentials ({text}).") from exc
        # A manifest so broken that c2pa cannot parse it is, for the viewer, a tampered one.
        log.debug("c2pa could not read %s", path, exc_info=True)
        return CredentialsReport(path=path, validation=Validation(TAMPERED, ("manifest.unreadable",), text), manifest=None)
    finally:
        if own_context:
            context.close()
    return report_from_store(path, store_json)


def report_from_store(path: Path, store_json: str) -> CredentialsReport:
    """Build a report from a manifest store's JSON (as `c2pa.Reader.json()` gives it)."""
    store = json.loads(store_json)
    manifests: dict[str, Any] = store.get("manifests", {})
    active = manifests.get(store.get("active_manifest", ""))
    if active is None:
        return CredentialsReport(path=path, validation=Validation(TAMPERED, ("manifest.missing",),
                                 "the manifest store names no active manifest"), manifest=None,
                                 manifest_json=store_json)
    results = store.get("validation_results") or {}
    failures = (results.get("activeManifest") or {}).get("failure")
    if failures is None:
        failures = store.get("validation_status") or []
    deltas = results.get("ingredientDeltas") or []
    summary = _summarize(active, manifests, deltas, depth=0)
    delta_failures = [f for d in deltas for f in (d.get("validationDeltas") or {}).get("failure") or []]
    state = store.get("validation_state")
    vouched = _without_vouched_creator(active, failures)
    if len(vouched) < len(failures) and state == "Valid" and not vouched and not delta_failures:
        state = "Trusted"  # the identity assertion was the only thing c2pa did not trust
    own = _validation(vouched)
    verdict = _verdict(own, _validation(delta_failures), state)
    return CredentialsReport(path=path, validation=verdict, manifest=summary, manifest_json=store_json,
                             own_validation=own)


def _verdict(own: Validation, ingredients: Validation, state: str | None) -> Validation:
    """The file's verdict: its own checks, its ingredients' deltas, and c2pa's overall validation state."""
    if own.state in (TAMPERED, INVALID):
        return own
    if ingredients.state in (TAMPERED, INVALID):
        return Validation(TAMPERED, ingredients.failures,
                          f"a parent's credentials were changed after this file was signed ({ingredients.explanation})")
    untrusted = UNTRUSTED in (own.state, ingredients.state)
    if state == "Invalid" and not untrusted:
        # c2pa found a failure that none of the codes above explain: never call that valid.
        return Validation(TAMPERED, ("validationState.invalid",), "c2pa reports the credentials Invalid")
    if own.state == UNTRUSTED:
        return own
    if state == "Valid":
        # Intact, but c2pa does not trust a signer (the claim's or an identity assertion's).
        return Validation(UNTRUSTED, ingredients.failures or ("signingCredential.untrusted",),
                          ingredients.explanation or "the signer is not in this machine's trust list")
    return own


def recipe_from_file(path: str | Path) -> Recipe | None:
    """The Kinora recipe a file carries in its credentials, or None (no credentials, no recipe, unreadable)."""
    try:
        return read_credentials(path).recipe
    except ProvenanceError:
        return None


def read_thumbnail(path: str | Path, identifier: str) -> bytes | None:
    """The bytes of a thumbnail named in a report (`ManifestSummary.thumbnail`), or None."""
    import io

    import c2pa

    from studio.provenance.c2pa_context import make_context

    buffer = io.BytesIO()
    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(_mime_for(Path(path)), stream, None, make_context())
            if reader is None:
                return None
            with reader:
                reader.resource_to_stream(identifier, buffer)
    except (c2pa.C2paError, OSError):
        return None
    return buffer.getvalue() or None


# --- internals ----------------------------------------------------------------------------------

MAX_DEPTH = 32  # lineage deeper than this is cut off rather than recursed into


def _summarize(manifest: dict[str, Any], manifests: dict[str, Any], deltas: list[dict[str, Any]],
               depth: int) -> ManifestSummary:
    signature = manifest.get("signature_info") or {}
    actions = tuple(_actions(manifest))
    signed_time = signature.get("time")
    time_source = "timestamp authority" if signed_time else None
    if not signed_time:
        # Offline signing has no trusted time; the signer's own clock is what the actions record.
        signed_time = next((a.when for a in actions if a.when), None)
        time_source = "signer's clock" if signed_time else None
    ingredients: tuple[IngredientReport, ...] = ()
    if depth < MAX_DEPTH:
        ingredients = tuple(_ingredient(ing, manifest.get("label", ""), manifests, deltas, depth)
                            for ing in manifest.get("ingredients") or [])
    return ManifestSummary(
        issuer=signature.get("issuer") or signature.get("common_name"),
        signed_time=signed_time,
        time_source=time_source,
        claim_generator=_generator_name(manifest),
        title=manifest.get("title"),
        ai_generated=any(a.digital_source_type in AI_SOURCES for a in actions),
        actions=actions,
        recipe=_recipe(manifest),
        timeline_takes=_timeline_takes(manifest),
        ingredients=ingredients,
        thumbnail=(manifest.get("thumbnail") or {}).get("identifier"),
        cameo_consent=_cameo_consent(manifest),
        creator=_creator(manifest).get("common_name") or _creator(manifest).get("issuer"),
        creator_is_signer=_creator_is_signer(manifest),
    )


def _ingredient(ingredient: dict[str, Any], owner_label: str, manifests: dict[str, Any],
                deltas: list[dict[str, Any]], depth: int) -> IngredientReport:
    own = manifests.get(ingredient.get("active_manifest") or "")
    results = ingredient.get("validation_results") or {}
    failures = list((results.get("activeManifest") or {}).get("failure") or ingredient.get("validation_status") or [])
    # What was already wrong with the ingredient's own parents when it was added, as c2pa recorded it.
    failures += [f for d in results.get("ingredientDeltas") or [] for f in (d.get("validationDeltas") or {}).get("failure") or []]
    # Deltas are what changed since the ingredient was added; match them by the ingredient's assertion URI.
    uri_tail = f"{owner_label}/c2pa.assertions/{ingredient.get('label', '')}"
    for delta in deltas:
        if str(delta.get("ingredientAssertionURI", "")).endswith(uri_tail):
            failures += (delta.get("validationDeltas") or {}).get("failure") or []
    validation = _validation(_without_vouched_creator(own, failures)) if own is not None else Validation(NONE)
    return IngredientReport(
        title=str(ingredient.get("title") or "untitled"),
        relationship=str(ingredient.get("relationship") or "componentOf"),
        format=ingredient.get("format"),
        validation=validation,
        manifest=_summarize(own, manifests, deltas, depth + 1) if own is not None else None,
    )


def _validation(failures: list[dict[str, Any]]) -> Validation:
    codes = [str(f.get("code", "")) for f in failures]
    explanations = {str(f.get("code", "")): str(f.get("explanation", "")) for f in failures}
    content = [c for c in codes if not c.startswith(_CREDENTIAL_PREFIXES)]
    credential = [c for c in codes if c.startswith(_CREDENTIAL_PREFIXES) and c not in _UNTRUSTED_CODES]
    if content:
        ordered = content + [c for c in codes if c not in content]
        return Validation(TAMPERED, tuple(ordered), explanations[content[0]])
    if credential:
        ordered = credential + [c for c in codes if c not in credential]
        return Validation(INVALID, tuple(ordered), explanations[credential[0]])
    if codes:
        return Validation(UNTRUSTED, tuple(codes), explanations[codes[0]])
    return Validation(VALID)


def _actions(manifest: dict[str, Any]) -> list[ActionRecord]:
    records: list[ActionRecord] = []
    for assertion in manifest.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            agent = action.get("softwareAgent")
            if isinstance(agent, dict):
                model = agent.get(MODEL_ID_KEY)
                agent = " ".join(str(agent[k]) for k in ("name", "version") if agent.get(k)) + (
                    f" (model {model})" if model else "")
            records.append(ActionRecord(action=str(action.get("action", "")),
                                        digital_source_type=action.get("digitalSourceType"),
                                        software_agent=agent, description=action.get("description"),
                                        when=action.get("when")))
    return records


def _recipe(manifest: dict[str, Any]) -> Recipe | None:
    data = _assertion_data(manifest, RECIPE_LABEL)
    if not isinstance(data, dict):
        return None
    try:
        return Recipe.from_dict(data)
    except (RecipeError, TypeError, ValueError):
        log.warning("ignoring an unreadable Kinora recipe in %s", manifest.get("title"))
        return None


def _timeline_takes(manifest: dict[str, Any]) -> tuple[TimelineTake, ...]:
    data = _assertion_data(manifest, TIMELINE_LABEL)
    if not isinstance(data, dict):
        return ()
    takes = []
    for item in data.get("takes") or []:
        recipe = None
        if isinstance(item.get("recipe"), dict):
            try:
                recipe = Recipe.from_dict(item["recipe"])
            except (RecipeError, TypeError, ValueError):
                recipe = None
        takes.append(TimelineTake(take_id=item.get("take_id"), title=str(item.get("title") or ""), recipe=recipe))
    return tuple(takes)


def _cameo_consent(manifest: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    data = _assertion_data(manifest, CONSENT_LABEL)
    cameos = data.get("cameos") if isinstance(data, dict) else None
    return tuple(consent_from_entry(c) for c in cameos if isinstance(c, dict)) if isinstance(cameos, list) else ()


def _creator(manifest: dict[str, Any]) -> dict[str, Any]:
    """The certificate summary of the manifest's CAWG X.509 identity assertion ({} without one)."""
    data = _assertion_data(manifest, CAWG_IDENTITY)
    info = data.get("signature_info") if isinstance(data, dict) else None
    return info if isinstance(info, dict) else {}


def _creator_is_signer(manifest: dict[str, Any]) -> bool:
    creator, signer = _creator(manifest), manifest.get("signature_info") or {}
    serial = creator.get("cert_serial_number")
    return bool(serial) and serial == signer.get("cert_serial_number") and creator.get("issuer") == signer.get("issuer")


def _without_vouched_creator(manifest: dict[str, Any], failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`failures` less the CAWG identity's "untrusted credential" when its certificate is the claim signer's own.

    c2pa-rs (0.78, in c2pa-python 0.38) checks an identity assertion's certificate against the process-wide
    `cawg_trust` settings, never a Context's; Kinora keeps settings per Context, so its own creator identity
    reads untrusted. Same issuer and serial number is the same certificate (RFC 5280), and the claim's own
    trust check still stands: an untrusted claim signer keeps its signingCredential.untrusted."""
    if not _creator_is_signer(manifest):
        return failures
    return [f for f in failures if not (f.get("code") == CAWG_UNTRUSTED
                                        and str(f.get("url", "")).endswith(f"c2pa.assertions/{CAWG_IDENTITY}"))]


def _assertion_data(manifest: dict[str, Any], label: str) -> Any:
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") == label:
            return assertion.get("data")
    return None


def _generator_name(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info:
        first = info[0]
        return " ".join(str(first[k]) for k in ("name", "version") if first.get(k)) or None
    return manifest.get("claim_generator")


def _mime_for(path: Path) -> str | None:
    """A MIME hint from the extension; None lets c2pa detect the format from the bytes."""
    return MIME_TYPES.get(path.suffix.lower())


MIME_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".m4a": "audio/mp4",
              ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
              ".wav": "audio/wav", ".mp3": "audio/mpeg", ".avi": "video/x-msvideo", ".webm": "video/webm",
              ".mkv": "video/x-matroska", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".flac": "audio/flac",
              ".gif": "image/gif", ".tif": "image/tiff", ".tiff": "image/tiff"}
