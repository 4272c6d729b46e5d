"""--eval-every: eval/* rows at the expected steps, the protocol, and no effect on training."""

import json
import math
import random

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import load_policy, make_config, train
from lmrl_algos.cli import main
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.evaluation import eval_seed, evaluate_model, summarize
from lmrl_algos.policy import LMPolicy
from lmrl_envs import StepResult, TextEnv

EVAL = ("eval/return", "eval/return_stderr", "eval/success", "eval/length")
BC = {"env": "toy-count-v0", "steps": 25, "batch_size": 4, "max_length": 64, "lr": 3e-3, "log_every": 5,
      "device": "cpu", "bf16": False}
PPO = {"env": "toy-count-v0", "steps": 4, "batch_size": 8, "n_rollouts": 4, "rollout_batch": 4, "max_new_tokens": 6,
       "device": "cpu"}


def _rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _eval_rows(out):
    return [r for r in _rows(out) if "eval/return" in r]


def _weights(out):
    return load_file(out / "checkpoint" / "model" / "model.safetensors")


def _assert_same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k


def _assert_toy_range(row, episodes):
    assert set(EVAL) <= set(row)
    assert -4.0 <= row["eval/return"] <= 1.0  # every action -1 (4 of them) .. two "up"s (+1)
    assert 1.0 <= row["eval/length"] <= 4.0
    assert row["eval/return_stderr"] >= 0.0
    wins = row["eval/success"] * episodes  # a whole number of the `episodes` episodes succeeded
    assert 0 <= wins <= episodes and math.isclose(wins, round(wins), abs_tol=1e-9)


@pytest.fixture(scope="module")
def bc_runs(toy_data, tmp_path_factory):
    """The same BC run with evaluation every 10 steps (8 episodes) and without."""
    root = tmp_path_factory.mktemp("eval")
    train(make_config("bc", data=str(toy_data), out=str(root / "on"), eval_every=10, eval_episodes=8, **BC))
    train(make_config("bc", data=str(toy_data), out=str(root / "off"), **BC))
    return root / "on", root / "off"


def test_bc_logs_eval_every_n_steps_and_at_the_end(bc_runs):
    on, off = bc_runs
    rows = _eval_rows(on)
    assert [r["step"] for r in rows] == [10, 20, 25]  # every 10 steps, and the final step 25
    for r in rows:
        _assert_toy_range(r, 8)
    assert _eval_rows(off) == []
    # the training rows are the same steps with or without evaluation
    train_steps = [r["step"] for r in _rows(on) if "losses/total" in r]
    assert train_steps == [r["step"] for r in _rows(off)] == [5, 10, 15, 20, 25]


def test_bc_eval_does_not_change_training(bc_runs):
    on, off = bc_runs
    _assert_same_weights(on, off)
    train_on = [{k: v for k, v in r.items() if k != "time"} for r in _rows(on) if "losses/total" in r]
    train_off = [{k: v for k, v in r.items() if k not in ("time", "charts/tokens_per_s")} for r in _rows(off)]
    assert [{k: v for k, v in r.items() if k != "charts/tokens_per_s"} for r in train_on] == train_off


def test_final_eval_is_the_protocol_on_the_final_weights(bc_runs):
    on, _ = bc_runs
    policy = load_policy(on, "cpu")
    model, tok = policy.model.train(), policy.tok
    again = evaluate_model(model, tok, "toy-count-v0", algo="bc", episodes=8, seed=0, max_length=64)
    assert again == {k: _eval_rows(on)[-1][k] for k in EVAL}
    assert model.training  # back in train mode
    # the protocol by hand: 8 seeded episodes, sampled at temperature 1 from a generator seeded 0
    by_hand = LMPolicy(model, tok, greedy=False, max_length=64, seed=0)
    eps = lmrl_envs.rollout([lmrl_envs.make("toy-count-v0") for _ in range(8)], by_hand,
                            specs=lmrl_envs.specs_from_seeds(8, eval_seed(0)))
    assert [e.seed for e in eps] == list(range(1_000_000, 1_000_008))
    returns = [e.total_return for e in eps]
    assert again["eval/return"] == pytest.approx(sum(returns) / 8, abs=1e-12)
    assert again["eval/success"] == sum(e.success for e in eps) / 8
    assert again["eval/length"] == sum(e.length for e in eps) / 8
    # fewer episodes: the first 3 of the same seeds
    three = evaluate_model(model, tok, "toy-count-v0", algo="bc", episodes=3, seed=0, max_length=64)
    assert three == summarize(lmrl_envs.rollout(
        [lmrl_envs.make("toy-count-v0") for _ in range(3)], LMPolicy(model, tok, max_length=64, seed=0),
        specs=lmrl_envs.specs_from_seeds(3, eval_seed(0))))


def test_ppo_logs_eval_every_n_rounds_and_does_not_change_training(bc_runs, tmp_path):
    bc, _ = bc_runs
    train(make_config("ppo", out=str(tmp_path / "on"), init=str(bc), eval_every=2, eval_episodes=5, **PPO))
    train(make_config("ppo", out=str(tmp_path / "off"), init=str(bc), **PPO))
    rows = _eval_rows(tmp_path / "on")
    assert [r["step"] for r in rows] == [2, 4]  # rounds 2 and 4; 4 is the last, evaluated once
    for r in rows:
        _assert_toy_range(r, 5)
    _assert_same_weights(tmp_path / "on", tmp_path / "off")
    charts = [[r["charts/return"], r["losses/policy"]] for r in _rows(tmp_path / "off")]
    assert [[r["charts/return"], r["losses/policy"]] for r in _rows(tmp_path / "on") if "charts/return" in r] == charts


class _RandomResetEnv(TextEnv):
    """A badly behaved env: its reset draws from the global Python and torch generators."""

    max_steps = 2

    def _reset(self, options):
        random.random()
        torch.rand(3)
        return "Count:\n", {}

    def _step(self, action):
        return StepResult("ok\n", 0.0)


def test_evaluation_leaves_global_rng_and_model_mode_alone(bc_runs):
    if "toy-rng-v0" not in lmrl_envs.list_envs():
        lmrl_envs.register("toy-rng-v0", _RandomResetEnv)
    on, _ = bc_runs
    policy = load_policy(on, "cpu")
    model = policy.model.eval()
    random.seed(5)
    torch.manual_seed(5)
    py, th = random.getstate(), torch.get_rng_state()
    m = evaluate_model(model, policy.tok, "toy-rng-v0", algo="bc", episodes=3, max_length=64, max_new_tokens=4)
    assert m["eval/length"] == 2.0 and m["eval/return"] == 0.0
    assert random.getstate() == py and torch.equal(torch.get_rng_state(), th)
    assert not model.training  # an eval-mode model stays in eval mode


def test_eval_flags_in_help_and_checked(toy_data, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "bc", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--eval-every EVAL_EVERY" in text and "--eval-episodes EVAL_EPISODES" in text
    assert "(default: 32)" in text.split("--eval-episodes EVAL_EPISODES")[1]
    with pytest.raises(ConfigError, match="--eval-episodes must be >= 1"):
        make_config("bc", data=str(toy_data), out=str(tmp_path), eval_every=1, eval_episodes=0, **BC).validate()
    with pytest.raises(ConfigError, match="--eval-every must be >= 0"):
        make_config("bc", data=str(toy_data), out=str(tmp_path), eval_every=-1, **BC).validate()
