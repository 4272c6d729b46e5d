"""Environment stepping speed per task: one env in a bare loop, and 64 envs through `VectorEnv`.

The policy is scripted and cheap so the env is what gets measured: a uniformly random legal action
where the task lists them (`valid_actions()`: maze, text-nav, wordle, chess), else the task's
behaviour policy from lmrl-data (20Q, Guess My City, Car Dealer). Wordle is measured twice: with the
original's semantics (the hidden word resampled from the consistent set) and with a fixed word.

    python bench/env_throughput.py                   # all tasks, ~1-2 minutes
    python bench/env_throughput.py --envs maze-fo,wordle --seconds 3 --json bench/results/env.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time

import lmrl_envs
from lmrl_envs import VectorEnv

CASES = [
    ("maze-fo", {}), ("maze-po", {}), ("text-nav-fo", {}), ("text-nav-po", {}),
    ("wordle", {}), ("wordle", {"resample_hidden": False}),
    ("chess", {"preset": "fast"}), ("endgames", {"preset": "fast"}),
    ("twenty-questions", {}), ("guess-my-city", {}), ("car-dealer", {}),
]


def _scripted(env_id: str, seed: int):
    """A policy for tasks without a small action set: lmrl-data's behaviour policy."""
    from lmrl_data.policies import make_policy

    return make_policy(env_id, "behaviour", seed=seed)


def _label(env_id: str, kwargs: dict) -> str:
    return env_id + ("" if not kwargs else " (" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")")


def single_env(env_id: str, kwargs: dict, seconds: float) -> tuple[float, int, int]:
    """Steps/s of one env in a bare reset/step loop with a random legal (or scripted) policy."""
    env = lmrl_envs.make(env_id, **kwargs)
    rng = random.Random(0)
    env.reset(seed=0)
    scripted = None if env.valid_actions() is not None else _scripted(env_id, 0)
    steps = episodes = 0
    seed = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        valid = env.valid_actions()
        if scripted is None:
            action = valid[rng.randrange(len(valid))]
        else:
            action = scripted.act([env.history], [0])[0]
        *_, terminated, truncated, _ = env.step(action)
        steps += 1
        if terminated or truncated:
            episodes += 1
            if scripted is not None:
                scripted.end_episode(0)
            if time.perf_counter() > deadline:
                break
            seed += 1
            env.reset(seed=seed)
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed, steps, episodes


def vectorised(env_id: str, kwargs: dict, seconds: float, n: int) -> float:
    """Steps/s of `n` envs stepped together through `VectorEnv` (auto-reset)."""
    venv = VectorEnv([lmrl_envs.make(env_id, **kwargs) for _ in range(n)], seed=0)
    rng = random.Random(0)
    scripted = None if venv.envs[0].valid_actions() is not None else _scripted(env_id, 0)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        slots = venv.active_slots()
        if scripted is None:
            actions = [va[rng.randrange(len(va))] for va in venv.valid_actions(slots)]
        else:
            actions = scripted.act(venv.histories(slots), slots)
        *_, infos = venv.step(actions, slots)
        for slot, info in zip(slots, infos):
            if "episode" in info and scripted is not None:
                scripted.end_episode(slot)
        steps += len(slots)
    elapsed = time.perf_counter() - start
    venv.close()
    return steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", default=None, help="comma-separated task ids (default: all)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement (default 3)")
    parser.add_argument("--vector", type=int, default=64, help="envs in the vectorised measurement (default 64)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    wanted = set(args.envs.split(",")) if args.envs else None
    rows = []
    print(f"{'task':42s} {'1 env steps/s':>14s} {f'{args.vector} envs steps/s':>16s} {'episodes/s (1 env)':>19s}")
    for env_id, kwargs in CASES:
        if wanted and env_id not in wanted:
            continue
        try:
            sps, steps, eps = single_env(env_id, kwargs, args.seconds)
            vsps = vectorised(env_id, kwargs, args.seconds, args.vector if "chess" not in env_id and "endgames" not in env_id else 8)
        except Exception as e:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"{_label(env_id, kwargs):42s} error: {type(e).__name__}: {e}")
            continue
        eps_s = eps / (steps / sps)
        rows.append({"task": _label(env_id, kwargs), "single_steps_per_s": round(sps), "vector_steps_per_s": round(vsps),
                     "vector_envs": args.vector, "single_episodes_per_s": round(eps_s, 1)})
        print(f"{_label(env_id, kwargs):42s} {sps:14,.0f} {vsps:16,.0f} {eps_s:19,.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": platform.platform(), "python": platform.python_version(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
