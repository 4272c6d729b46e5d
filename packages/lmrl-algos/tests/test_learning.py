"""Learning tests: on a task whose data mostly takes the worse action, each algorithm learns what it promises.

``toy-trap-v0`` (defined here): two doors in a row, then out. At each door ``"right\\n"`` goes on (to door 2,
then out: success, terminated) and ``"left\\n"`` (or anything else) drops into a pit. Every step at a door
pays 0, so the two actions look the same one step ahead; each step in the pit then costs -1 until the
4-step cap (truncated). Returns: right-right 0, right-left -2, left -3.

The data (128 episodes) is a behaviour policy taking ``"left\\n"`` 70 % of the time in every state. So:

* BC (greedy) must take the frequent action, left, at both doors: return -3.
* MC Returns and ILQL (from the BC run, as in the benchmark; re-ranked greedy decoding over the env's
  ``valid_actions()``, the benchmark's decoding for Maze) must take right at both doors: return 0. Under the
  behaviour policy Q(door 2, right) = 0 > Q(door 2, left) = -2 and Q(door 1, right) = -1.4 > Q(door 1, left)
  = -3, and only credit assigned past the door step tells them apart.
* PPO and online %BC, starting from that BC run (sampled success ~0.1), must raise the sampled success rate
  over 64 evaluation episodes to >= 0.7.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

import lmrl_envs
from lmrl_algos import load_policy, make_config, train
from lmrl_envs import StepResult, TextEnv

ENV = "toy-trap-v0"
GOOD, BAD = "right\n", "left\n"
OFFLINE = {"batch_size": 16, "max_length": 64, "log_every": 50, "device": "cpu", "cpu_threads": 1}
ONLINE = {"n_rollouts": 32, "rollout_batch": 16, "max_new_tokens": 4, "batch_size": 16, "max_length": 64,
          "device": "cpu", "cpu_threads": 1}
EVAL_EPISODES = 64


@pytest.fixture(autouse=True, scope="module")
def _restore_threads():
    """The runs' ``cpu_threads: 1`` sets torch's process-wide thread count; give the next modules theirs back."""
    import torch

    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


class TrapEnv(TextEnv):
    """Two doors: "right" twice gets out (return 0); "left" drops into a pit (-1 a step until the cap)."""

    max_steps = 4

    def _reset(self, options):
        self.door = 1  # 0: in the pit
        return "Door 1.\n", {}

    def _step(self, action):
        if self.door == 0:
            return StepResult("Pit.\n", -1.0)
        if action != GOOD:
            self.door = 0
            return StepResult("Pit.\n", 0.0)
        if self.door == 2:
            return StepResult("Out!\n", 0.0, terminated=True, info={"success": True})
        self.door = 2
        return StepResult("Door 2.\n", 0.0)

    def valid_actions(self):
        return [BAD, GOOD]


if ENV not in lmrl_envs.list_envs():
    lmrl_envs.register(ENV, TrapEnv)


def _behaviour(seed: int, p_bad: float = 0.7):
    rng = random.Random(seed)
    return lambda hs: [BAD if rng.random() < p_bad else GOOD for _ in hs]


@pytest.fixture(scope="module")
def trap_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("trap") / "trap.jsonl"
    envs = [lmrl_envs.make(ENV) for _ in range(8)]
    lmrl_envs.write_episodes(path, lmrl_envs.rollout(envs, _behaviour(0), 128, seed=0))
    return path


@pytest.fixture(scope="module")
def trap_bc(trap_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("trap-runs") / "bc"
    train(make_config("bc", env=ENV, data=str(trap_data), out=str(out), model="tiny", steps=150, lr=1e-3, **OFFLINE))
    return out


def _greedy_choices(path, **decoding) -> list[str]:
    """The greedy action at door 1 and at door 2 (reached by going right)."""
    env = lmrl_envs.make(ENV)
    env.reset(seed=0)
    door1 = env.history
    env.step(GOOD)
    policy = load_policy(path, "cpu", env_id=ENV, greedy=True, max_new_tokens=4, **decoding)
    return policy.act([door1, env.history], [0, 1])


def _rerank(envs):
    """Re-ranked decoding over each slot's ``env.valid_actions()`` (the benchmark's Maze decoding)."""
    return {"rerank": True, "candidates": lambda slot: envs[slot].valid_actions()}


def _evaluate(path, *, greedy: bool, rerank: bool = False) -> tuple[float, float]:
    """(mean return, success rate) over `EVAL_EPISODES` episodes; sampling is seeded."""
    envs = [lmrl_envs.make(ENV) for _ in range(16)]
    decoding = _rerank(envs) if rerank else {}
    policy = load_policy(path, "cpu", env_id=ENV, greedy=greedy, seed=0, max_new_tokens=4, **decoding)
    eps = lmrl_envs.rollout(envs, policy, EVAL_EPISODES, seed=10_000)
    return sum(ep.total_return for ep in eps) / len(eps), sum(ep.success for ep in eps) / len(eps)


def test_trap_data_prefers_the_worse_action(trap_data):
    eps = list(lmrl_envs.read_episodes(trap_data))
    paths = Counter(tuple(ep.texts[1::2][:2]) for ep in eps)  # the first two actions
    assert paths == {(BAD, BAD): 59, (GOOD, BAD): 35, (BAD, GOOD): 28, (GOOD, GOOD): 6}
    assert Counter(ep.total_return for ep in eps) == {-3.0: 87, -2.0: 35, 0.0: 6}
    assert sum(ep.success for ep in eps) == 6


def test_bc_takes_the_frequent_action(trap_bc):
    envs = [lmrl_envs.make(ENV) for _ in range(2)]
    assert _greedy_choices(trap_bc) == [BAD, BAD]
    assert _greedy_choices(trap_bc, **_rerank(envs)) == [BAD, BAD]
    assert _evaluate(trap_bc, greedy=True, rerank=True) == (-3.0, 0.0)


OFFLINE_RL = {
    "mc": {"steps": 200, "lr": 1e-4},
    # polyak 0.05 (default 0.005): the door-1 value is ~4 bootstraps away from the pit's rewards, and each
    # passes through the target network, which lags ~1/polyak steps (at 0.005 re-ranking needs ~600 steps)
    "ilql": {"steps": 200, "lr": 1e-4, "polyak": 0.05},
}


@pytest.mark.parametrize("algo", list(OFFLINE_RL))
def test_offline_rl_takes_the_better_action(algo, trap_data, trap_bc, tmp_path):
    train(make_config(algo, env=ENV, data=str(trap_data), out=str(tmp_path), init=str(trap_bc), **OFFLINE_RL[algo],
                      **OFFLINE))
    envs = [lmrl_envs.make(ENV) for _ in range(2)]
    assert _greedy_choices(tmp_path, **_rerank(envs)) == [GOOD, GOOD]
    ret, success = _evaluate(tmp_path, greedy=True, rerank=True)
    bc_ret, _ = _evaluate(trap_bc, greedy=True, rerank=True)
    assert (ret, success) == (0.0, 1.0)
    assert ret >= bc_ret + 3.0


ONLINE_RL = {
    "ppo": {"steps": 15, "lr": 1e-4},
    "online_filtered_bc": {"steps": 10, "lr": 1e-4, "success_only": True},
}


@pytest.mark.parametrize("algo", list(ONLINE_RL))
def test_online_rl_raises_the_success_rate(algo, trap_bc, tmp_path):
    start_ret, start_success = _evaluate(trap_bc, greedy=False)
    assert start_success <= 0.25
    train(make_config(algo, env=ENV, out=str(tmp_path), init=str(trap_bc), **ONLINE_RL[algo], **ONLINE))
    ret, success = _evaluate(tmp_path, greedy=False)
    assert success >= 0.7 and success >= start_success + 0.5, (start_success, success)
    assert ret >= start_ret + 1.5, (start_ret, ret)
