"""The tamper matrix through `kinora credentials`: each case's exit code against the one it owes."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from bench.reliability import tamper_cases
from bench.reliability.isolate import run_cli


def run_tamper(workdir: Path, library: Path) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    findings: list[str] = []
    old = os.environ.get("KINORA_CONFIG")
    os.environ["KINORA_CONFIG"] = str(workdir / "tamper-config")  # the children inherit it: they trust our root
    try:
        files = tamper_cases.make_matrix(workdir / "tamper")
        for case, path in files.items():
            state, _check, code = tamper_cases.MATRIX[case]
            outcome = run_cli(["credentials", str(path)], library)
            counts["cases"] += 1
            if outcome.code == code:
                counts["right verdict and exit code"] += 1
            else:
                counts["wrong"] += 1
                findings.append(f"wrong: {case}: exit {outcome.code}, owed {code} ({state}) {outcome.stderr[-120:]}")
    finally:
        if old is None:
            os.environ.pop("KINORA_CONFIG", None)
        else:
            os.environ["KINORA_CONFIG"] = old
    return counts, findings
