"""Environment stepping speed per task: one env in a bare loop, and 64 envs through `VectorEnv`.

The policy is scripted and cheap so that the env is what gets measured, and the env's own time
(`step` + `reset` calls, or `VectorEnv.step` with its auto-resets) is timed apart from the policy's:

* **random legal action** where the task has a small action set: maze (its 4 moves) and Wordle (its
  vocabulary) have a fixed set, listed once per env and cached (`valid_actions()` formats the
  400-word vocabulary on each call, about 100 us: calling it per step measured the policy, not the
  env); text-nav asks `valid_actions()` each step (a handful of commands); chess and endgames format
  one random legal move of the env's board (privileged access), not all of them;
* the task's **behaviour policy** from lmrl-data otherwise (20Q, Guess My City, Car Dealer), started
  per episode with ``begin_episode(slot, seed, env)`` as `lmrl_envs.rollout` does.

Wordle is measured twice: with the original's semantics (the hidden word resampled from the
consistent set) and with a fixed word. One step per env is taken before the clock starts (chess
starts its Stockfish process on the first step).

Columns: ``env steps/s`` = steps / seconds spent inside the env (the number the targets are about);
``loop steps/s`` = steps / wall seconds of the whole loop, policy included.

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
from lmrl_envs import TextEnv, VectorEnv

CASES = [
    ("maze-fo", {}), ("maze-po", {}), ("text-nav-fo", {}), ("text-nav-po", {}),
    ("wordle", {}), ("wordle", {"resample_hidden": False}),
    ("chess", {"preset": "fast"}), ("endgames", {"preset": "fast"}),
    ("twenty-questions", {}), ("guess-my-city", {}), ("car-dealer", {}),
]
FIXED_ACTION_SETS = ("maze", "wordle")
"""Tasks whose `valid_actions()` is the same in every state: listed once per env."""
CHESS = ("chess", "endgames")


class RandomLegal:
    """A uniformly random legal action per slot (`lmrl_envs.Policy`; reads each slot's env, see the module doc)."""

    def __init__(self, env_id: str, seed: int = 0):
        self.kind = "fixed" if env_id.startswith(FIXED_ACTION_SETS) else "chess" if env_id in CHESS else "valid"
        self.rng = random.Random(seed)
        self.envs: dict[int, TextEnv] = {}
        self.fixed: dict[int, list[str]] = {}

    def begin_episode(self, slot: int, seed: int | None, env: TextEnv) -> None:
        self.envs[slot] = env
        if self.kind == "fixed" and slot not in self.fixed:
            self.fixed[slot] = env.valid_actions()

    def act(self, histories, slots) -> list[str]:
        out = []
        for slot in slots:
            if self.kind == "fixed":
                actions = self.fixed[slot]
            elif self.kind == "chess":
                board = self.envs[slot].board
                moves = list(board.legal_moves)
                out.append(" ".join(board.san(moves[self.rng.randrange(len(moves))])) + "\n")
                continue
            else:
                actions = self.envs[slot].valid_actions()
            out.append(actions[self.rng.randrange(len(actions))])
        return out

    def end_episode(self, slot: int) -> None:
        pass


def make_policy(env_id: str, env: TextEnv, seed: int = 0):
    """RandomLegal where the task lists its legal actions, else lmrl-data's behaviour policy."""
    if env.valid_actions() is not None:
        return RandomLegal(env_id, seed)
    from lmrl_data.policies import make_policy as behaviour

    return behaviour(env_id, "behaviour", seed=seed)


def _label(env_id: str, kwargs: dict) -> str:
    return env_id + ("" if not kwargs else " (" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")")


def single_env(env_id: str, kwargs: dict, seconds: float) -> dict:
    """One env in a bare reset/step loop; returns steps, episodes, env seconds and wall seconds."""
    env = lmrl_envs.make(env_id, **kwargs)
    env.reset(seed=0)
    policy = make_policy(env_id, env)
    seed = 0
    policy.begin_episode(0, seed, env)
    env.step(policy.act([env.history], [0])[0] or "\n")  # warm-up (chess starts its engine here)
    policy.end_episode(0)
    steps = episodes = 0
    env_s = 0.0
    clock = time.perf_counter
    start = clock()
    deadline = start + seconds
    t = clock()
    env.reset(seed=seed)
    env_s += clock() - t
    policy.begin_episode(0, seed, env)
    while True:
        action = policy.act([env.history], [0])[0]
        if action is None:  # a behaviour policy's random horizon: the episode ends without a step
            done = True
        else:
            t = clock()
            *_, terminated, truncated, _ = env.step(action)
            env_s += clock() - t
            steps += 1
            done = terminated or truncated
        if done:
            episodes += 1
            policy.end_episode(0)
            if clock() > deadline:
                break
            seed += 1
            t = clock()
            env.reset(seed=seed)
            env_s += clock() - t
            policy.begin_episode(0, seed, env)
    wall = clock() - start
    env.close()
    return {"steps": steps, "episodes": episodes, "env_s": env_s, "wall_s": wall}


def vectorised(env_id: str, kwargs: dict, seconds: float, n: int) -> dict:
    """`n` envs stepped together through `VectorEnv` (auto-reset); the env time is `VectorEnv.step`'s."""
    venv = VectorEnv([lmrl_envs.make(env_id, **kwargs) for _ in range(n)], seed=0)
    policy = make_policy(env_id, venv.envs[0])
    for slot in venv.active_slots():
        policy.begin_episode(slot, venv.current_seed(slot), venv.envs[slot])
    steps, env_s, warm = 0, 0.0, True
    clock = time.perf_counter
    start = clock()
    while warm or clock() - start < seconds:
        slots = venv.active_slots()
        actions = policy.act(venv.histories(slots), slots)
        t = clock()
        *_, infos = venv.step(actions, slots)
        dt = clock() - t
        for slot, info in zip(slots, infos, strict=True):
            if "episode" in info:
                policy.end_episode(slot)
                policy.begin_episode(slot, venv.current_seed(slot), venv.envs[slot])
        if warm:  # the first step of every env is not timed (engine start-up)
            warm, start = False, clock()
            continue
        env_s += dt
        steps += sum(a is not None for a in actions)
    wall = clock() - start
    venv.close()
    return {"steps": steps, "env_s": env_s, "wall_s": wall, "envs": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", default=None, help="comma-separated task ids (default: all)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement (default 3)")
    parser.add_argument("--vector", type=int, default=64, help="envs in the vectorised measurement (default 64; "
                        "chess and endgames use 8: one Stockfish process each)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    wanted = set(args.envs.split(",")) if args.envs else None
    rows = []
    print(f"{'task':32s} {'1 env: env steps/s':>19s} {'loop steps/s':>13s} {'episodes/s':>11s} "
          f"{'N envs: env steps/s':>20s} {'N':>3s}")
    for env_id, kwargs in CASES:
        if wanted and env_id not in wanted:
            continue
        n = 8 if env_id in CHESS else args.vector
        try:
            s = single_env(env_id, kwargs, args.seconds)
            v = vectorised(env_id, kwargs, args.seconds, n)
        except Exception as e:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"{_label(env_id, kwargs):32s} error: {type(e).__name__}: {e}")
            continue
        row = {"task": _label(env_id, kwargs), "single_env_steps_per_s": round(s["steps"] / s["env_s"]),
               "single_loop_steps_per_s": round(s["steps"] / s["wall_s"]),
               "single_env_episodes_per_s": round(s["episodes"] / s["env_s"], 1),
               "vector_env_steps_per_s": round(v["steps"] / v["env_s"]), "vector_envs": n, "single": s, "vector": v}
        rows.append(row)
        print(f"{row['task']:32s} {row['single_env_steps_per_s']:19,d} {row['single_loop_steps_per_s']:13,d} "
              f"{row['single_env_episodes_per_s']:11,.1f} {row['vector_env_steps_per_s']:20,d} {n:3d}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": platform.platform(), "python": platform.python_version(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
