"""`kinora open FILE` and `kinora project new|list|export`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from studio.cli.library_access import open_library
from studio.cli.output import emit


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    opener = subparsers.add_parser(
        "open", parents=[common], help="import a .otio, .otioz, .edl, Final Cut .xml or .fcpxml project and open it in the studio",
        description="Imports the project file (and a bundle's media) into the library, prints the new "
                    "project's id and opens the studio window on it. With --no-gui, --json, or no display "
                    "(no DISPLAY/WAYLAND_DISPLAY, or QT_QPA_PLATFORM=offscreen) it only imports and prints.")
    opener.add_argument("file", metavar="FILE")
    opener.add_argument("--no-gui", action="store_true", help="import and print the project id; open no window")
    opener.add_argument("--rate", type=float, default=None, metavar="FPS",
                        help="frame rate of an EDL (EDLs do not say; default: what its timecodes allow, else 24)")
    opener.set_defaults(handler=cmd_open)

    project = subparsers.add_parser("project", parents=[common], help="create, list and export projects")
    sub = project.add_subparsers(dest="project_command", metavar="COMMAND", required=True)
    new = sub.add_parser("new", parents=[common], help="create an empty project")
    new.add_argument("name", nargs="+", metavar="NAME")
    new.set_defaults(handler=cmd_new)
    ls = sub.add_parser("list", parents=[common], help="projects, most recently changed first")
    ls.set_defaults(handler=cmd_list)
    export = sub.add_parser("export", parents=[common], help="write a project as .otioz, .otio or .edl",
                            description=".otioz bundles the media (self-contained); .otio references the media "
                                        "files in the library by path; .edl is a CMX 3600 cut list of the "
                                        "first video track.")
    export.add_argument("project_id", type=int, metavar="ID")
    export.add_argument("-o", "--output", required=True, metavar="FILE")
    export.set_defaults(handler=cmd_export)


def cmd_open(args: argparse.Namespace) -> int:
    from studio.app import has_display
    from studio.project.files import open_project_file

    with open_library(args) as lib:
        project, existed = open_project_file(lib, Path(args.file), rate=args.rate)
    emit(args, {**project.to_dict(), "already_there": existed},
         f"project {project.id}: {project.name}" + (" (already in the library)" if existed else ""))
    if args.no_gui or getattr(args, "json", False) or not has_display():
        return 0
    from studio.app import run_gui

    return run_gui(library=getattr(args, "library", None), project_id=project.id)


def cmd_new(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        project = lib.create_project(" ".join(args.name))
    emit(args, project.to_dict(), f"project {project.id}: {project.name}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        projects = lib.list_projects()

    def text() -> str:
        if not projects:
            return "No projects. Make one with `kinora project new NAME`."
        lines = [f"{'ID':>5}  {'CHANGED':<19}  NAME"]
        for p in projects:
            changed = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(p.updated_at))
            lines.append(f"{p.id:>5}  {changed:<19}  {p.name}")
        return "\n".join(lines)

    emit(args, [p.to_dict() for p in projects], text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from studio.project.files import save_project_file

    out = Path(args.output)
    with open_library(args) as lib:
        lib.project(args.project_id)
        timeline = lib.load_timeline(args.project_id)
        written = save_project_file(timeline, out, lib.resolve_clip_media)
    emit(args, {"project_id": args.project_id, "file": str(written)}, f"wrote {written}")
    return 0
