"""`kinora cameo ...`: make a cameo from a recording, approve and revoke people, review uses, ask for removal."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

from studio.cli.library_access import open_library
from studio.cli.output import emit


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cameo = subparsers.add_parser("cameo", parents=[common], help="cameos: your likeness, used only with your grant")
    actions = cameo.add_subparsers(dest="cameo_action", required=True, metavar="ACTION")
    script = actions.add_parser("script", parents=[common], help="what a recording must show, second by second")
    script.set_defaults(handler=cmd_script)
    create = actions.add_parser("create", parents=[common], help="verify a recording and keep it as your cameo")
    create.add_argument("handle", help="the cameo's handle, e.g. @alice")
    create.add_argument("video", type=Path, help="a 8 s recording following `kinora cameo script`")
    create.add_argument("--access", choices=("only_me", "approved", "mutual", "everyone"), default="approved")
    create.add_argument("--restrict", action="append", default=[], metavar="TEXT",
                        help='a restriction in your words, e.g. "no political content" (repeatable)')
    create.set_defaults(handler=cmd_create)
    actions.add_parser("list", parents=[common], help="your cameos and the grants you issued").set_defaults(
        handler=cmd_list)
    grant = actions.add_parser("grant", parents=[common], help="approve the author of a feed you follow")
    grant.add_argument("handle")
    grant.add_argument("subscription_id", nargs="?", type=int, help="their feed (see `kinora feed subscriptions`)")
    grant.add_argument("--everyone", action="store_true", help="one grant for anyone who reads your feed "
                       "(the cameo's access must be 'everyone')")
    grant.add_argument("--days", type=float, default=None, help="the grant expires after this many days")
    grant.add_argument("--private-only", action="store_true", help="they may make takes but not publish them")
    grant.set_defaults(handler=cmd_grant)
    revoke = actions.add_parser("revoke", parents=[common], help="withdraw a grant (stops future use)")
    revoke.add_argument("grant_id")
    revoke.set_defaults(handler=cmd_revoke)
    actions.add_parser("uses", parents=[common], help="takes others made with your cameos").set_defaults(
        handler=cmd_uses)
    remove = actions.add_parser("remove", parents=[common], help="ask the maker to delete a take with your cameo")
    remove.add_argument("receipt_id")
    remove.set_defaults(handler=cmd_remove)


def _identity() -> Any:
    from studio.provenance.identity import ensure_identity

    return ensure_identity()


def cmd_script(args: argparse.Namespace) -> int:
    from studio.consent.verify import DEFAULT_SCRIPT as s

    lines = [f"{s.phrase_window[0]:.1f}-{s.phrase_window[1]:.1f} s: read aloud \u201c{s.phrase}\u201d",
             f"{s.left_window[0]:.1f}-{s.left_window[1]:.1f} s: turn your head to the left",
             f"{s.right_window[0]:.1f}-{s.right_window[1]:.1f} s: turn your head to the right",
             f"total {s.duration:.0f} s, alone in the picture"]
    emit(args, dataclasses.asdict(s), "\n".join(lines))
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    from studio.consent.cameos import create_cameo

    with open_library(args) as lib:
        cameo, result = create_cameo(lib, _identity(), args.video, args.handle, access=args.access,
                                     restrictions=tuple(args.restrict))
        emit(args, {**dataclasses.asdict(cameo), "verification": result.reason},
             f"@{cameo.handle} verified ({len(cameo.still_media_ids)} reference stills, voice sample kept); "
             f"access: {cameo.access.label}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from studio.consent.cameos import CameoStore
    from studio.consent.grants import my_grants

    with open_library(args) as lib:
        cameos, grants = CameoStore(lib).all(), my_grants(lib)
        data = {"cameos": [dataclasses.asdict(c) for c in cameos],
                "grants": [{k: v for k, v in dataclasses.asdict(g).items() if k != "still_jpeg_b64"} for g in grants]}
        lines = [f"@{c.handle}  {c.access.label}  restrictions: {'; '.join(c.restrictions) or 'none'}" for c in cameos]
        lines += [f"  grant {g.grant_id}: @{g.handle} -> {g.grantee_name or g.grantee_key[:12]} ({g.scope})"
                  for g in grants]
        emit(args, data, "\n".join(lines) or "no cameos (kinora cameo create @handle VIDEO)")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    from studio.consent.grants import grant, grant_subscription
    from studio.consent.records import EVERYONE, Scope
    from studio.errors import ConsentError

    options: dict[str, Any] = {"scope": Scope.GENERATE if args.private_only else Scope.PUBLISH,
                               "expires_at": time.time() + args.days * 86400 if args.days else None}
    if args.everyone == (args.subscription_id is not None):
        raise ConsentError("Name one feed you follow (its subscription id) or --everyone, not both or neither.")
    with open_library(args) as lib:
        if args.everyone:
            granted = grant(lib, _identity(), args.handle, EVERYONE, "everyone", **options)
        else:
            granted = grant_subscription(lib, _identity(), args.handle, args.subscription_id, **options)
        emit(args, {"grant_id": granted.grant_id, "grantee": granted.grantee_name, "scope": str(granted.scope)},
             f"granted @{granted.handle} to {granted.grantee_name} ({granted.scope}): {granted.grant_id}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from studio.consent.grants import revoke

    with open_library(args) as lib:
        revoke(lib, _identity(), args.grant_id)
        emit(args, {"revoked": args.grant_id}, f"revoked {args.grant_id} (published in your feed)")
    return 0


def cmd_uses(args: argparse.Namespace) -> int:
    from studio.consent.usage import notifications
    from studio.feed.signature import author_key

    with open_library(args) as lib:
        found = notifications(lib, author_key(_identity()))
        lines = [f"{n.receipt_id}  @{n.handle} by {n.maker_name}: {n.prompt[:60]}  "
                 + (f"removed: {n.removed}" if n.removed else "removal requested" if n.removal_requested
                    else f"take {n.take_id}" if n.take_id else "not published") for n in found]
        emit(args, [dataclasses.asdict(n) for n in found], "\n".join(lines) or "no uses of your cameos")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from studio.consent.usage import request_removal

    with open_library(args) as lib:
        request = request_removal(lib, _identity(), args.receipt_id)
        emit(args, {"request_id": request}, f"removal requested ({request}); the maker's studio acts on its next sync")
    return 0
