"""`kinora generate PROMPT ...`: make a take (video with sound) and optionally write it to a file."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from studio.cli.library_access import open_library
from studio.cli.output import emit
from studio.engine.memory_estimate import POLICIES
from studio.errors import KinoraError, RecipeError
from studio.recipe import MAX_SECONDS, REMIX_MODES, Recipe, size_for_aspect

DEFAULT_MODEL = "ltx-2"

if TYPE_CHECKING:
    from studio.cli.progress import ProgressBar
    from studio.engine.control import Engine
    from studio.engine.registry import ModelSpec
    from studio.library import Library, TakeRecord


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "generate", parents=[common], help="generate a clip with sound from a prompt (records a take)",
        description="Generate a clip with synchronized sound and record it as a take in the library. "
                    "With -o the take is also written to a file (signed with Content Credentials). "
                    "Ctrl+C cancels cleanly.")
    p.add_argument("prompt", help="what the clip shows and sounds like")
    p.add_argument("--seconds", type=_seconds, default=4.0,
                   help="duration, 0.5 to 20 (default 4), or 'auto': the model picks it from the prompt (ltx-2.5's "
                        "duration head, at most the model's longest clip); with --mode extend, how much to add")
    p.add_argument("--enhance-prompt", action="store_true",
                   help="let the model's prompt enhancer rewrite the prompt first (models that ship one)")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the model's)")
    p.add_argument("--size", metavar="WxH", help="frame size, e.g. 768x512 (default: the model's)")
    p.add_argument("--aspect", choices=("16:9", "9:16", "1:1", "4:3", "3:4"), help="aspect instead of --size")
    p.add_argument("--resolution", type=int, default=None, help="short side in pixels with --aspect (default 512)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: random, recorded in the take)")
    p.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
    p.add_argument("--guidance", type=float, default=None, help="guidance scale (default: the model's)")
    p.add_argument("--negative", default="", metavar="TEXT", help="what the clip should not show")
    p.add_argument("--style", default=None, help="style preset (realistic, cinematic, anime, 3d, claymation, ...)")
    p.add_argument("--model", default=None,
                   help=f"model id (see `kinora models list`; default: with --remix the parent's model, else {DEFAULT_MODEL})")
    p.add_argument("--image", type=Path, help="start from this image (image-to-video)")
    p.add_argument("--keyframe", type=Path, action="append", default=[],
                   help="a keyframe image; give two or more, spread evenly over the clip")
    p.add_argument("--remix", metavar="TAKE_ID|FILE", help="remix a take of the library or a video file")
    # Plain strings, so argparse's "invalid choice" message lists words, not enum reprs.
    p.add_argument("--mode", choices=[str(m) for m in REMIX_MODES], help="remix mode (default with --remix: video)")
    p.add_argument("--strength", type=float, default=None, help="how far video/retake moves from the parent (0-1)")
    p.add_argument("--from", dest="range_from", type=float, default=None, metavar="T", help="retake range start (s)")
    p.add_argument("--to", dest="range_to", type=float, default=None, metavar="T", help="retake range end (s)")
    p.add_argument("--no-audio", action="store_true", help="no sound track from the model (a silent track is written)")
    p.add_argument("--memory-policy", choices=POLICIES,
                   help="override how much of the model stays on the GPU (see `kinora models plan`)")
    p.add_argument("--ray", metavar="ADDRESS", help="generate on the Ray cluster at HOST:PORT (see docs/cluster.md)")
    p.add_argument("--ray-storage", metavar="DIR", default="",
                   help="with --ray: a folder the workers and this computer share, for the result (default: Ray)")
    p.add_argument("-o", "--output", type=Path, help="also write the take to this MP4 file")
    p.set_defaults(handler=run_generate)


def _seconds(text: str) -> float | None:
    """--seconds: a number, or 'auto' (None) for a length the model picks."""
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration: give seconds (e.g. 4) or 'auto'") from None


def build_recipe(args: argparse.Namespace, spec: ModelSpec) -> Recipe:
    """The recipe from the command line, with the model's native size/fps where none was given."""
    if args.size and args.aspect:
        raise RecipeError("Give either --size or --aspect, not both.")
    if args.size:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise RecipeError(f"--size must look like 768x512, not '{args.size}'.") from None
    elif args.aspect:
        width, height = size_for_aspect(args.aspect, args.resolution or 512, spec.size_multiple)
    else:
        width, height = spec.native_width, spec.native_height
    mode, source_take_id, source_path = "text", None, None
    if args.remix:
        mode = args.mode or "video"
        if args.remix.isdigit():
            source_take_id = int(args.remix)
        else:
            source_path = str(Path(args.remix).expanduser().resolve())
    elif args.mode:
        raise RecipeError(f"--mode {args.mode} remixes a clip: add --remix TAKE_ID|FILE.")
    elif args.keyframe:
        mode = "keyframes"
    elif args.image:
        mode = "image"
    extra = {"strength": args.strength} if args.strength is not None else {}
    return Recipe(
        prompt=args.prompt, negative_prompt=args.negative, model_id=spec.id, auto_seconds=args.seconds is None,
        enhance_prompt=args.enhance_prompt,
        seconds=min(MAX_SECONDS, spec.max_seconds) if args.seconds is None else args.seconds,
        fps=args.fps or spec.native_fps, width=width, height=height, seed=args.seed, steps=args.steps,
        guidance=args.guidance, style=args.style, mode=mode,
        image=str(args.image.expanduser().resolve()) if args.image else None,
        source_take_id=source_take_id, source_path=source_path, range_from=args.range_from,
        range_to=args.range_to, keyframes=tuple(str(k.expanduser().resolve()) for k in args.keyframe),
        audio=not args.no_audio, **extra,
    )


