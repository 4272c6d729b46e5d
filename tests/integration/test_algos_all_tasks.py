"""Every algorithm trains on every task's dataset (lmrl-data -> lmrl-algos), a few steps, tiny model, CPU.

One small dataset per task is generated once (module fixture); one BC run per task is shared by the
algorithms that start from it (--init). Offline algorithms take 2 optimiser steps; the online ones
play one tiny round on the tasks with short episodes (chess rollouts against Stockfish are slow).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

import lmrl_envs
from lmrl_algos import load_policy, make_config, train
from lmrl_data.generate import GenerateConfig, generate

ENVS = lmrl_envs.list_tasks(paper=True)
"""The paper's ten tasks, from the registry (their task records' ``paper_order``)."""
EPISODES = {"chess": 2, "endgames": 3}
"""Episodes per dataset (default 8): chess and endgames play Stockfish, so theirs stay tiny."""
OFFLINE = {"steps": 2, "batch_size": 4, "max_length": 256, "log_every": 1, "device": "cpu"}
ONLINE = {"steps": 1, "batch_size": 64, "n_rollouts": 2, "rollout_batch": 2, "max_new_tokens": 4, "device": "cpu"}
ONLINE_EXTRA = {"ppo": {"epochs": 1}, "online_filtered_bc": {"bc_steps": 2}}
"""One pass / two steps: a maze-fo episode alone is up to 101 chained segments."""
ONLINE_ENVS = ENVS
"""Every task: one round of 2 rollouts each (chess and endgames play Stockfish's fast preset)."""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("algos_all_tasks")


@pytest.fixture(scope="module")
def datasets(workdir) -> dict[str, Path]:
    if any(e in ENVS for e in ("chess", "endgames")) and shutil.which("stockfish", path="/usr/games:/usr/bin") is None:
        pytest.skip("chess/endgames datasets need Stockfish (/usr/games/stockfish)")
    out = {}
    for env in ENVS:
        d = workdir / "data" / env
        manifest = generate(GenerateConfig(env, str(d), episodes=EPISODES.get(env, 8), seed=0, eval_percent=0.0,
                                           progress=False))
        assert manifest["counts"]["train"] == EPISODES.get(env, 8)
        out[env] = d / "train.jsonl"
    return out


@pytest.fixture(scope="module")
def bc_runs(datasets, workdir) -> dict[str, Path]:
    runs = {}
    for env, data in datasets.items():
        runs[env] = workdir / "bc" / env
        train(make_config("bc", env=env, data=str(data), out=str(runs[env]), lr=1e-3, **OFFLINE))
    return runs


def _metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def _state(run: Path) -> dict:
    return json.loads((run / "checkpoint" / "state.json").read_text())


@pytest.mark.parametrize("env", ENVS)
def test_bc_trains_on_every_task(env, bc_runs):
    run = bc_runs[env]
    state = _state(run)
    assert (state["algo"], state["step"], state["env_id"]) == ("bc", 2, lmrl_envs.spec(env).id)
    rows = _metrics(run)
    assert [r["step"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["losses/bc"]) and r["losses/bc"] > 0 for r in rows)


@pytest.mark.parametrize("algo", ["filtered_bc", "mc", "ilql"])
@pytest.mark.parametrize("env", ENVS)
def test_offline_algorithm_trains_on_every_task(env, algo, datasets, bc_runs, tmp_path):
    extra = {"top_fraction": 0.5, "success_only": False} if algo == "filtered_bc" else {}
    train(make_config(algo, preset=env, env=env, data=str(datasets[env]), out=str(tmp_path), init=str(bc_runs[env]),
                      **OFFLINE, **extra))
    state = _state(tmp_path)
    assert (state["algo"], state["step"], state["env_id"]) == (algo, 2, lmrl_envs.spec(env).id)
    rows = _metrics(tmp_path)
    assert [r["step"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["losses/total"]) for r in rows)
    if algo in ("mc", "ilql"):
        assert all(math.isfinite(r["losses/q"]) and math.isfinite(r["values/q_mean"]) for r in rows)
    if algo == "ilql":  # the target network is saved next to the model
        assert (tmp_path / "checkpoint" / "extra.safetensors").exists()


@pytest.mark.parametrize("algo", ["ppo", "online_filtered_bc"])
@pytest.mark.parametrize("env", ONLINE_ENVS)
def test_online_algorithm_runs_a_round(env, algo, bc_runs, tmp_path):
    train(make_config(algo, preset=env, env=env, out=str(tmp_path), init=str(bc_runs[env]), **ONLINE,
                      **ONLINE_EXTRA[algo]))
    state = _state(tmp_path)
    assert (state["algo"], state["round"], state["env_id"]) == (algo, 1, lmrl_envs.spec(env).id)
    (row,) = _metrics(tmp_path)
    low, high = lmrl_envs.make(env).reward_range
    steps = lmrl_envs.make(env).max_steps
    assert row["step"] == 1
    assert min(low * steps, low) <= row["charts/return"] <= max(high * steps, high)


def test_trained_policies_play_their_task(bc_runs):
    """The BC checkpoints of the cheap tasks play whole episodes through `lmrl_envs.rollout`."""
    for env in ("maze-fo", "wordle", "twenty-questions"):
        policy = load_policy(bc_runs[env], "cpu", env_id=env, greedy=True, max_new_tokens=4)
        eps = lmrl_envs.rollout([lmrl_envs.make(env) for _ in range(2)], policy, 2, seed=0)
        assert len(eps) == 2
        assert all(ep.env_id == lmrl_envs.spec(env).id and len(ep.rewards) >= 1 for ep in eps)
        assert all(torch.isfinite(torch.tensor(ep.rewards)).all() for ep in eps)
