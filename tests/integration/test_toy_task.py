"""A new task is one env, one register call with its record, one data policy: then the benchmark runs it.

The toy task below (`lmrl_envs.testing.CountEnv` under a new id) is registered here and nowhere else (no preset row, no normalisation table, no
benchmark list), and `lmrl-eval benchmark --envs toy-up` trains and scores every method on it with
a tiny budget: the record gives the constants, protocol and decoding, the presets' fallback the
hyper-parameters.
"""

from __future__ import annotations

import json

import pytest

import lmrl_envs
from lmrl_data.policies import BehaviourPolicy, Recipe, register_recipe
from lmrl_envs import Decoding, EvalProtocol, Normalization, TaskRecord
from lmrl_envs.testing import CountEnv, EnvConformance
from lmrl_eval.benchmark import ALGOS, ALL_ENVS, BenchmarkConfig, Budget, run_benchmark

TOY = "toy-up"


class MostlyUp(BehaviourPolicy):
    """The toy's data policy: "up" with probability 0.6, else "down"."""

    name = "toy-mostly-up"

    def choose(self, history, state, rng):
        return "up\n" if rng.random() < 0.6 else "down\n"


RECORD = TaskRecord(protocol=EvalProtocol("seeds", 64),
                    normalization=Normalization(-4.0, 0.2, 1.0, "the toy's reward rule (made up for this test)"),
                    decoding=Decoding(rerank=True))  # re-rank the env's valid_actions()
if f"{TOY}-v0" not in lmrl_envs.list_envs():
    lmrl_envs.register(f"{TOY}-v0", CountEnv, description="Say up twice.", task=RECORD)
    register_recipe(Recipe(f"{TOY}-v0", MostlyUp, default_episodes=40, bc_filter="success"))


class TestToyConformance(EnvConformance):
    env_id = TOY
    check_imports = False  # registered in this process only: a fresh interpreter does not know it


OFFLINE = {"steps": 2, "batch_size": 8, "max_length": 64}
ONLINE = {"steps": 1, "n_rollouts": 4, "rollout_batch": 4, "max_new_tokens": 4, "max_length": 64}
BUDGET = Budget(name="toy", envs=(TOY,), data={TOY: 40},
                train={"bc": OFFLINE, "filtered-bc": OFFLINE, "mc": OFFLINE, "ilql": OFFLINE,
                       "ppo": {**ONLINE, "epochs": 1}, "online-filtered-bc": {**ONLINE, "bc_steps": 2},
                       **{a: {**ONLINE, "epochs": 1, "group_size": 4} for a in ("grpo", "rloo", "gigpo")},
                       "archer": {**ONLINE, "critic_steps": 2}},
                eval={TOY: 16})


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy-bench")
    cfg = BenchmarkConfig(out=str(out), envs=(TOY,), algos=ALGOS, device="cpu", progress=False, threads=1)
    report = run_benchmark(cfg, command="lmrl-eval benchmark --envs toy-up", budget=BUDGET)
    return out, report


def test_the_toy_is_a_registered_task_but_not_a_paper_task():
    spec = lmrl_envs.spec(TOY)
    assert (spec.name, spec.task.family, spec.task.paper_order) == (TOY, TOY, None)
    assert TOY not in ALL_ENVS and len(ALL_ENVS) == 10


def test_every_method_runs_and_is_scored_with_the_records_constants(bench):
    out, report = bench
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert [(r["env_id"], r["algo"]) for r in runs] == [(f"{TOY}-v0", a) for a in ALGOS]
    for run in runs:
        ev = run["eval"]
        assert ev["episodes"] == 16 and -4.0 <= ev["return_mean"] <= 1.0
        assert ev["score"] == RECORD.normalization.score(ev["return_mean"]), run["algo"]
        assert ev["decode"]["rerank"] is True  # the record's decoding: the 2 valid actions re-ranked
    row = next(line for line in report.splitlines() if line.startswith(f"| {TOY} |"))
    assert row.count("|") == len(ALGOS) + 2 and "missing" not in row and "n/a" not in row


def test_methods_without_a_preset_row_train_with_the_default_preset(bench):
    out, _ = bench
    state = json.loads((out / TOY / "filtered-bc" / "seed0" / "checkpoint" / "state.json").read_text())
    assert (state["config"]["preset"], state["config"]["top_fraction"], state["config"]["success_only"]) == (
        TOY, 0.3, False)  # presets.DEFAULT_PRESET: the top 30 % by return
