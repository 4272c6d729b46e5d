"""How long one seed of a benchmark takes with N parallel jobs, scheduled from its stages' measured seconds.

Reads a benchmark directory's ``results.json`` (every finished stage's training and evaluation seconds) and
replays `lmrl_eval.benchmark`'s ``--jobs`` scheduling for one seed: the stages in plan order, a method that
starts from BC waiting for its BC, N stages at once, each taking the seconds it took when it ran. It prints
each task's stage seconds and its wall time run alone, and the wall time of the whole suite in one
invocation. Dataset generation is not included (a few seconds per task, Chess ~1 min).

The result is only as good as the stage seconds it reads: stages measured on a loaded machine (several
benchmarks sharing the cores) took longer than they would alone, so the schedule then over-states an idle
machine's wall time. A stage that has not run is listed as missing and the totals say how many are missing.
Several directories can be given: a stage measured in more than one takes the seconds of the last directory
that has it (e.g. a rerun of some tasks on an idle machine, laid over the directory holding the whole table).

    python bench/suite_time.py runs/standard --seed 0 --jobs 2
    python bench/suite_time.py runs/standard runs/idle-rerun --seed 1   # runs/idle-rerun's stages replace
    python bench/suite_time.py runs/standard --seed 1 --envs maze-po,chess   # the tasks one invocation ran
"""

from __future__ import annotations

import argparse
import heapq
import json
from pathlib import Path

from lmrl_envs import task_name
from lmrl_eval.benchmark import BUDGETS, PAPER_ALGOS, Stage, plan, stage_ready


def stage_seconds(results: dict, seed: int) -> dict[Stage, float]:
    """Training + evaluation seconds of every finished stage of `seed`."""
    return {Stage(task_name(r["env_id"]), r["algo"], r["seed"]): r["train"].get("seconds", 0) + r["eval"].get("seconds", 0)
            for r in results["runs"] if r["seed"] == seed}


def schedule(stages: list[Stage], seconds: dict[Stage, float], jobs: int) -> float:
    """The wall seconds of running `stages` on `jobs` workers as ``lmrl-eval benchmark --jobs`` does: whenever a
    worker is free, the first stage in plan order whose BC is done (or not part of the run) starts."""
    pending, running, done, now = list(stages), [], set(), 0.0
    while pending or running:
        for stage in [s for s in pending if stage_ready(s, stages, done, "bc")][:jobs - len(running)]:
            pending.remove(stage)
            heapq.heappush(running, (now + seconds[stage], stages.index(stage), stage))
        if not running:
            raise ValueError(f"stages {pending} can never start (their BC is missing)")
        now, _, stage = heapq.heappop(running)
        done.add(stage)
    return now


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dirs", nargs="+", metavar="dir",
                   help="benchmark output directories (their results.json); a later one's stages replace an earlier one's")
    p.add_argument("--seed", type=int, default=0, help="whose stage seconds to use (default 0)")
    p.add_argument("--jobs", type=int, default=2, help="parallel stages (default 2, the benchmark's on 2 cores)")
    p.add_argument("--budget", default="standard", choices=sorted(BUDGETS), help="whose tasks, in plan order")
    p.add_argument("--algos", default=",".join(PAPER_ALGOS), help="comma-separated methods (default: the paper's six)")
    p.add_argument("--envs", default=None,
                   help="comma-separated tasks in the order the benchmark was given them (default: the budget's)")
    args = p.parse_args()
    seconds = {}
    for d in args.dirs:
        path = Path(d) / "results.json"
        if not path.is_file():
            p.error(f"{path} does not exist: give a benchmark output directory (lmrl-eval benchmark --out)")
        seconds.update(stage_seconds(json.loads(path.read_text(encoding="utf-8")), args.seed))
    algos = [a.strip() for a in args.algos.split(",") if a.strip()]
    budget = BUDGETS[args.budget]
    envs = [e.strip() for e in args.envs.split(",") if e.strip()] if args.envs else list(budget.envs)
    unknown = [e for e in envs if e not in budget.envs]
    if unknown:
        p.error(f"--envs: {', '.join(unknown)} not in the {args.budget} budget's tasks ({', '.join(budget.envs)})")
    print(f"# {' + '.join(args.dirs)}, seed {args.seed}, {args.jobs} jobs; stage seconds as measured (training + evaluation)")
    print(f"{'task':18s} {'stages':>6s} {'missing':>7s} {'stage min':>9s} {'wall min':>8s}")
    suite, missing = [], 0
    for env in envs:
        stages = plan(budget, [env], algos, [args.seed])
        have = [s for s in stages if s in seconds]
        gone = len(stages) - len(have)
        missing += gone
        suite += have
        wall = schedule(have, seconds, args.jobs) if have else 0.0
        print(f"{env:18s} {len(stages):6d} {gone:7d} {sum(seconds[s] for s in have) / 60:9.1f} {wall / 60:8.1f}")
    total = sum(seconds[s] for s in suite)
    print(f"{'suite':18s} {len(suite) + missing:6d} {missing:7d} {total / 60:9.1f} "
          f"{schedule(suite, seconds, args.jobs) / 60:8.1f}"
          + (f"  ({missing} stages missing: a lower bound)" if missing else ""))


if __name__ == "__main__":
    main()
