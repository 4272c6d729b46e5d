"""GRPO, RLOO and GiGPO: the advantages on hand-computed groups, the loss, how a round's groups are played, learning
on the trap task of test_learning.py (its fixtures), resume and a 2-process run."""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import ALGORITHMS, make_config, train
from lmrl_algos.cli import main
from lmrl_algos.common.config import ConfigError
from lmrl_algos.grpo import _GroupRun, action_advantages, group_advantages, grpo_loss, step_returns
from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer
from lmrl_envs import Episode


def _load(name):
    """A sibling test module by path (the tests are not a package): its trap env, fixtures and helpers."""
    spec = importlib.util.spec_from_file_location(f"_lmrl_algos_tests_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


learning = _load("test_learning")
trap_data, trap_bc, _restore_threads = learning.trap_data, learning.trap_bc, learning._restore_threads
ALGOS = ["grpo", "rloo", "gigpo"]
R2 = 1 / math.sqrt(2)  # a group of two unequal returns: GRPO advantages +-(d / 2) / (d / sqrt 2)


def _ep(texts, rewards, context_start):
    """An episode alternating observation, action, ..., observation (terminated)."""
    return Episode("toy-v0", 0, texts, [i % 2 == 1 for i in range(len(texts))], rewards, context_start,
                   terminated=True)


def _approx(rows):
    return [pytest.approx(r, abs=1e-5) for r in rows]


def test_grpo_advantage_is_the_return_standardised_within_the_group():
    assert group_advantages([2.0, 0.0, 1.0], "grpo") == pytest.approx([1.0, -1.0, 0.0], abs=1e-5)  # std 1 (n - 1)
    assert group_advantages([-3.0, -1.0], "grpo") == pytest.approx([-R2, R2], abs=1e-5)
    assert group_advantages([5.0, 5.0, 5.0], "grpo") == [0.0, 0.0, 0.0]  # nothing to compare: no signal
    assert group_advantages([4.0], "grpo") == [0.0]


def test_rloo_advantage_is_the_return_minus_the_mean_of_the_others():
    assert group_advantages([1.0, 2.0, 3.0, 6.0], "rloo") == pytest.approx([1 - 11 / 3, 2 - 10 / 3, 0.0, 4.0])
    assert group_advantages([3.0, 0.0, 0.0], "rloo") == [3.0, -1.5, -1.5]
    assert group_advantages([5.0, 5.0], "rloo") == [0.0, 0.0]


def test_step_returns_are_discounted_per_action():
    assert step_returns([0.0, -1.0, -1.0], 0.5) == [-0.75, -1.5, -1.0]
    assert step_returns([1.0, 2.0], 1.0) == [3.0, 2.0]


# one group of three: A -x-> B -y-> (2), A -u-> B -z-> (0), A -x-> C -v-> (1); each step sees only the last
# observation (context_start at it), as in maze-fo
GROUP = [_ep(["A\n", "x\n", "B\n", "y\n", "End\n"], [0.0, 2.0], [0, 2]),
         _ep(["A\n", "u\n", "B\n", "z\n", "End\n"], [0.0, 0.0], [0, 2]),
         _ep(["A\n", "x\n", "C\n", "v\n", "End\n"], [0.0, 1.0], [0, 2])]


def test_episode_advantage_applies_to_every_action_without_step_weight():
    advs = action_advantages(GROUP, group_size=3, kind="grpo", step_weight=0.0, gamma=0.5)
    assert advs == [_approx([1.0, 1.0]), _approx([-1.0, -1.0]), _approx([0.0, 0.0])]


def test_gigpo_step_groups_are_the_steps_from_the_same_history_text():
    # episode advantages (returns 2, 0, 1): 1, -1, 0. Step groups, returns from the step with gamma 0.5:
    # "A" (all three first steps): 1, 0, 0.5 -> 1, -1, 0; "B" (steps 2 of the first two): 2, 0 -> +-1/sqrt 2;
    # "C": one step -> 0
    advs = action_advantages(GROUP, group_size=3, kind="grpo", step_weight=0.5, gamma=0.5)
    assert advs == [_approx([1 + 0.5, 1 + 0.5 * R2]), _approx([-1 - 0.5, -1 - 0.5 * R2]), _approx([0.0, 0.0])]
    # with the whole history in view, B reached by x and by u are different states: singletons
    full = [_ep(ep.texts, ep.rewards, [0, 0]) for ep in GROUP]
    advs = action_advantages(full, group_size=3, kind="grpo", step_weight=0.5, gamma=0.5)
    assert advs == [_approx([1.5, 1.0]), _approx([-1.5, -1.0]), _approx([0.0, 0.0])]


def test_gigpo_counts_a_revisited_state_once_per_visit_and_groups_do_not_mix():
    # group 1: A -s-> A -g-> (returns -1, 0), A -g-> (0); group 2: the same first episode alone with another
    loop, short = _ep(["A\n", "s\n", "A\n", "g\n", "End\n"], [-1.0, 0.0], [0, 2]), _ep(["A\n", "g\n", "End\n"], [0.0], [0])
    other = _ep(["A\n", "g\n", "End\n"], [-1.0], [0])
    advs = action_advantages([loop, short, loop, other], group_size=2, kind="rloo", step_weight=1.0, gamma=1.0)
    # group 1: episodes -1, 0 -> -1, 1; step group "A": -1, 0, 0 -> -1 - 0, 0 - (-1 + 0) / 2, the same
    # group 2: episodes -1, -1 -> 0, 0; step group "A": -1, 0, -1 -> -1 - (-1 / 2), 0 - (-2 / 2), -1 - (-1 / 2)
    assert advs == [[-2.0, -0.5], [1.5], [-0.5, 1.0], [-0.5]]


def test_the_loss_clips_the_ratio_and_adds_the_k3_kl():
    half, quarter = math.log(0.5), math.log(0.25)
    logp, old = torch.tensor([half, half, half]), torch.tensor([quarter, half, half])
    adv, mask = torch.tensor([1.0, -1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    loss, parts = grpo_loss(logp, old, adv, mask, clip=0.2, denom=2.0)
    assert loss.item() == pytest.approx((-min(2.0, 1.2) + 1.0) / 2)  # ratio 2 clipped at 1.2; the masked one out
    assert parts["charts/clip_frac"] == 0.5
    ref = logp + math.log(2.0)  # d = log 2: k3 = 2 - log 2 - 1 per token
    loss_kl, parts = grpo_loss(logp, old, adv, mask, clip=0.2, kl_coef=0.1, ref_logp=ref, denom=2.0)
    assert parts["losses/kl"] == pytest.approx(1 - math.log(2.0))
    assert loss_kl.item() == pytest.approx(loss.item() + 0.1 * (1 - math.log(2.0)))
    logp = logp.clone().requires_grad_(True)
    grpo_loss(logp, logp.detach(), torch.zeros(3), mask, clip=0.2, kl_coef=1.0, ref_logp=logp.detach(),
              denom=2.0)[0].backward()
    assert logp.grad.abs().max().item() == 0.0  # at pi = pi_ref the KL term has no gradient


def _collect(toy_data, tmp_path, rollout_batch, **values):
    eps = list(lmrl_envs.read_episodes(toy_data))
    tok = build_tiny_tokenizer(t for ep in eps for t in ep.texts)
    cfg = make_config("grpo", env="toy-count-v0", out=str(tmp_path), n_rollouts=8, group_size=4,
                      rollout_batch=rollout_batch, max_new_tokens=4, max_length=64, seed=3, device="cpu",
                      report_to="none", **values)
    return _GroupRun("grpo", cfg, {}, model=build_tiny_model(tok), tokenizer=tok).collect()


def test_a_group_shares_its_env_seed_and_samples_differently(toy_data, tmp_path):
    eps = _collect(toy_data, tmp_path / "a", rollout_batch=3)
    seed0 = 3 * 1_000_003
    assert [ep.seed for ep in eps] == [seed0] * 4 + [seed0 + 1] * 4
    for group in (eps[:4], eps[4:]):  # an untrained model samples nearly uniformly: four different episodes
        assert len({tuple(ep.texts) for ep in group}) == 4
        assert all(len(ep.info["behaviour"]["action_tokens"]) == len(ep.rewards) for ep in group)
    again = _collect(toy_data, tmp_path / "b", rollout_batch=8)  # another batch: the same episodes
    assert [ep.texts for ep in again] == [ep.texts for ep in eps]


LEARN = {"steps": 15, "epochs": 2, "lr": 3e-4}


@pytest.mark.parametrize("algo", ALGOS)
def test_group_methods_raise_the_success_rate(algo, trap_bc, tmp_path):
    start_ret, start_success = learning._evaluate(trap_bc, greedy=False)
    assert start_success <= 0.25
    train(make_config(algo, env=learning.ENV, out=str(tmp_path), init=str(trap_bc), group_size=8, **LEARN,
                      **learning.ONLINE))
    ret, success = learning._evaluate(tmp_path, greedy=False)
    assert success >= 0.7 and success >= start_success + 0.5, (start_success, success)
    assert ret >= start_ret + 1.5, (start_ret, ret)
    state = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    assert (state["algo"], state["head_kwargs"]) == (algo, {})


def _weights(out):
    return {**load_file(out / "checkpoint" / "model" / "model.safetensors"),
            **{"extra." + k: v for k, v in load_file(out / "checkpoint" / "extra.safetensors").items()}}


def test_resume_gives_the_uninterrupted_weights(trap_bc, tmp_path):
    run = {"env": learning.ENV, "init": str(trap_bc), "group_size": 4, "kl_coef": 0.05, "epochs": 2, "lr": 3e-4,
           "report_to": "none", **learning.ONLINE, "n_rollouts": 16}
    train(make_config("gigpo", out=str(tmp_path / "full"), steps=4, **run))
    train(make_config("gigpo", out=str(tmp_path / "half"), steps=2, **run))
    train(make_config("gigpo", out=str(tmp_path / "half"), steps=4, resume=True, **run))
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "half")
    assert a.keys() == b.keys() and any(k.startswith("extra.ref.") for k in a)  # the reference policy is saved
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)


RUNNER = "import sys, test_learning; from lmrl_algos.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.slow
def test_two_processes_play_the_same_rounds_as_one(trap_bc, tmp_path):
    flags = {"env": learning.ENV, "init": str(trap_bc), "steps": 2, "n_rollouts": 16, "group_size": 4,
             "rollout_batch": 4, "max_new_tokens": 4, "batch_size": 8, "max_length": 64, "lr": 3e-4, "seed": 1,
             "device": "cpu", "report_to": "none"}
    train(make_config("gigpo", out=str(tmp_path / "single"), **flags))
    script = tmp_path / "run.py"
    script.write_text(RUNNER.replace("; ", "\n"))
    argv = [x for k, v in flags.items() for x in ("--" + k.replace("_", "-"), str(v))]
    tests = os.path.dirname(__file__)
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), "train", "gigpo", "--out", str(tmp_path / "ddp"), *argv],
                          env=dict(os.environ, OMP_NUM_THREADS="1",
                                   PYTHONPATH=tests + os.pathsep + os.environ.get("PYTHONPATH", "")),
                          capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    rows = {run: [json.loads(line) for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
            for run in ("single", "ddp")}
    assert [r["charts/return"] for r in rows["ddp"]] == [r["charts/return"] for r in rows["single"]]  # same episodes
    assert rows["single"][0]["charts/adv_abs"] > 0  # rounds with something to learn
    a, b = _weights(tmp_path / "single"), _weights(tmp_path / "ddp")
    for k in a:  # ... and the same update
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_presets_and_defaults_per_algorithm():
    grpo = make_config("grpo", preset="maze-fo", env="maze-fo-v0", out="o")
    rloo = make_config("rloo", preset="text-nav", env="text-nav-fo-v0", out="o")
    gigpo = make_config("gigpo", preset="maze", env="maze-fo-v0", out="o", lr=1e-5)
    assert (grpo.lr, grpo.group_size, grpo.n_rollouts, grpo.advantage, grpo.step_weight, grpo.gamma) == \
        (1e-6, 8, 128, "grpo", 0.0, 0.95)
    assert (rloo.lr, rloo.advantage, rloo.step_weight, rloo.gamma) == (5e-6, "rloo", 0.0, 1.0)
    assert (gigpo.lr, gigpo.advantage, gigpo.step_weight) == (1e-5, "grpo", 1.0)  # a flag overrides the preset
    assert {name: ALGORITHMS[name][1] for name in ALGOS} == {name: ALGORITHMS["grpo"][1] for name in ALGOS}
    toy = make_config("grpo", preset="toy-count-v0", env="toy-count-v0", out="o")  # a family without a row
    assert (toy.lr, toy.gamma) == (1e-5, 1.0)
    with pytest.raises(ConfigError, match="--preset 'pong': unknown; choose one of car-dealer"):
        make_config("gigpo", preset="pong", env="maze-fo-v0", out="o")


@pytest.mark.parametrize("argv, message", [
    (["--n-rollouts", "10"], "--n-rollouts (10) must be a multiple of --group-size (8)"),
    (["--group-size", "1", "--n-rollouts", "4"], "--group-size must be >= 2"),
    (["--advantage", "ppo"], "--advantage must be one of grpo, rloo, got 'ppo'"),
])
def test_bad_flags_are_refused_by_name(argv, message, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gigpo", "--env", "toy-count-v0", "--out", str(out), "--init", str(out), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_help_lists_the_group_flags(capsys):
    with pytest.raises(SystemExit):
        main(["train", "rloo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--group-size GROUP_SIZE Episodes per group (G)" in text
    assert "rloo (R - mean of the others). (default: rloo)" in text
    assert "--step-weight STEP_WEIGHT Weight of GiGPO's step-level advantage" in text
