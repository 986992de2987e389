"""`kinora credentials FILE` shows a file's Content Credentials; `kinora identity` manages the signer."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.cli.library_access import open_library
from studio.cli.output import emit

if TYPE_CHECKING:
    from studio.provenance.identity import SigningIdentity
    from studio.provenance.reader import CredentialsReport, IngredientReport, ManifestSummary

STATE_LINES = {
    "valid": "VALID: signed, unchanged since, by a trusted signer",
    "untrusted signer": "UNTRUSTED SIGNER: unchanged since signing, but the signer is not one this machine trusts",
    "tampered": "TAMPERED: the file, or the credentials of a parent it names, changed after signing",
    "invalid": "INVALID: the signing credential failed its checks",
    "none": "NO CONTENT CREDENTIALS: nothing says where this file came from",
}


# Exit codes of `kinora credentials`, one per verdict (1 and 2 stay Python's crash and Kinora's bad input).
EXIT_CODES = {"valid": 0, "untrusted signer": 3, "tampered": 4, "invalid": 4, "none": 5}
EXIT_HELP = ("exit status: 0 valid (trusted signer); 3 valid but the signer is not trusted here (also a CAWG "
             "identity signer outside the trust list); 4 invalid or tampered (the file, a parent's credentials "
             "or the signing certificate failed a check); 5 no Content Credentials; 2 the file cannot be read.")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    creds = subparsers.add_parser(
        "credentials", parents=[common], help="show a file's Content Credentials (C2PA): signer, recipe, parents",
        description="Validate and print a file's Content Credentials: issuer, time, whether it is AI-generated, "
                    "the Kinora recipe, the ingredient tree and the validation state "
                    "(valid, untrusted signer, tampered with the failing check, or none).",
        epilog=EXIT_HELP)
    creds.add_argument("file", type=Path, help="the file to inspect (MP4, MOV, JPEG, PNG, ...)")
    creds.set_defaults(handler=run_credentials)

    ident = subparsers.add_parser(
        "identity", parents=[common], help="your signing identity: show, rename, import your own certificate",
        description="Kinora signs every export with a local identity made on first use. Rename it (the name "
                    "viewers see as the signer), import a certificate chain and key of your own, or set a "
                    "timestamp authority (off by default: signing works offline).")
    actions = ident.add_subparsers(dest="identity_action", metavar="ACTION")
    actions.add_parser("show", parents=[common], help="show the identity (made now if there is none)")
    rename = actions.add_parser("rename", parents=[common], help="sign as NAME from now on (same local root)")
    rename.add_argument("name")
    imp = actions.add_parser("import", parents=[common], help="sign with your own certificate chain and key (PEM)")
    imp.add_argument("cert", type=Path, help="certificate chain, signing certificate first")
    imp.add_argument("key", type=Path, help="unencrypted private key")
    imp.add_argument("--trust-anchor", type=Path, help="root certificate to trust (default: last of the chain)")
    tsa = actions.add_parser("timestamp", parents=[common], help="use a timestamp authority URL, or 'off'")
    tsa.add_argument("url")
    ident.set_defaults(handler=run_identity)


def run_credentials(args: argparse.Namespace) -> int:
    from studio.provenance.reader import read_credentials

    report = read_credentials(args.file)
    consent = _consent(args, report)
    data = {**report.to_dict(), "cameo_consent_status": [dataclasses.asdict(c) for c in consent]}
    emit(args, data, lambda: "\n".join([format_report(report), *_consent_lines(consent)]))
    return EXIT_CODES.get(report.state, EXIT_CODES["tampered"])


def _consent(args: argparse.Namespace, report: CredentialsReport) -> list[Any]:
    """Who consented to each cameo in the file; revocations are known from this studio's library, if any."""
    from studio.consent.credentials import judge
    from studio.paths import resolve_library_dir

    if report.manifest is None:
        return []
    folder = resolve_library_dir(getattr(args, "library", None))
    if not (folder / "library.db").is_file():
        return judge(report.manifest)
    with open_library(args) as lib:
        return judge(report.manifest, lib=lib)


