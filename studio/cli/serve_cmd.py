"""`kinora serve`: the OpenAI Videos API (`client.videos` of the openai SDK) on this machine's GPU."""

from __future__ import annotations

import argparse
import sys

from studio.cli.library_access import open_library
from studio.cli.output import emit
from studio.engine.memory import POLICIES
from studio.errors import KinoraError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "serve", parents=[common], help="serve the OpenAI Videos API (point the openai SDK's base_url here)",
        description="Serve the OpenAI Videos API on this machine: the openai SDK's client.videos works unchanged "
                    "with base_url=http://127.0.0.1:PORT/v1. Jobs go to the library's queue; when the studio is "
                    "open its engine runs them, otherwise this server runs its own. Loopback only unless API keys "
                    "are used (`kinora serve keys create NAME`).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; any other "
                                                         "address requires API keys)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--map", action="append", default=[], metavar="ALIAS=MODEL",
                   help="what sora-2 / sora-2-pro mean, e.g. --map sora-2=ltx-2 (default: the best installed model "
                        "for speed / for quality)")
    p.add_argument("--fallback-model", metavar="MODEL", default=None,
                   help="model for sora-2/sora-2-pro when no real model is installed (e.g. tiny-random, which makes "
                        "noise: for tests and trying the API)")
    p.add_argument("--require-keys", action="store_true", help="require API keys on loopback too")
    p.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                   help="allow this browser origin (CORS is off by default)")
    p.add_argument("--queue-per-key", type=int, default=None, help="videos one key may have queued or running "
                                                                    "(default 8)")
    p.add_argument("--poll-after-ms", type=int, default=1000, help="the poll interval suggested to clients")
    p.add_argument("--memory-policy", choices=POLICIES,
                   help="override how much of the model stays on the GPU (this server's own engine)")
    p.add_argument("--ray", metavar="ADDRESS", default="",
                   help="run the jobs on the Ray cluster at HOST:PORT instead of this machine (see docs/cluster.md)")
    p.add_argument("--ray-storage", metavar="DIR", default="",
                   help="with --ray: a folder the workers and this computer share, for the results (default: Ray)")
    p.add_argument("--share-feed", action="store_true",
                   help="serve this library's feed (/feed) to other machines too, not only to this one")
    p.add_argument("--no-feed", action="store_true",
                   help="do not serve this library's feed at /feed (it is served to this machine only until "
                        "sharing is turned on)")
    p.set_defaults(handler=run_serve)
    keys = p.add_subparsers(dest="serve_command", metavar="keys")
    k = keys.add_parser("keys", parents=[common], help="manage API keys")
    actions = k.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", parents=[common], help="make a key (shown once; stored hashed)")
    create.add_argument("name")
    actions.add_parser("list", parents=[common], help="list key names")
    revoke = actions.add_parser("revoke", parents=[common], help="delete a key")
    revoke.add_argument("name")
    k.set_defaults(handler=run_keys)


def run_keys(args: argparse.Namespace) -> int:
    from studio.server.keys import KeyStore

    store = KeyStore()
    if args.keys_command == "create":
        key = store.create(args.name)
        emit(args, {"name": args.name, "key": key},
             f"{key}\n(key '{args.name}': shown only now; Kinora keeps only its hash)")
    elif args.keys_command == "list":
        names = [k.name for k in store.keys()]
        emit(args, {"keys": names}, "\n".join(names) or "no API keys")
    else:
        store.revoke(args.name)
        emit(args, {"revoked": args.name}, f"revoked key '{args.name}'")
    return 0


def _model_map(args: argparse.Namespace):  # noqa: ANN202 (ModelMap)
    from studio.engine.registry import get_model
    from studio.server.catalog import ModelMap

    explicit = {}
    for item in args.map:
        alias, _, model = item.partition("=")
        if alias not in ("sora-2", "sora-2-pro") or not model:
            raise KinoraError(f"--map wants sora-2=MODEL or sora-2-pro=MODEL, not '{item}'.")
        get_model(model)  # an unknown model fails now, not at the first request
        explicit[alias] = model
    if args.fallback_model:
        get_model(args.fallback_model)
    return ModelMap(explicit=explicit, fallback=args.fallback_model)


def run_serve(args: argparse.Namespace) -> int:
    from studio.server.compose import studio_server
    from studio.server.limits import Limits
    from studio.server.server import ServeOptions

    limits = Limits(queued_per_key=args.queue_per_key) if args.queue_per_key else Limits()
    options = ServeOptions(host=args.host, port=args.port, models=_model_map(args), limits=limits,
                           poll_after_ms=args.poll_after_ms, cors_origins=tuple(args.cors),
                           require_keys=args.require_keys, memory_policy=args.memory_policy,
                           ray_address=args.ray, ray_storage=args.ray_storage)
    with open_library(args) as lib:
        server = studio_server(lib, options, share_feed=args.share_feed, feed=not args.no_feed)

        def said(owns: bool, holder) -> None:  # noqa: ANN001 (Owner | None)
            if owns:
                print("kinora serve: this server's engine runs the queue (no other engine owns the GPU)", file=sys.stderr)
            else:
                who = f"the {holder.role or 'other'} engine (pid {holder.pid})" if holder else "another engine"
                print(f"kinora serve: {who} owns the GPU; this server queues jobs for it", file=sys.stderr)

        server.engine.on_change = said
        keys = "API keys required" if server.keys_required else "no API keys (loopback only)"
        print(f"kinora serve: the OpenAI Videos API on http://{args.host}:{args.port}/v1 ({keys}); "
              f"library {lib.root}", file=sys.stderr)
        holder = server.engine.lock.holder()
        if holder is not None:
            said(False, holder)
        server.run()
    return 0
