"""`kinora export`: render a project (or one take) to MP4 with a watermark and Content Credentials."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.cli.library_access import open_library
from studio.cli.output import emit


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from studio.media.presets import FITS, PRESETS  # light: no PyAV

    parser = subparsers.add_parser(
        "export", parents=[common], help="render a project or a take to MP4, signed with Content Credentials",
        description="Render a project's timeline (or, with --take, one take) to an H.264 + AAC MP4. A visible "
                    "'AI-generated' watermark and Content Credentials (C2PA: what made it, its recipe, its "
                    "parents) are on by default.")
    parser.add_argument("id", type=int, metavar="PROJECT_ID|TAKE_ID", help="the project to export (a take with --take)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the MP4 to write")
    parser.add_argument("--take", action="store_true", help="export the take with this id instead of a project")
    parser.add_argument("--preset", default="source", choices=tuple(PRESETS),
                        help="frame size: 9:16 (1080x1920), 16:9 (1920x1080), 1:1, 720p, or source (default)")
    parser.add_argument("--fit", choices=FITS, help="where a clip's shape differs from the frame: letterbox "
                                                    "(fit), crop (fill), or whole over a blurred fill (blur: the "
                                                    "default, as the Program monitor shows it)")
    parser.add_argument("--no-watermark", action="store_true", help="leave out the visible AI-generated mark")
    parser.add_argument("--no-credentials", action="store_true", help="do not sign the file with Content Credentials")
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from studio.cli.progress import ProgressBar
    from studio.exporting import ExportStatus, export_project, export_take
    from studio.media.presets import get_preset

    bar = ProgressBar()
    preset = get_preset(args.preset, args.fit)

    def on_progress(status: ExportStatus) -> None:
        if status.phase == "notice":
            print(f"kinora: note: {status.detail}", file=sys.stderr)
            return
        bar.update(status.phase, status.fraction, status.eta_s, status.detail)

    options = dict(watermark=not args.no_watermark, sign=not args.no_credentials, progress=on_progress)
    with open_library(args) as lib:
        try:
            if args.take:
                out = export_take(lib, args.id, args.output, preset=preset, **options)
            else:
                out = export_project(lib, args.id, args.output, preset, **options)
        finally:
            bar.close()
    signed = "signed with Content Credentials" if not args.no_credentials else "not signed"
    emit(args, {"path": str(out), "signed": not args.no_credentials, "watermark": not args.no_watermark},
         f"Wrote {out} ({signed}). Inspect it with: kinora credentials {out}")
    return 0
