"""ArCHer: where the critic reads its values and the targets and advantages on hand-computed segments, learning on
the trap task of test_learning.py (its fixtures), the warm start, resume and a 2-process run, config errors."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import archer, make_config, train
from lmrl_algos.archer import advantages, collate_utterances, critic_loss, critic_targets, utterance_values
from lmrl_algos.cli import main
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.mdp import Segment, build_mdp
from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer


def _load(name):
    """A sibling test module by path (the tests are not a package): its trap env, fixtures and helpers."""
    spec = importlib.util.spec_from_file_location(f"_lmrl_algos_tests_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


learning = _load("test_learning")
trap_data, trap_bc, _restore_threads = learning.trap_data, learning.trap_bc, learning._restore_threads


class TokenIdCritic(torch.nn.Module):
    """A stand-in critic whose outputs at a position are the token id there: V = id, Q1 = id + 0.5, Q2 = id - 0.5."""

    def forward(self, input_ids, attention_mask=None, select=None):
        x = input_ids.float()[select]
        return {"v": x, "scalar": [x + 0.5, x - 0.5]}


# segment A: two actions (tokens 2 and 4-5), cut off: its next state is the prefix [1, 20, 21]; B: one action, the
# episode's terminal one
SEG_A = Segment([1, 10, 11, 12, 13, 14], [0, 0, 1, 0, 1, 1], [0.0, 0.0, -1.0, 0.0, 0.0, -2.0], [0.0] * 6, [-1] * 6,
                [1, 20, 21], spans=[(2, 2), (4, 5)])
SEG_B = Segment([1, 30, 31], [0, 0, 1], [0.0, 0.0, 5.0], [0.0] * 3, [-1] * 3, None, spans=[(2, 2)])


def test_the_critic_reads_v_before_an_action_q_at_its_last_token_and_v_of_the_next_state():
    batch = collate_utterances([SEG_A, SEG_B], pad_id=0)
    assert (batch["row"].tolist(), batch["v_at"].tolist(), batch["q_at"].tolist(), batch["next_at"].tolist()) == (
        [0, 0, 1], [1, 3, 1], [2, 5, 2], [3, -1, -1])
    values = utterance_values(TokenIdCritic(), batch, next_state=True)
    assert values["v"].tolist() == [10.0, 12.0, 30.0]  # the token before each action
    assert values["q1"].tolist() == [11.5, 14.5, 31.5] and values["q2"].tolist() == [10.5, 13.5, 30.5]  # its last
    assert values["next_v"].tolist() == [12.0, 21.0, 0.0]  # before the next action; the next prefix; terminal
    y, target_v = critic_targets(batch["reward"], values["next_v"], values["q1"], values["q2"], gamma=0.5)
    assert y.tolist() == [-1 + 0.5 * 12, -2 + 0.5 * 21, 5.0]
    assert target_v.tolist() == [10.5, 13.5, 30.5]  # min of the two Q heads
    assert advantages(values["q1"], values["q2"], values["v"]).tolist() == [0.5, 1.5, 0.5]
    loss, parts = critic_loss({"q1": torch.tensor([1.0, 2.0]), "q2": torch.tensor([0.0, 2.0]),
                               "v": torch.tensor([3.0, 3.0])}, torch.tensor([1.0, 1.0]), torch.tensor([1.0, 2.0]))
    assert (parts["losses/q"].item(), parts["losses/v"].item(), loss.item()) == (0.5 + 1.0, 2.5, 4.0)


def test_the_selected_values_are_those_of_the_full_forward_pass():
    eps = [ep for ep in lmrl_envs.rollout([lmrl_envs.make(learning.ENV) for _ in range(2)],
                                          learning._behaviour(1), 4, seed=0)]
    tok = build_tiny_tokenizer(t for ep in eps for t in ep.texts)
    critic = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2), v_head=True, n_scalar=2)
    for p in critic.parameters():  # heads away from their zero init
        torch.nn.init.normal_(p, std=0.3)
    segs = build_mdp(eps, tok, gamma=0.9, max_length=64)
    batch = collate_utterances(segs, tok.pad_token_id)
    values = utterance_values(critic, batch)
    full = critic(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    row = batch["row"]
    torch.testing.assert_close(values["v"], full["v"][row, batch["v_at"]])
    torch.testing.assert_close(values["q2"], full["scalar"][1][row, batch["q_at"]])
    assert len(row) == sum(len(ep.rewards) for ep in eps)  # one value per action


ARCHER = {"env": learning.ENV, "gamma": 0.5, "critic_lr": 1e-3, "critic_steps": 50, "tau": 0.05, "lr": 3e-4,
          "report_to": "none", **learning.ONLINE}
"""gamma 0.5: the pit's value (-1 a step, bootstrapped past the step limit) converges within the test's rounds."""


def test_archer_raises_the_success_rate(trap_bc, tmp_path):
    start_ret, start_success = learning._evaluate(trap_bc, greedy=False)
    assert start_success <= 0.25
    train(make_config("archer", out=str(tmp_path), init=str(trap_bc), steps=12, **ARCHER))
    ret, success = learning._evaluate(tmp_path, greedy=False)
    assert success >= 0.7 and success >= start_success + 0.5, (start_success, success)
    assert ret >= start_ret + 1.5, (start_ret, ret)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["charts/buffer"] == 256 and rows[-1]["charts/adv_abs"] > 0


def _weights(out):
    return {**load_file(out / "checkpoint" / "model" / "model.safetensors"),
            **{"extra." + k: v for k, v in load_file(out / "checkpoint" / "extra.safetensors").items()}}


def test_resume_gives_the_uninterrupted_weights_critic_and_buffer(trap_bc, trap_data, tmp_path):
    run = {**ARCHER, "init": str(trap_bc), "data": str(trap_data), "warm_start_episodes": 8, "buffer_size": 40,
           "critic_steps": 4, "critic_warmup_rounds": 1, "kl_coef": 0.05, "n_rollouts": 16}
    train(make_config("archer", out=str(tmp_path / "full"), steps=4, **run))
    train(make_config("archer", out=str(tmp_path / "half"), steps=2, **run))
    train(make_config("archer", out=str(tmp_path / "half"), steps=4, resume=True, **run))
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "half")
    assert a.keys() == b.keys()
    for prefix in ("extra.ref.", "extra.critic.", "extra.critic_target.", "extra.critic_opt.", "extra.buffer"):
        assert any(k.startswith(prefix) for k in a), prefix
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)
    rows = [json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    assert [r["charts/buffer"] for r in rows] == [24, 40, 40, 40]  # 8 warm-start episodes + 16 a round, FIFO
    assert "losses/policy" not in rows[0] and "losses/policy" in rows[1]  # round 1: the critic alone
    buffer = bytes(a["extra.buffer"].tolist()).decode().splitlines()
    assert len(buffer) == 40 and all(json.loads(line)["info"]["behaviour"]["action_tokens"] for line in buffer)


def test_the_warm_start_draws_dataset_episodes(trap_bc, trap_data, tmp_path):
    train(make_config("archer", out=str(tmp_path), init=str(trap_bc), data=str(trap_data), steps=1,
                      warm_start_episodes=100, **{**ARCHER, "n_rollouts": 4, "critic_steps": 1}))
    buffer = load_file(tmp_path / "checkpoint" / "extra.safetensors")["buffer"].numpy().tobytes().decode()
    eps = [lmrl_envs.Episode.from_json(line) for line in buffer.splitlines()]
    data = [ep.to_json() for ep in lmrl_envs.read_episodes(trap_data)]
    assert len(eps) == 104 and all(ep.to_json() in data for ep in eps[:100])  # then the round's 4 rollouts
    assert len({ep.to_json() for ep in eps[:100]}) == 100


RUNNER = """
import os, sys
import test_learning
from safetensors.torch import save_file
from lmrl_algos.cli import main
from lmrl_algos.common import online

