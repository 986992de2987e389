"""c2pa-python contexts with Kinora's settings: our root as a trust anchor, streaming signing.

Settings are per `c2pa.Context`, never process-wide (`c2pa.load_settings`), so two threads
(an export and the credentials panel) never see each other's configuration.
"""

from __future__ import annotations

from typing import Any

from studio.provenance.identity import SigningIdentity, load_identity

# c2pa-rs keeps the signed output in memory up to this many MB before spilling to disk (default 512):
# with the default a 50 MB export was held twice over (measured: +2.1x the file in peak RSS).
BACKING_STORE_MB = 0


def settings_dict(identity: SigningIdentity | None) -> dict[str, Any]:
    """c2pa settings: trust our own root (if any), no network, our own thumbnails, streaming writes."""
    settings: dict[str, Any] = {
        "version": 1,
        "core": {"backing_store_memory_threshold_in_mb": BACKING_STORE_MB},
        # Reading must never touch the network (offline-first): no OCSP, no remote manifests.
        "verify": {"ocsp_fetch": False, "remote_manifest_fetch": False},
        # c2pa-rs makes thumbnails for still images only; we add a poster frame ourselves.
        # Hash `free`/`skip` boxes too (the BMFF exclusions are then only the mandatory ones): otherwise
        # a free box appended after signing, or one renamed to skip, passes validation unnoticed and
        # newer readers flag assertion.bmffHash.additionalExclusionsPresent on every export.
        "builder": {"thumbnail": {"enabled": False}, "bmff_hash_exclude_free_and_skip_boxes": False},
    }
    if identity is not None:
        settings["trust"] = {"user_anchors": identity.trust_anchor_pem()}
    return settings


def make_context(identity: SigningIdentity | None = None, *, use_stored_identity: bool = True):  # type: ignore[no-untyped-def]
    """A `c2pa.Context` trusting `identity`'s root (or the stored identity's, when there is one)."""
    import c2pa

    if identity is None and use_stored_identity:
        identity = load_identity()
    return c2pa.Context.from_dict(settings_dict(identity))


def make_signer(identity: SigningIdentity):  # type: ignore[no-untyped-def]
    """A `c2pa.Signer` for the identity; signs offline unless a timestamp authority is set."""
    import c2pa

    info = c2pa.C2paSignerInfo(identity.alg, identity.chain_pem(), identity.key_pem(), identity.tsa_url)
    return c2pa.Signer.from_info(info)


def make_identity_signing_context(identity: SigningIdentity, cawg: SigningIdentity,
                                  referenced_assertions: list[str]) -> Any:
    """A `c2pa.Context` that signs as `identity` and adds a CAWG identity assertion (`cawg.identity`) signed by
    `cawg`, binding `referenced_assertions` (labels) to that person.

    c2pa-python 0.38 builds the identity assertion only for signers given in the context's settings
    (`signer` + `cawg_x509_signer`), and its Builder asks `context.has_signer`, which is False for those:
    the subclass says True (sign with `builder.sign(mime, src, dst)`, no Signer argument)."""
    import c2pa

    def local(who: SigningIdentity, **extra: Any) -> dict[str, Any]:
        return {"local": {"alg": who.alg, "sign_cert": who.chain_pem().decode(), "private_key": who.key_pem().decode(),
                          "tsa_url": who.tsa_url, **extra}}

    settings = settings_dict(identity)
    settings["signer"] = local(identity)
    settings["cawg_x509_signer"] = local(cawg, referenced_assertions=referenced_assertions)

    class _SettingsSignerContext(c2pa.Context):  # type: ignore[misc]
        @property
        def has_signer(self) -> bool:  # the signer lives in the settings
            return True

    return _SettingsSignerContext.from_dict(settings)
