"""`kinora models list|pull|verify|delete|plan`: what can generate here, fetching and checking weights, memory plans."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from studio.cli.output import emit
from studio.errors import EngineError

if TYPE_CHECKING:
    from studio.engine.pull import PullProgress

CARD_SIZES = (16.0, 24.0, 48.0, 80.0, 141.0)  # the cards docs/memory-plans.md covers


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("models", parents=[common], help="list generation models, download their weights",
                              description="See which models can generate on this machine and fetch weights.")
    actions = p.add_subparsers(dest="models_action", metavar="ACTION")
    lst = actions.add_parser("list", parents=[common],
                             help="every model: installed / incomplete / missing, download size, memory, plan")
    lst.set_defaults(handler=run_list)
    pull = actions.add_parser("pull", parents=[common], help="download a model's weights (resumes if interrupted)")
    pull.add_argument("model_id")
    pull.set_defaults(handler=run_pull)
    verify = actions.add_parser("verify", parents=[common],
                                help="re-check every file's size and sha256 against the Hub's record")
    verify.add_argument("model_id")
    verify.set_defaults(handler=run_verify)
    delete = actions.add_parser("delete", parents=[common], help="remove a model's weights to free disk space")
    delete.add_argument("model_id")
    delete.set_defaults(handler=run_delete)
    plan = actions.add_parser(
        "plan", parents=[common], help="the memory plan, peak VRAM and host RAM a model gets on a card",
        description="Predict each memory policy's peak VRAM and host RAM for a model (weights counted from its "
                    "published configs; activations and time are estimates) and the plan a card of --vram GB gets.")
    plan.add_argument("model_ids", nargs="+", metavar="ID")
    plan.add_argument("--vram", type=float, action="append", metavar="GB",
                      help="card memory in GB (repeat for several cards; default: this machine's card)")
    plan.add_argument("--ram", type=float, default=0.0, metavar="GB", help="host RAM in GB (default: not checked)")
    plan.add_argument("--size", default=None, metavar="WxH", help="frame size (default: the model's native size)")
    plan.add_argument("--frames", type=int, default=121, help="frames per clip (default 121: 5 s at 24 fps)")
    plan.add_argument("--card", default=None, help="card name for a time estimate, e.g. H100 or 4090")
    plan.add_argument("--markdown", action="store_true", help="one markdown table row per model and card")
    plan.set_defaults(handler=run_plan)
    p.set_defaults(handler=run_list)


def run_list(args: argparse.Namespace) -> int:
    from studio.engine.model_status import model_statuses

    rows = [status.to_dict() for status in model_statuses()]

    def text() -> str:
        lines = [f"{'MODEL':<22} {'STATE':<11} {'DOWNLOAD':>9} {'PARAMS':>7} {'PLAN HERE':<18}  MODES"]
        for row in rows:
            size = f"{row['download_gb']:.1f} GB" if row["download_gb"] else "-"
            params = f"{row['params_b']:.1f}B" if row["params_b"] else "-"
            plan = f"{row['plan']} {row['peak_vram_gb']:.0f}G" if row["plan"] else "-"
            lines.append(f"{row['id']:<22} {row['state']:<11} {size:>9} {params:>7} {plan:<18}  "
                         f"{', '.join(row['modes']) or '(soundtracks)'}")
            if row["state"] == "incomplete":
                lines.append(f"{'':<22} incomplete: run `kinora models pull {row['id']}` again "
                             f"({'; '.join(row['problems'][:2])})")
        lines.append("Install one with `kinora models pull ID`; `kinora models plan ID --vram GB` shows its memory.")
        return "\n".join(lines)

    emit(args, rows, text)
    return 0


class _PullPrinter:
    """One redrawn line on a terminal (a line per phase on a pipe): bytes, speed, ETA."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.phase = ""

    def __call__(self, progress: PullProgress) -> None:
        from studio.cli.progress import format_duration

        line = (f"{progress.phase:<11} {progress.done_bytes / 1e9:7.2f} / {progress.total_bytes / 1e9:.2f} GB  "
                f"{progress.bytes_per_s / 1e6:6.1f} MB/s  ETA {format_duration(progress.eta_s)}  {progress.file}")
        if self.tty:
            sys.stderr.write("\r" + line[:150].ljust(150))
            if progress.phase == "done":
                sys.stderr.write("\n")
        elif progress.phase != self.phase:
            sys.stderr.write(line + "\n")
        self.phase = progress.phase
        sys.stderr.flush()


