"""Dataset generation speed (episodes/s) per task with 1 and 2 worker processes.

Usage: python bench/datagen_throughput.py [--episodes N] [--tasks maze-fo,wordle,...] [--json PATH]

Prints a table and a JSON line. Each measurement generates N episodes (default: per task, see
`_DEFAULT_N`) into a temporary directory with `lmrl_data.generate`; the time includes process
start-up for 2 workers and the final concatenation, so small N understates multi-worker speed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import time

from lmrl_data import RECIPES, GenerateConfig, generate

_DEFAULT_N = {"maze-fo-v0": 2000, "maze-po-v0": 2000, "text-nav-fo-v0": 1000, "text-nav-po-v0": 1000,
              "wordle-v0": 2000, "chess-v0": 16, "endgames-v0": 40, "twenty-questions-v0": 1000,
              "guess-my-city-v0": 1000, "car-dealer-v0": 1000}


def measure(env_id: str, n: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        generate(GenerateConfig(env_id, out, episodes=n, workers=workers, progress=False))
        return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=None, help="episodes per measurement (default: per task)")
    ap.add_argument("--tasks", default=None, help="comma-separated dataset ids (default: all available)")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args()
    ids = args.tasks.split(",") if args.tasks else list(RECIPES)
    rows = []
    for env_id in ids:
        recipe = RECIPES[env_id] if env_id in RECIPES else RECIPES[f"{env_id}-v0"]
        module = recipe.policy.rsplit(":", 1)[0]
        try:
            available = importlib.util.find_spec(module) is not None
            if available:
                importlib.import_module(module)
        except ImportError:
            available = False
        if not available:
            rows.append({"task": recipe.env_id, "skipped": f"{module} not importable"})
            continue
        n = args.episodes or _DEFAULT_N.get(recipe.env_id, 200)
        rows.append({"task": recipe.env_id, "episodes": n, "eps_per_s_1_worker": round(measure(recipe.env_id, n, 1), 1),
                     "eps_per_s_2_workers": round(measure(recipe.env_id, n, 2), 1)})
    print(f"{'task':<22} {'episodes':>9} {'1 worker':>10} {'2 workers':>10}   (episodes/s)")
    for r in rows:
        if "skipped" in r:
            print(f"{r['task']:<22} skipped: {r['skipped']}")
        else:
            print(f"{r['task']:<22} {r['episodes']:>9} {r['eps_per_s_1_worker']:>10} {r['eps_per_s_2_workers']:>10}")
    print(json.dumps({"bench": "datagen_throughput", "results": rows}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