rank, out = int(os.environ["RANK"]), sys.argv[-1]
save, step = online.OnlineRun.save, online.OnlineRun.optimizer_step

def recording_save(self, extra=None):  # instrumentation: each rank's actor, critic, target, critic optimiser, buffer
    tensors = {**{"model." + k: v for k, v in self.model.state_dict().items()}, **extra()}
    save_file({k: v.detach().clone() for k, v in tensors.items()}, os.path.join(out, f"rank{rank}.st"))
    save(self, extra)

def skewed_step(self, loss, *args):  # rank 1 computes another loss, as kernels that are not bitwise deterministic would
    step(self, loss * (1.5 if rank == 1 else 1.0), *args)

online.OnlineRun.save, online.OnlineRun.optimizer_step = recording_save, skewed_step
sys.exit(main(sys.argv[1:-1]))
"""


@pytest.mark.slow
def test_two_processes_keep_the_actor_and_the_critic_identical(trap_bc, tmp_path):
    """Rank 1's losses are 1.5x rank 0's: the ranks still end identical, actor and critic, because both networks'
    gradients are averaged over the ranks (without the critic's all-reduce the critics drift apart)."""
    flags = {"env": learning.ENV, "init": str(trap_bc), "steps": 2, "n_rollouts": 16, "rollout_batch": 4,
             "max_new_tokens": 4, "batch_size": 8, "max_length": 64, "lr": 3e-4, "critic_lr": 1e-3,
             "critic_steps": 3, "seed": 1, "device": "cpu", "report_to": "none"}
    out = tmp_path / "ddp"
    out.mkdir()
    script = tmp_path / "run.py"
    script.write_text(RUNNER)
    argv = [x for k, v in flags.items() for x in ("--" + k.replace("_", "-"), str(v))]
    tests = os.path.dirname(__file__)
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), "train", "archer", "--out", str(out), *argv, str(out)],
                          env=dict(os.environ, OMP_NUM_THREADS="1",
                                   PYTHONPATH=tests + os.pathsep + os.environ.get("PYTHONPATH", "")),
                          capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    a, b = load_file(out / "rank0.st"), load_file(out / "rank1.st")
    assert a.keys() == b.keys() and any(k.startswith("critic.") for k in a)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert len(a["buffer"].numpy().tobytes().decode().splitlines()) == 32  # both rounds' episodes, on every rank
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and rows[-1]["charts/adv_abs"] > 0
    saved = _weights(out)
    for k in saved:  # rank 0 wrote the checkpoint
        assert torch.equal(saved[k], a[k.removeprefix("extra.")] if k.startswith("extra.") else a["model.lm." + k]), k


