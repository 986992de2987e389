"""The long reliability run of issue 16. Prints the table docs/reliability.md keeps.

    nice python bench/reliability/run.py --kills 200 --mutants 500 --minutes 60 --seed 16

Every part has a fixed seed and shares one time limit; what did not fit is reported as run, not guessed.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.reliability.fuzz import fuzz, seed_files  # noqa: E402
from bench.reliability.hostile import run_hostile  # noqa: E402
from bench.reliability.isolate import OUTCOMES, preload  # noqa: E402
from bench.reliability.kills import run_kills  # noqa: E402
from bench.reliability.tamper import run_tamper  # noqa: E402

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def table(results: dict[str, Counter[str]]) -> str:
    rows = ["| part | runs | accepted | clear error | traceback | unclear | crash (signal) | hang |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for part in ("fuzz", "hostile"):
        c = results.get(part, Counter())
        runs = sum(c[o] for o in OUTCOMES)
        rows.append(f"| {part} ({c['mutants'] or c['cases']} {'mutants' if part == 'fuzz' else 'projects'}) "
                    f"| {runs} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |")
    k = results.get("kills", Counter())
    t = results.get("tamper", Counter())
    rows += ["", "| SIGKILL campaign | count |", "|---|---:|"]
    for key in ("trials", "kills", "finished before the kill", "integrity failures", "lost takes", "jobs left running",
                "broken outputs", "leftovers after restart", "tracebacks"):
        rows.append(f"| {key} | {k[key]} |")
    rows += [f"| {key} | {value} |" for key, value in sorted(k.items()) if key.startswith("kills: ")]
    rows += ["", "| tamper matrix | count |", "|---|---:|",
             f"| cases | {t['cases']} |", f"| right verdict and exit code | {t['right verdict and exit code']} |",
             f"| wrong | {t['wrong']} |"]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--mutants", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=60.0, help="time limit for the whole run")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--parts", default="tamper,hostile,fuzz,kills")
    args = parser.parse_args()
    started = time.monotonic()
    deadline = started + args.minutes * 60
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kinora-reliability-"))
    parts = args.parts.split(",")
    preload()
    results: dict[str, Counter[str]] = {}
    findings: list[str] = []
    files = seed_files(args.corpus, workdir / "seeds")
    bundle = next(f for f in files if f.suffix == ".otioz")
    if "tamper" in parts:
        results["tamper"], found = run_tamper(workdir, workdir / "tamper-library")
        findings += found
    if "hostile" in parts:
        results["hostile"], found = run_hostile(workdir, workdir / "hostile-library")
        findings += found
    # Fuzz and kills share what is left of the time limit in proportion to their counts.
    if "fuzz" in parts:
        share = deadline if "kills" not in parts else time.monotonic() + (deadline - time.monotonic()) * 0.45
        results["fuzz"], found = fuzz(files, workdir / "fuzz", args.mutants, args.seed, share)
        findings += found
    if "kills" in parts:
        results["kills"], found = run_kills(workdir / "kills", args.corpus, bundle, args.kills, args.seed, deadline)
        findings += found
    minutes = (time.monotonic() - started) / 60
    print(f"Reliability run {datetime.date.today().isoformat()}: seed {args.seed}, {minutes:.1f} min "
          f"(limit {args.minutes:g}), workdir {workdir}\n")
    print(table(results))
    if findings:
        print("\nFindings:")
        for line in findings:
            print(f"- {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