def run_pull(args: argparse.Namespace) -> int:
    from studio.cancel import CancelToken
    from studio.engine.pull import pull
    from studio.engine.registry import download_gb, get_model

    spec = get_model(args.model_id)
    if not spec.needs_weights:
        emit(args, {"model": spec.id, "downloaded": False}, f"{spec.id} needs no download.")
        return 0
    specs = [spec] + ([get_model(spec.soundtrack_model)] if spec.soundtrack_model else [])
    paths = {}
    for item in specs:
        print(f"Downloading {item.id} (about {download_gb(item):g} GB) from huggingface.co/{item.hf_repo}; "
              "interrupted downloads resume where they stopped. Ctrl+C stops.", file=sys.stderr)
        try:
            paths[item.id] = str(pull(item, _PullPrinter(), CancelToken("download")))
        except KeyboardInterrupt:
            print(f"\nStopped. `kinora models pull {spec.id}` resumes.", file=sys.stderr)
            return 130
    emit(args, {"model": spec.id, "paths": paths}, "\n".join(f"{k}: {v} (verified)" for k, v in paths.items()))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from studio.engine.install import read_manifest, verify_files
    from studio.engine.registry import get_model, install_report

    spec = get_model(args.model_id)
    report = install_report(spec)
    if report.location is None:
        raise EngineError(f"{spec.id} is {report.state.value}: nothing to verify. Run `kinora models pull {spec.id}`.")
    files = read_manifest(report.location)
    if files is None:
        from studio.engine.pull import hub_files

        files = hub_files(spec)  # pulled by another tool: ask the Hub (needs the network)
    result = verify_files(report.location, files)
    problems = list(report.problems) + result.bad
    data = {"model": spec.id, "location": str(report.location), "checked": result.checked, "problems": problems}
    if problems:
        emit(args, data, f"{spec.id}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
             + f"\nRun `kinora models pull {spec.id}` again to fetch them.")
        return 1
    emit(args, data, f"{spec.id}: all {result.checked} files match the Hub's sizes and sha256.")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from studio.engine.install import delete_cached_repo
    from studio.engine.registry import get_model, local_folder

    spec = get_model(args.model_id)
    if not spec.needs_weights:
        raise EngineError(f"{spec.id} has no weights to delete.")
    freed = delete_cached_repo(spec.hf_repo)
    own = local_folder(spec)
    note = f" Its copy in your models folder ({own}) is yours: delete it by hand if you want." if own else ""
    emit(args, {"model": spec.id, "freed_bytes": freed},
         f"Deleted {spec.id} from the Hugging Face cache: {freed / 1e9:.1f} GB freed.{note}")
    return 0


def run_plan(args: argparse.Namespace) -> int:
    from studio.engine.memory import DeviceInfo, detect_device, expect
    from studio.engine.memory_estimate import JobShape, card_tflops, plan_rows, usable_vram
    from studio.engine.registry import get_model

    if args.vram:
        cards = [DeviceInfo("cuda", args.card or f"{gb:g} GB card", gb, gb, args.ram, True, args.ram)
                 for gb in args.vram]
    else:
        here = detect_device()
        if here.kind != "cuda":
            raise EngineError("No CUDA card here: give the card's memory with --vram GB (e.g. --vram 24).")
        cards = [here]
    results = []
    for model_id in args.model_ids:
        spec = get_model(model_id)
        width, height = _size(args.size, spec)
        job = JobShape(width, height, spec.valid_frame_count(args.frames))
        tflops = card_tflops(args.card) if args.card else None
        for card in cards:
            chosen = expect(spec, job, card)
            rows = plan_rows(spec, job, tflops=tflops or card_tflops(card.name))
            results.append({"model": spec.id, "card_gb": card.total_vram_gb, "ram_gb": args.ram or None,
                            "job": [job.width, job.height, job.frames], "plan": chosen.plan.policy,
                            "usable_vram_gb": round(usable_vram(card.total_vram_gb), 1),
                            "policies": [{**r.to_dict(), "fits": r.fits(card.total_vram_gb, args.ram)} for r in rows]})
    emit(args, results, lambda: _plan_markdown(results) if args.markdown else _plan_text(results))
    return 0


def _size(text: str | None, spec: Any) -> tuple[int, int]:
    if not text:
        return spec.native_width, spec.native_height
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise EngineError(f"--size must look like 768x512, not '{text}'.") from None
    return width, height


def _chosen(result: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in result["policies"] if p["policy"] == result["plan"])


def _plan_text(results: list[dict[str, Any]]) -> str:
    lines = []
    for result in results:
        chosen = _chosen(result)
        w, h, f = result["job"]
        fits = "" if chosen["fits"] else "  (NOTHING FITS: this is the most frugal plan; it may run out of memory)"
        lines.append(f"{result['model']} at {w}x{h}x{f} on a {result['card_gb']:g} GB card: plan {result['plan']}, "
                     f"peak VRAM ~{chosen['peak_vram_gb']:.1f} GB, host RAM ~{chosen['host_ram_gb']:.1f} GB{fits}")
        lines.append(f"  {'POLICY':<18} {'PEAK VRAM':>9} {'LARGEST':>8} {'HOST RAM':>9} {'TIME':>7}  FITS")
        for row in result["policies"]:
            time = f"{row['seconds']:.0f} s" if row["seconds"] is not None else "-"
            lines.append(f"  {row['policy']:<18} {row['peak_vram_gb']:>7.1f} G {row['largest_piece_gb']:>6.1f} G "
                         f"{row['host_ram_gb']:>7.1f} G {time:>7}  {'yes' if row['fits'] else 'no'}")
    lines.append("Weights are counted from the published configs; activations and time are estimates.")
    return "\n".join(lines)


def _plan_markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| model | card | plan | peak VRAM (GB) | host RAM (GB) | largest piece on the GPU (GB) |",
             "|---|---|---|---|---|---|"]
    for result in results:
        chosen = _chosen(result)
        mark = "" if chosen["fits"] else " (does not fit)"
        lines.append(f"| {result['model']} | {result['card_gb']:g} GB | {result['plan']}{mark} | "
                     f"{chosen['peak_vram_gb']:.1f} | {chosen['host_ram_gb']:.1f} | {chosen['largest_piece_gb']:.1f} |")
    return "\n".join(lines)