def test_presets_per_task_family():
    maze = make_config("archer", preset="maze-fo", env="maze-fo-v0", out="o")
    city = make_config("archer", preset="guess-my-city", env="guess-my-city-v0", out="o")
    assert (maze.lr, maze.critic_lr, maze.critic_steps, maze.tau, maze.gamma) == (1e-4, 1e-3, 200, 0.05, 0.95)
    assert (city.lr, city.gamma, city.n_rollouts) == (3e-5, 0.95, 128)  # the task's PPO lr and rollouts
    assert make_config("archer", preset="toy-count-v0", env="toy-count-v0", out="o").lr == 1e-5  # no row: default


@pytest.mark.parametrize("argv, message", [
    (["--n-rollouts", "64", "--buffer-size", "32"], "--buffer-size (32) must be >= --n-rollouts (64)"),
    (["--warm-start-episodes", "300"], "--warm-start-episodes must be in [0, --buffer-size (256)], got 300"),
    (["--warm-start-episodes", "4"], "--warm-start-episodes needs --data"),
    (["--tau", "0"], "--tau must be in (0, 1], got 0.0"),
    (["--critic-steps", "0"], "--critic-steps must be >= 1, got 0"),
    (["--critic-lr", "2"], "--critic-lr must be in (0, 1], got 2.0"),
])
def test_bad_flags_are_refused_by_name(argv, message, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "archer", "--env", "toy-count-v0", "--out", str(out), "--init", str(out), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_warm_start_larger_than_the_data_is_refused(toy_data, tmp_path):
    with pytest.raises(ConfigError, match="--warm-start-episodes 200: --data holds only 24 episodes"):
        train(make_config("archer", env="toy-count-v0", data=str(toy_data), out=str(tmp_path), steps=1,
                          warm_start_episodes=200, n_rollouts=4, rollout_batch=4, max_new_tokens=4, device="cpu",
                          report_to="none"))


def test_help_lists_the_critic_flags(capsys):
    with pytest.raises(SystemExit):
        main(["train", "archer", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--critic-lr CRITIC_LR Learning rate of the critic" in text
    assert "--warm-start-episodes WARM_START_EPISODES Episodes of --data the buffer starts with" in text
    assert archer.ArCHerConfig.__doc__.split(":")[0] == "ArCHer"