def run_generate(args: argparse.Namespace) -> int:
    from studio.cli.engine_wait import run_here_or_wait
    from studio.cli.progress import ProgressBar
    from studio.consent.usage import issue_receipts, mentions, submit_with_consent
    from studio.engine import EngineSettings, make_engine
    from studio.engine.registry import get_model
    from studio.engine.styles import get_style
    from studio.exporting import export_take
    from studio.feed.signature import author_key
    from studio.importing import adopt_recipe_images
    from studio.library.owner import EngineLock
    from studio.provenance.identity import ensure_identity

    if args.style:
        get_style(args.style)  # an unknown style fails before anything loads
    bar = ProgressBar()
    failures: list[KinoraError] = []

    with open_library(args) as lib:
        parent = _remix_parent(lib, args.remix) if args.remix else None
        model_id = args.model or (parent.recipe.model_id if parent is not None and parent.recipe else DEFAULT_MODEL)
        spec = get_model(model_id)
        recipe = build_recipe(args, spec)
        if parent is not None:
            recipe = recipe.replace(source_take_id=parent.id, source_path=None)
        recipe = adopt_recipe_images(lib, recipe)
        if spec.family != "builtin":  # built-in generators run no model: no memory or time worth announcing
            print(_expectation(spec, recipe, args.memory_policy), file=sys.stderr)
        settings = EngineSettings.ray(args.ray, storage=args.ray_storage) if args.ray else EngineSettings()
        # --ray asked for the cluster: when it cannot be used, say why and stop rather than run here.
        runner = make_engine(lib, settings, on_event=bar.show_event, memory_policy=args.memory_policy, in_process=True,
                             fallback=False)
        # Cameos (@handle) and the content rules are checked before anything is queued (studio.consent).
        identity = ensure_identity() if mentions(recipe.prompt) else None
        take_id, cleared = submit_with_consent(lib, runner.submit, recipe, author_key(identity) if identity else "",
                                               spec)
        for note in cleared.notes:
            print(f"note: {note}", file=sys.stderr)
        # One engine per machine owns the GPU: beside the studio's or `kinora serve`'s, that one runs the take.
        # A cluster generates elsewhere, so --ray neither takes nor waits for this machine's lock.
        lock = None if args.ray else EngineLock(lib.root, "cli")
        try:
            here = True
            if lock is not None:
                try:
                    here = run_here_or_wait(lib, lock, take_id, bar)
                except KeyboardInterrupt:
                    here = False
                    bar.close("Canceling...")
                    runner.cancel(take_id)  # through the library: the owning engine sees it within a step
            if here:
                run_here(runner, take_id, bar, failures)
        finally:
            runner.unload()  # a cluster's actors go with this process (Ray ends them when their driver exits)
            if lock is not None:
                lock.release()
        if failures:
            bar.close()
            raise failures[0]
        take = lib.take(take_id)
        if take.status != "done":
            bar.close()
            if take.status == "canceled":
                raise KinoraError(f"Canceled; take {take_id} is recorded as canceled.")
            paused = paused_note(lib, take_id)
            if paused:
                raise KinoraError(paused)
            raise KinoraError(take.error or f"Take {take_id} did not finish ({take.status}).")
        bar.close(f"Take {take_id} done in {take.timings.get('total_s', 0):.1f} s (seed {take.recipe.seed}).")
        if identity is not None:
            issue_receipts(lib, identity, take_id)  # a signed receipt in my feed for each friend's cameo
        written = export_take(lib, take_id, args.output) if args.output else None  # signed, with the AI mark
        emit(args, {"take_id": take_id, "status": take.status, "seed": take.recipe.seed, "timings": take.timings,
                    "output": str(written) if written else None},
             f"take {take_id}" + (f" -> {written}" if written else ""))
    return 0


