"""`kinora import FILE...` and `kinora library list|search|show`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.cli import EXIT_BAD_INPUT
from studio.cli.library_access import open_library
from studio.cli.output import emit
from studio.errors import KinoraError, os_error_message

if TYPE_CHECKING:
    from studio.library import Library, TakeRecord

# studio.library.records.TakeSort's values, spelled out: importing it loads the library (and
# sqlite_utils), which `kinora --help` must not. The library refuses a word it does not know.
SORTS = ("newest", "oldest", "longest", "prompt")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    imp = subparsers.add_parser("import", parents=[common], help="add media files or project files to the library",
                                description="Media files become imported takes; .otio, .otioz, .edl, Final Cut .xml and .fcpxml files "
                                            "become projects. A file that cannot be imported is reported and "
                                            "the others still are.")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--rate", type=float, default=None, metavar="FPS",
                     help="frame rate of an EDL (EDLs do not say; default: what its timecodes allow, else 24)")
    imp.set_defaults(handler=cmd_import)

    lib = subparsers.add_parser("library", parents=[common], help="list, search and inspect takes")
    sub = lib.add_subparsers(dest="library_command", metavar="COMMAND", required=True)
    ls = sub.add_parser("list", parents=[common], help="takes, newest first (or --sort)")
    ls.add_argument("--limit", type=int, default=50, help="how many takes (default 50)")
    ls.add_argument("--status", choices=("queued", "running", "done", "failed", "canceled"))
    ls.add_argument("--favorites", action="store_true", help="only favorites")
    ls.add_argument("--model", metavar="ID", help="only takes made with this model")
    ls.add_argument("--sort", choices=SORTS, default="newest",
                    help="newest or oldest first, longest first, or by prompt A-Z (default newest)")
    ls.set_defaults(handler=cmd_list)
    search = sub.add_parser("search", parents=[common], help="takes whose prompt or title has these words")
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=50)
    search.set_defaults(handler=cmd_search)
    show = sub.add_parser("show", parents=[common], help="one take: recipe, media file, lineage")
    show.add_argument("take_id", type=int, metavar="ID")
    show.set_defaults(handler=cmd_show)


# --- import ----------------------------------------------------------------------------------

def import_one(lib: Library, path: Path, rate: float | None = None) -> dict[str, Any]:
    """Import one file; returns what it became ({"kind": "take"|"project", ...})."""
    from studio.project.files import PROJECT_SUFFIXES, import_project_file

    if path.suffix.lower() in PROJECT_SUFFIXES:
        project = import_project_file(lib, path, rate=rate)
        return {"file": str(path), "kind": "project", "id": project.id, "name": project.name}
    from studio.importing import import_file

    imported = import_file(lib, path)
    take = imported.take
    return {"file": str(path), "kind": "take", "id": take.id, "name": take.display_title,
            "media": lib.media(take.media_id).to_dict(), "already_there": imported.already_there,
            "credentials": imported.credentials.state if imported.credentials else None}


def cmd_import(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    failures = 0
    with open_library(args) as lib:
        for name in args.files:
            path = Path(name)
            try:
                results.append(import_one(lib, path, rate=args.rate))
            except (KinoraError, OSError) as exc:
                failures += 1
                message = os_error_message(exc) if isinstance(exc, OSError) else str(exc)
                results.append({"file": name, "kind": "error", "error": message})
                print(f"kinora: {message}", file=sys.stderr)

    def text() -> str:
        lines = []
        for r in results:
            if r["kind"] == "take":
                note = " (already in the library)" if r["already_there"] else ""
                lines.append(f"take {r['id']}: {r['name']}{note}")
            elif r["kind"] == "project":
                lines.append(f"project {r['id']}: {r['name']}")
        return "\n".join(lines)

    if results and any(r["kind"] != "error" for r in results) or getattr(args, "json", False):
        emit(args, results, text)
    return EXIT_BAD_INPUT if failures else 0


# --- list, search, show -------------------------------------------------------------------------

def _duration(lib: Library, take: TakeRecord) -> float | None:
    if take.media_id is not None:
        return lib.media(take.media_id).duration
    return take.recipe.seconds if take.recipe else None


def _row(lib: Library, take: TakeRecord) -> dict[str, Any]:
    return {"id": take.id, "status": take.status, "origin": take.origin, "duration": _duration(lib, take),
            "model": take.recipe.model_id if take.recipe else None, "title": take.display_title,
            "favorite": take.favorite, "created_at": take.created_at}


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No takes."
    lines = [f"{'ID':>6}  {'STATUS':<9} {'LENGTH':>7}  {'MODEL':<16} PROMPT / TITLE"]
    for r in rows:
        length = f"{r['duration']:.1f}s" if r["duration"] else "-"
        star = "* " if r["favorite"] else ""
        title = r["title"].replace("\n", " ")
        lines.append(f"{r['id']:>6}  {r['status']:<9} {length:>7}  {(r['model'] or '-')[:16]:<16} "
                     f"{star}{title[:70]}")
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        takes = lib.list_takes(limit=args.limit, status=args.status, favorites=args.favorites, model_id=args.model,
                               sort=args.sort)
        rows = [_row(lib, t) for t in takes]
    emit(args, rows, lambda: _table(rows))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with open_library(args) as lib:
        rows = [_row(lib, t) for t in lib.search_takes(query, limit=args.limit)]
    emit(args, rows, lambda: _table(rows) if rows else f"No takes match '{query}'.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from studio.engine.events import resume_sentence

    with open_library(args) as lib:
        take = lib.take(args.take_id)
        media = lib.media(take.media_id) if take.media_id is not None else None
        lineage = lib.lineage(take.id)
        data = take.to_dict()
        data["media"] = media.to_dict() if media else None
        data["media_path"] = str(lib.media_path(media)) if media else None
        data["ancestors"] = [_row(lib, t) for t in lineage.ancestors]
        data["descendants"] = [_row(lib, t) for t in lineage.descendants]
        data["jobs"] = [{**j.to_dict(), **({"note": resume_sentence(j.resume_note)} if j.status == "paused" else {})}
                        for j in lib.jobs_for_take(take.id)]
    emit(args, data, lambda: _show_text(data))
    return 0


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "-"


def _show_text(d: dict[str, Any]) -> str:
    lines = [f"Take {d['id']}  ({d['origin']}, {d['status']}{', favorite' if d['favorite'] else ''})",
             f"  title:    {d['title'] or '-'}",
             f"  created:  {_when(d['created_at'])}   finished: {_when(d['finished_at'])}"]
    if d["error"]:
        lines.append(f"  error:    {d['error']}")
    media = d["media"]
    if media:
        missing = "  (MISSING: the file is gone from the library folder)" if media["missing"] else ""
        size = f"{media['width']}x{media['height']}" if media["width"] else "no picture"
        length = f"{media['duration']:.2f}s" if media["duration"] else "still"
        sound = f"{media['sample_rate']} Hz {media['audio_codec'] or ''}".strip() if media["sample_rate"] else "no sound"
        lines += [f"  media:    {d['media_path']}{missing}",
                  f"            {media['kind']}, {size}, {length}, {media['codec'] or '-'}, {sound}"]
    recipe = d["recipe"]
    if recipe:
        lines.append("  recipe:")
        for key, value in recipe.items():
            if value not in (None, "", [], ()) and key != "schema":
                lines.append(f"    {key:<16} {value}")
    if d["timings"]:
        lines.append("  timings:  " + ", ".join(f"{k} {v:.2f}s" for k, v in d["timings"].items()))
    for job in d["jobs"]:
        if job["status"] == "paused":
            lines.append(f"  job {job['id']}:   paused. {job['note']}")
    if d["parent_take_id"] is not None:
        lines.append(f"  parent:   take {d['parent_take_id']} ({d['remix_kind'] or 'remix'})")
    if d["ancestors"]:
        lines.append("  ancestors: " + " <- ".join(str(a["id"]) for a in d["ancestors"]))
    if d["descendants"]:
        lines.append("  descendants: " + ", ".join(str(a["id"]) for a in d["descendants"]))
    return "\n".join(lines)
