"""The chaos suite's long form (the short one runs in CI: tests/chaos/).

Each run gets a moto server of its own behind the fault-injecting proxy (tests/faulty_proxy.py)
and alternates between the two forms in tests/chaos/scenario.py: repeated ``reconciler apply``
SIGKILLed at random AWS call counts with the emulator restarted empty mid-run, and the
``reconciler run`` worker following a git remote that refuses, resets, hangs and is
force-pushed, itself SIGKILLed and restarted. 30 % of AWS calls get a fault (5xx, each
protocol's throttling reply, delays, replies lost or dropped after the call succeeded).
Every run then checks AWS (exactly the declared resources, the user's own untouched), the
state store and a clean plan.

    python bench/chaos.py --runs 40 --seed 1            # runs seed 1, 2, ... 40
    python bench/chaos.py --minutes 15 --seed 100       # as many runs as fit
    python bench/chaos.py --runs 1 --seed 17 --form worker   # reproduce one failure

Prints the report and writes bench/results/chaos.json (--out names another); a failed run's
tree, state and logs are kept in bench/results/chaos-FORM-SEED/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chaos.scenario import RATE, RunReport, apply_run, worker_run  # noqa: E402


def one(seed: int, form: str, rate: float) -> RunReport:
    with tempfile.TemporaryDirectory(prefix=f"chaos-{seed}-") as tmp:
        try:
            run = apply_run if form == "apply" else worker_run
            report = run(seed, Path(tmp), rate=rate)
        except Exception:  # the harness broke, or the reconciler did in a way we did not expect
            report = RunReport(seed, form)
            report.failures.append("run raised:\n" + traceback.format_exc()[-3000:])
        if report.failures:  # keep the run's tree, state and logs to look at
            kept = ROOT / "bench" / "results" / f"chaos-{form}-{seed}"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(tmp, kept, symlinks=True, ignore_dangling_symlinks=True)
        return report


def summary(reports: list[RunReport], wall: float, rate: float) -> dict[str, object]:
    faults: Counter[str] = Counter()
    git: Counter[str] = Counter()
    for r in reports:
        faults.update(r.aws_faults)
        git.update(r.git_faults)
    failed = [r for r in reports if r.failures]
    return {
        "runs": len(reports),
        "runs_by_form": dict(Counter(r.form for r in reports)),
        "wall_s": round(wall, 1),
        "fault_rate": rate,
        "kills": sum(r.kills for r in reports),
        "emulator_restarts": sum(r.emulator_restarts for r in reports),
        "aws_calls": sum(r.aws_calls for r in reports),
        "aws_faults": dict(faults),
        "aws_faults_total": sum(faults.values()),
        "git_faults": dict(git),
        "pushes": sum(r.pushes for r in reports),
        "force_pushes": sum(r.force_pushes for r in reports),
        "survived": len(reports) - len(failed),
        "failed": [{"seed": r.seed, "form": r.form, "failures": r.failures,
                    "reproduce": f"python bench/chaos.py --runs 1 --seed {r.seed} "
                                 f"--form {r.form}"} for r in failed],
        "per_run": [r.as_dict() for r in reports],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="number of runs")
    parser.add_argument("--minutes", type=float, default=None,
                        help="keep starting runs for this long (instead of --runs)")
    parser.add_argument("--seed", type=int, default=1, help="first seed (then +1 per run)")
    parser.add_argument("--form", choices=("apply", "worker", "both"), default="both",
                        help="both alternates by seed: even apply, odd worker")
    parser.add_argument("--rate", type=float, default=RATE, help="share of AWS calls faulted")
    parser.add_argument("--out", default="chaos", help="report name: bench/results/OUT.json")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so each run's emulator and worker are stopped on the way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    runs = args.runs if args.runs is not None else (None if args.minutes else 10)
    started = time.monotonic()
    reports: list[RunReport] = []
    seed = args.seed
    while (runs is not None and len(reports) < runs) or (
            runs is None and time.monotonic() - started < args.minutes * 60):
        form = args.form if args.form != "both" else ("apply" if seed % 2 == 0 else "worker")
        report = one(seed, form, args.rate)
        reports.append(report)
        verdict = "ok" if not report.failures else f"FAILED ({len(report.failures)})"
        print(f"seed {seed} {form}: {verdict} in {report.seconds}s, kills {report.kills}, "
              f"restarts {report.emulator_restarts}, faults {dict(report.aws_faults)}, "
              f"git {dict(report.git_faults)}", flush=True)
        for failure in report.failures:
            print("   ", failure.replace("\n", "\n    "), flush=True)
        seed += 1
    result = summary(reports, time.monotonic() - started, args.rate)
    printed = {k: v for k, v in result.items() if k != "per_run"}
    print(json.dumps(printed, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{args.out}.json").write_text(json.dumps(result, indent=2))
    sys.exit(1 if result["failed"] else 0)


if __name__ == "__main__":
    main()