def _consent_lines(consent: list[Any]) -> list[str]:
    if not consent:
        return []
    lines = ["Cameo consent:"]
    for c in consent:
        mark = "ok" if c.ok else "FLAGGED"
        grant = f" grant {c.grant_id} ({c.scope})" if c.grant_id else ""
        lines.append(f"  {c.handle} of {c.owner_name}: {c.state.upper()} [{mark}]{grant} - {c.detail}")
    return lines


def run_identity(args: argparse.Namespace) -> int:
    from studio.provenance import identity as ident

    action = getattr(args, "identity_action", None) or "show"
    if action == "rename":
        current = ident.create_identity(args.name)
    elif action == "import":
        current = ident.import_identity(args.cert, args.key, trust_anchor_path=args.trust_anchor)
    elif action == "timestamp":
        current = ident.set_timestamp_authority(None if args.url.lower() == "off" else args.url)
    else:
        current = ident.ensure_identity()
    emit(args, {**current.to_dict(), "folder": str(current.folder)}, lambda: _format_identity(current))
    return 0


def _format_identity(identity: SigningIdentity) -> str:
    kind = "made by Kinora on this machine" if identity.kind == "local" else "imported"
    timestamp = identity.tsa_url or "none (signs offline; the signer's clock is recorded)"
    return (f"Signs as:   {identity.name} ({kind}, {identity.alg.upper()})\n"
            f"Timestamps: {timestamp}\n"
            f"Folder:     {identity.folder}")


def format_report(report: CredentialsReport) -> str:
    """The human-readable summary `kinora credentials` prints."""
    lines = [f"{report.path.name}: {STATE_LINES.get(report.state, report.state.upper())}"]
    if report.failing_check:
        lines.append(f"  failing check: {report.failing_check}"
                     + (f" ({report.validation.explanation})" if report.validation.explanation else ""))
    if report.manifest is None:
        return "\n".join(lines)
    lines += _manifest_lines(report.manifest, indent="")
    if report.ingredients:
        lines.append("Ingredients:")
        for ingredient in report.ingredients:
            lines += _ingredient_lines(ingredient, depth=1)
    return "\n".join(lines)


def _manifest_lines(manifest: ManifestSummary, indent: str) -> list[str]:
    when = f"{manifest.signed_time} ({manifest.time_source})" if manifest.signed_time else "unknown"
    lines = [f"{indent}Issuer:       {manifest.issuer or 'unknown'}",
             f"{indent}Signed:       {when}",
             f"{indent}AI-generated: {'yes' if manifest.ai_generated else 'no'}"]
    if manifest.creator:
        whose = "the signer's own certificate" if manifest.creator_is_signer else "a certificate other than the signer's"
        lines.append(f"{indent}Creator:      {manifest.creator} (CAWG identity, {whose})")
    if manifest.claim_generator:
        lines.append(f"{indent}Made with:    {manifest.claim_generator}")
    if manifest.actions:
        steps = "; ".join(a.action + (f" ({a.description})" if a.description else "")
                          + (f" by {a.software_agent}" if a.software_agent else "") for a in manifest.actions)
        lines.append(f"{indent}Actions:      {steps}")
    if manifest.recipe:
        lines.append(f"{indent}Recipe:       {manifest.recipe.describe()}")
    for take in manifest.timeline_takes:
        recipe = take.recipe.describe() if take.recipe else "no recipe (imported)"
        lines.append(f"{indent}  take {take.take_id} '{take.title}': {recipe}")
    return lines


def _ingredient_lines(ingredient: IngredientReport, depth: int) -> list[str]:
    pad = "  " * depth
    state = ingredient.validation.state
    if ingredient.validation.failing_check and state != "untrusted signer":
        state += f": {ingredient.validation.failing_check}"
    lines = [f"{pad}- {ingredient.relationship} '{ingredient.title}' [{state}]"]
    if ingredient.manifest is not None:
        lines += _manifest_lines(ingredient.manifest, indent=pad + "  ")
        for child in ingredient.ingredients:
            lines += _ingredient_lines(child, depth + 1)
    return lines