def run_here(runner: Engine, take_id: int, bar: ProgressBar, failures: list[KinoraError]) -> None:
    """Run the take on this process's engine (holding the engine lock, unless --ray); Ctrl+C cancels it."""
    finished = threading.Event()

    def work() -> None:  # only this take: jobs the studio has queued in the same library stay queued
        try:
            runner.run_take(take_id)
        except KinoraError as exc:
            failures.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="kinora-generate", daemon=True)
    worker.start()
    try:
        # Waiting in short slices keeps the main thread able to receive Ctrl+C.
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        bar.close("Canceling...")
        runner.cancel(take_id)
        finished.wait(60)


def paused_note(lib: Library, take_id: int) -> str:
    """For a take whose job is paused: what Resume will do and the command that does it; "" otherwise."""
    from studio.engine.events import resume_sentence

    job = next((j for j in lib.jobs_for_take(take_id) if j.status == "paused"), None)
    if job is None:
        return ""
    return f"Take {take_id} is paused. {resume_sentence(job.resume_note)} `kinora resume {take_id}` resumes it."


def _expectation(spec: ModelSpec, recipe: Recipe, override: str | None) -> str:
    """The plan, peak VRAM and time this job should take here, said before anything loads."""
    from studio.engine.memory import JobShape, expect

    return expect(spec, JobShape(recipe.width, recipe.height, recipe.frame_count), override=override).text()


def _remix_parent(lib: Library, remix: str) -> TakeRecord:
    """The take that `--remix TAKE_ID|FILE` names. A file that Kinora made from a take of this library
    (its Content Credentials carry that take's recipe) is that take, not a copy; any other file is
    imported (once: the same bytes find their take), so the lineage and the ingredient name it."""
    from studio.cli.library_cmds import import_one
    from studio.errors import ProvenanceError
    from studio.provenance.reader import UNTRUSTED, VALID, read_credentials

    if remix.isdigit():
        return lib.take(int(remix))
    path = Path(remix).expanduser().resolve()
    if not path.is_file():
        raise RecipeError(f"--remix {remix}: there is no such file (give a take id or a video file).")
    try:
        report = read_credentials(path)
    except ProvenanceError:
        report = None
    if report is not None and report.recipe is not None and report.state in (VALID, UNTRUSTED):
        original = lib.take_with_recipe(report.recipe)
        if original is not None:
            return original
    parent = import_one(lib, path)
    if parent["kind"] != "take":
        raise RecipeError(f"--remix needs a video file or a take id, not the project file {path}.")
    return lib.take(parent["id"])
