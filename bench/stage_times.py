"""What one step of each benchmark stage costs, per task: a short run of every method, timed.

Runs `lmrl_eval.benchmark.run_benchmark` with a tiny budget (a small dataset, 40 offline steps, one online
round of 16 rollouts, 32 evaluation episodes of each method) and prints, per task and method, the training
seconds per step (offline) or per round (online) and the evaluation seconds per episode. The standard
budget's per-task steps (`lmrl_eval.benchmark._STANDARD_TASKS`) were sized from this table.

The numbers include each stage's fixed costs (model loading; BC also trains the tiny tokenizer), so they
over-state the per-step cost of a long run slightly; the evaluation plays barely trained policies, which
mostly run to the step cap (the costliest episodes).

    python bench/stage_times.py --envs twenty-questions,wordle --out /tmp/stage-times
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from lmrl_eval.benchmark import ALL_ENVS, BenchmarkConfig, Budget, run_benchmark

DATA = {"text-nav-fo": 1000, "text-nav-po": 1000, "wordle": 2000, "chess": 24, "endgames": 100,
        "twenty-questions": 1000, "guess-my-city": 1000, "car-dealer": 1000}
"""Episodes per dataset (None, the Maze's: the paper's 1,240)."""

ONLINE = {"lr": 1e-4, "n_rollouts": 16, "rollout_batch": 16, "max_new_tokens": 16}


def budget(envs: tuple[str, ...]) -> Budget:
    return Budget(name="stage-times", envs=envs, data={e: DATA.get(e) for e in envs},
                  train={"bc": {"steps": 40, "lr": 1e-3}, "filtered-bc": {"steps": 20, "lr": 1e-3},
                         "mc": {"steps": 40, "lr": 1e-3}, "ilql": {"steps": 40, "lr": 1e-3, "polyak": 0.05},
                         "ppo": {"steps": 1, **ONLINE},
                         "online-filtered-bc": {"steps": 1, **ONLINE, "lr": 1e-3, "bc_steps": 8}},
                  eval={e: 32 for e in envs}, threads=1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", default=",".join(ALL_ENVS), help="comma-separated tasks (default: all ten)")
    p.add_argument("--out", default="bench/results/stage-times", help="benchmark directory (resumes)")
    p.add_argument("--json", help="also write the table as JSON here")
    args = p.parse_args()
    envs = tuple(e.strip() for e in args.envs.split(",") if e.strip())
    t0, load0 = time.time(), os.getloadavg()[0]
    run_benchmark(BenchmarkConfig(out=args.out, progress=False), budget=budget(envs))
    rows = []
    for run in json.loads((Path(args.out) / "results.json").read_text())["runs"]:
        train, ev = run["train"], run["eval"]
        steps = max(1, train["steps"] or 1)
        rows.append({"env": run["env_id"], "algo": run["algo"], "train_s": train["seconds"], "steps": steps,
                     "s_per_step": round(train["seconds"] / steps, 3), "eval_s": ev["seconds"],
                     "episodes": ev["episodes"], "s_per_episode": round(ev["seconds"] / ev["episodes"], 3),
                     "episode_length": ev["length_mean"]})
    print(f"# {len(envs)} tasks in {time.time() - t0:.0f} s (this invocation), load average "
          f"{load0:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; one torch thread")
    print(f"{'task':22s} {'method':20s} {'train s':>8s} {'steps':>6s} {'s/step':>7s} {'eval s':>7s} "
          f"{'s/episode':>9s} {'length':>7s}")
    for r in rows:
        print(f"{r['env']:22s} {r['algo']:20s} {r['train_s']:8.1f} {r['steps']:6d} {r['s_per_step']:7.2f} "
              f"{r['eval_s']:7.1f} {r['s_per_episode']:9.3f} {r['episode_length']:7.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
