"""`kinora feed ...`: publish takes, subscribe to friends' feeds, sync, list, invite tokens (headless Feed)."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.cli.output import emit

if TYPE_CHECKING:
    from studio.feed.service import FeedService
    from studio.feed.store import FeedPost, Subscription
    from studio.feed.subscribe import SyncResult


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    feed = subparsers.add_parser(
        "feed", parents=[common], help="your signed feed: publish takes, subscribe to friends, sync",
        description="Publish takes as signed MP4s in your feed (<library>/outbox, served by `kinora serve` at "
                    "/feed), subscribe to friends' feeds by URL, invite link or folder, and sync them.")
    actions = feed.add_subparsers(dest="feed_action", metavar="ACTION", required=True)
    publish = actions.add_parser("publish", parents=[common], help="share a finished take to your feed")
    publish.add_argument("take_id", type=int, metavar="TAKE")
    publish.add_argument("--friends", action="store_true", help="only for subscribers with an invite token")
    publish.set_defaults(handler=cmd_publish)
    unpublish = actions.add_parser("unpublish", parents=[common], help="remove one of your posts")
    unpublish.add_argument("post_id", metavar="POST")
    unpublish.set_defaults(handler=cmd_unpublish)
    sub = actions.add_parser("subscribe", parents=[common], help="follow a feed URL, invite link or folder (syncs now)")
    sub.add_argument("source", metavar="URL_OR_FOLDER")
    sub.set_defaults(handler=cmd_subscribe)
    actions.add_parser("sync", parents=[common], help="sync every subscription").set_defaults(handler=cmd_sync)
    actions.add_parser("subscriptions", parents=[common],
                       help="subscriptions with their state and refused posts").set_defaults(handler=cmd_subscriptions)
    ls = actions.add_parser("list", parents=[common], help="the posts of a tab")
    ls.add_argument("--tab", choices=["for-you", "following", "most-remixed", "liked", "mine"], default="for-you")
    ls.set_defaults(handler=cmd_list)
    write = actions.add_parser("write", parents=[common], help="write your feed to a folder (e.g. a synced one)")
    write.add_argument("folder", type=Path)
    write.add_argument("--public-only", action="store_true", help="leave friends-only posts out")
    write.set_defaults(handler=cmd_write)
    invite = actions.add_parser("invite", parents=[common], help="make an invite token for friends-only posts")
    invite.add_argument("--label", default="", help="who it is for (shown to you only)")
    invite.add_argument("--revoke", metavar="TOKEN", help="revoke this token instead")
    invite.set_defaults(handler=cmd_invite)


def _service(args: argparse.Namespace) -> tuple[Any, FeedService]:
    from studio.cli.library_access import open_library
    from studio.feed.service import FeedService

    lib = open_library(args)
    return lib, FeedService(lib)


def _post_dict(post: FeedPost) -> dict[str, Any]:
    data = dataclasses.asdict(post)
    data["recipe"] = post.recipe.to_dict() if post.recipe else None
    return data


def _post_line(post: FeedPost) -> str:
    who = "you" if post.mine else post.author_name
    return (f"{post.post_id}  {who:<12} ♥{post.likes:<3} ↻{post.remixes:<3} {post.audience:<7} "
            f"take {post.take_id}  {post.prompt[:60]}")


def _sync_dict(result: SyncResult) -> dict[str, Any]:
    return {"subscription_id": result.subscription_id, "ok": result.ok, "error": result.error,
            "imported": list(result.imported), "removed": list(result.removed), "rejected": result.rejected}


def _sync_text(results: list[SyncResult]) -> str:
    lines = []
    for r in results:
        state = f"FAILED: {r.error}" if r.error else f"{len(r.imported)} new, {len(r.removed)} removed"
        lines.append(f"subscription {r.subscription_id}: {state}")
        lines += [f"  refused {post}: {reason}" for post, reason in r.rejected.items()]
    return "\n".join(lines) or "no subscriptions"


def cmd_publish(args: argparse.Namespace) -> int:
    lib, service = _service(args)
    with lib:
        post = service.publish(args.take_id, "friends" if args.friends else "public")
        emit(args, _post_dict(post), lambda: f"published {_post_line(post)}\n  {service.store.outbox / post.video_name}")
    return 0


def cmd_unpublish(args: argparse.Namespace) -> int:
    lib, service = _service(args)
    with lib:
        service.unpublish(args.post_id)
        emit(args, {"unpublished": args.post_id}, f"unpublished {args.post_id}")
    return 0


def cmd_subscribe(args: argparse.Namespace) -> int:
    lib, service = _service(args)
    with lib:
        result = service.subscribe(args.source)
        emit(args, _sync_dict(result), lambda: _sync_text([result]))
    return 0 if result.ok else 1


def cmd_sync(args: argparse.Namespace) -> int:
    lib, service = _service(args)
    with lib:
        results = service.sync_all()
        # Removal requests for takes made with someone's cameo arrive with their feeds: honour them now.
        from studio.consent.usage import apply_removals

        removed = apply_removals(lib, service.identity)
        emit(args, [_sync_dict(r) for r in results], lambda: "\n".join([_sync_text(results), *removed]))
    return 0 if all(r.ok for r in results) else 1


def _subscription_dict(sub: Subscription) -> dict[str, Any]:
    data = dataclasses.asdict(sub)
    data.pop("pinned_root_pem")
    data["rejections"] = [{"post_id": p, "reason": r} for p, r in sub.rejections]
    return data


def cmd_subscriptions(args: argparse.Namespace) -> int:
    lib, service = _service(args)
    with lib:
        subs = service.subscriptions()

        def text() -> str:
            lines = []
            for s in subs:
                lines.append(f"{s.id}  {s.status:<6} {s.author_name or '?':<12} {s.source}")
                if s.error:
                    lines.append(f"    {s.error}")
                lines += [f"    refused {post}: {reason}" for post, reason in s.rejections]
            return "\n".join(lines) or "no subscriptions (kinora feed subscribe URL_OR_FOLDER)"

        emit(args, [_subscription_dict(s) for s in subs], text)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from studio.feed.rank import FeedTab

    tab = {t.value.lower().replace(" ", "-"): t for t in FeedTab}[args.tab]
    lib, service = _service(args)
    with lib:
        posts = service.tab(tab, now=time.time())
        emit(args, [_post_dict(p) for p in posts], lambda: "\n".join(map(_post_line, posts)) or "no posts")
    return 0


def cmd_write(args: argparse.Namespace) -> int:
    from studio.feed.publish import write_feed_folder

    lib, service = _service(args)
    with lib:
        path = write_feed_folder(lib, service.identity, args.folder, include_friends=not args.public_only)
        emit(args, {"feed": str(path)}, f"wrote {path}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    lib, service = _service(args)
    with lib:
        if args.revoke:
            service.store.revoke_token(args.revoke)
            emit(args, {"revoked": args.revoke}, f"revoked {args.revoke}")
        else:
            token = service.store.create_token(args.label)
            emit(args, {"token": token},
                 f"{token}\n  friends subscribe with http://HOST:PORT/feed?token={token} (kinora serve)")
    return 0
