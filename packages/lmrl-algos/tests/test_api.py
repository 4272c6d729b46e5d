"""The Python API: `train(config, model=, tokenizer=, episodes=, callbacks=)` from in-memory objects, with no
file but the run's --out; callbacks at log steps and evaluations, and stopping from one; the errors."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import load_policy, make_config, train
from lmrl_algos.callbacks import Callback
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.trainer import episodes_digest
from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer
from lmrl_envs import Episode

FAST = {"env": "toy-count-v0", "steps": 3, "batch_size": 4, "log_every": 1, "max_length": 64, "lr": 1e-3,
        "report_to": "none"}  # + device=device
ONLINE = {"env": "toy-count-v0", "steps": 1, "batch_size": 8, "n_rollouts": 4, "rollout_batch": 4, "max_new_tokens": 6,
          "lr": 1e-3, "report_to": "none"}
EVAL = ["eval/length", "eval/return", "eval/return_stderr", "eval/success"]


@pytest.fixture(scope="module")
def episodes(toy_data):
    """The episodes of conftest's toy data file, in memory (the file is only the reference run's input)."""
    return list(lmrl_envs.read_episodes(toy_data))


def _tiny(episodes, seed=0, **sizes):
    """A fresh tiny model and tokenizer for `episodes` (`--model tiny`'s, or smaller with `sizes`)."""
    tok = build_tiny_tokenizer(t for ep in episodes for t in ep.texts)
    return build_tiny_model(tok, seed=seed, **sizes), tok


def _small(episodes, seed=0):
    return _tiny(episodes, seed, n_layer=1, n_embd=32, n_head=2)


def _rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _weights(out):
    return load_file(out / "checkpoint" / "model" / "model.safetensors")


def _state(out):
    return json.loads((out / "checkpoint" / "state.json").read_text())


class Record(Callback):
    """Records every call; asks to stop at (hook, step) `stop_at`."""

    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def on_step(self, step, metrics):
        self.calls.append(("on_step", step, metrics))
        return ("on_step", step) == self.stop_at

    def on_eval(self, step, metrics):
        self.calls.append(("on_eval", step, metrics))
        return ("on_eval", step) == self.stop_at

    def steps(self, hook):
        return [step for h, step, _ in self.calls if h == hook]


def test_bc_trains_the_given_model_in_place_as_the_data_file_run_does(episodes, toy_data, tmp_path, device):
    lm, tok = _tiny(episodes)
    before = {k: v.clone() for k, v in lm.state_dict().items()}
    out = tmp_path / "api"
    ckpt = train(make_config("bc", out=str(out), device=device, **FAST), model=lm, tokenizer=tok, episodes=episodes)
    assert ckpt == out / "checkpoint"
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint", "metrics.jsonl"]  # no other file written
    state = _state(out)
    assert (state["algo"], state["step"], state["config"]["data"]) == ("bc", 3, None)
    assert state["in_memory"] == {"model": "GPT2LMHeadModel",
                                  "episodes": {"count": len(episodes), "sha256": episodes_digest(episodes)}}
    saved = _weights(out)
    assert [k for k in saved if torch.equal(saved[k], before[k])] == []  # every weight moved
    trained = lm.state_dict()
    assert all(torch.equal(saved[k], trained[k].cpu()) for k in saved)  # the given model holds the final weights
    # the same run from the data file and `--model tiny` (the same tokenizer and initial weights): the same weights
    train(make_config("bc", data=str(toy_data), out=str(tmp_path / "file"), device=device, **FAST))
    from_file = _weights(tmp_path / "file")
    assert saved.keys() == from_file.keys()
    assert all(torch.equal(saved[k], from_file[k]) for k in saved)
    policy = load_policy(out, device, greedy=True, max_new_tokens=4)
    ep = lmrl_envs.rollout([lmrl_envs.make("toy-count-v0")], policy, 1, seed=0)[0]
    assert ep.env_id == "toy-count-v0" and ep.length >= 1


def test_mc_adds_value_heads_on_the_given_model_and_keeps_it_as_pi_beta(episodes, tmp_path, device):
    lm, tok = _small(episodes)
    before = {k: v.clone() for k, v in lm.state_dict().items()}
    ckpt = train(make_config("mc", out=str(tmp_path), device=device, **FAST), model=lm, tokenizer=tok, episodes=episodes)
    heads = load_file(ckpt / "heads.safetensors")
    assert {k: tuple(v.shape) for k, v in heads.items()} == {
        "q.0.net.0.weight": (32, 32), "q.0.net.0.bias": (32,), "q.0.net.2.weight": (len(tok), 32),
        "q.0.net.2.bias": (len(tok),)}
    behaviour = {k.removeprefix("behaviour."): v for k, v in load_file(ckpt / "extra.safetensors").items()}
    assert behaviour.keys() == before.keys()
    assert all(torch.equal(behaviour[k], before[k]) for k in before)  # pi_beta: the given model as it was given
    policy = load_policy(tmp_path, device)
    assert (policy.value_term, policy.beta) == ("q", 8.0)


def test_ppo_trains_an_in_memory_model_online_and_a_callback_stops_it(episodes, tmp_path, device):
    lm, tok = _small(episodes)
    before = {k: v.clone() for k, v in lm.state_dict().items()}
    record = Record(stop_at=("on_step", 1))
    cfg = make_config("ppo", out=str(tmp_path), device=device, **{**ONLINE, "steps": 3})
    ckpt = train(cfg, model=lm, tokenizer=tok, callbacks=[record])  # no data, no init
    assert (_state(tmp_path)["round"], record.steps("on_step")) == (1, [1])  # stopped after round 1 of 3
    assert [r["step"] for r in _rows(tmp_path)] == [1]
    assert sorted(load_file(ckpt / "heads.safetensors")) == ["v.net.bias", "v.net.weight"]  # PPO's value head, added
    ref = {k.removeprefix("ref.lm."): v for k, v in load_file(ckpt / "extra.safetensors").items()
           if k.startswith("ref.lm.")}
    assert all(torch.equal(ref[k], before[k]) for k in before)  # the reference policy: the given model
    saved = _weights(tmp_path)
    assert any(not torch.equal(saved[k], before[k]) for k in saved)
    assert load_policy(tmp_path, device).value_term == "none"


def test_online_episodes_take_the_place_of_the_data_file(episodes, toy_data, tmp_path, device):
    """online %BC without a model: the tiny model's tokenizer is trained on the given episodes' texts."""
    train(make_config("online_filtered_bc", out=str(tmp_path / "api"), device=device, **ONLINE), episodes=episodes)
    train(make_config("online_filtered_bc", data=str(toy_data), out=str(tmp_path / "file"), device=device, **ONLINE))
    a, b = _weights(tmp_path / "api"), _weights(tmp_path / "file")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert _state(tmp_path / "api")["in_memory"]["episodes"]["count"] == len(episodes)


def test_the_given_model_is_prepared_as_a_loaded_one_pad_token_dtype_lora(episodes, tmp_path, device):
    pytest.importorskip("peft")
    lm, tok = _small(episodes)
    tok.pad_token = None  # load_model adds one to a tokenizer without: so does train
    cfg = make_config("bc", out=str(tmp_path), device=device, dtype="bf16", lora_r=4, **FAST)
    ckpt = train(cfg, model=lm, tokenizer=tok, episodes=episodes)
    assert (tok.pad_token, lm.get_input_embeddings().weight.shape[0]) == ("<|pad|>", len(tok))
    assert {v.dtype for v in _weights(tmp_path).values()} == {torch.bfloat16}  # the base, cast to --dtype
    assert (ckpt / "adapter" / "adapter_model.safetensors").is_file()  # the LoRA adapter beside it
    assert load_policy(tmp_path, device).tok.pad_token == "<|pad|>"


def test_callbacks_get_the_logged_rows_and_the_evaluations_as_floats(episodes, tmp_path, device):
    lm, tok = _small(episodes)
    record = Record()

    class EvalsOnly:  # any object with one of the hooks will do
        def __init__(self):
            self.steps = []

        def on_eval(self, step, metrics):
            self.steps.append(step)

    evals = EvalsOnly()
    cfg = make_config("bc", out=str(tmp_path), device=device,
                      **{**FAST, "steps": 6, "log_every": 2, "eval_every": 3, "eval_episodes": 2})
    train(cfg, model=lm, tokenizer=tok, episodes=episodes, callbacks=[record, evals])
    rows = [{k: v for k, v in r.items() if k != "time"} for r in _rows(tmp_path)]
    assert record.steps("on_step") == [2, 4, 6] and record.steps("on_eval") == evals.steps == [3, 6]
    assert all(type(v) is float for _, _, metrics in record.calls for v in metrics.values())
    assert {"losses/total", "losses/bc", "charts/lr"} <= set(record.calls[0][2])
    # exactly the rows of metrics.jsonl, in order
    assert [{"step": step, **metrics} for _, step, metrics in record.calls] == rows
    assert [sorted(m) for h, _, m in record.calls if h == "on_eval"] == [EVAL, EVAL]


@pytest.mark.parametrize(("stop_at", "rows"), [
    (("on_step", 4), [(2, "train"), (3, "eval"), (4, "train"), (4, "eval")]),  # the stopped run is evaluated
    (("on_eval", 3), [(2, "train"), (3, "eval")]),
])
def test_a_callback_stops_the_run_after_its_step_with_a_checkpoint(stop_at, rows, episodes, tmp_path, device):
    lm, tok = _small(episodes)
    record = Record(stop_at)
    cfg = make_config("bc", out=str(tmp_path), device=device, **{**FAST, "steps": 50, "log_every": 2, "eval_every": 3,
                                                                   "eval_episodes": 2, "save_every": 1000, "save_minutes": 0})
    train(cfg, model=lm, tokenizer=tok, episodes=episodes, callbacks=[record])
    assert _state(tmp_path)["step"] == stop_at[1]
    assert [(r["step"], "eval" if "eval/return" in r else "train") for r in _rows(tmp_path)] == rows
    assert [(h, s) for h, s, _ in record.calls] == [(kind.replace("train", "on_step").replace("eval", "on_eval"), s)
                                                   for s, kind in rows]
    saved, trained = _weights(tmp_path), lm.state_dict()
    assert all(torch.equal(saved[k], trained[k].cpu()) for k in saved)


def test_resume_takes_the_model_from_the_checkpoint_and_checks_the_episodes(episodes, tmp_path, device):
    cfg = make_config("bc", out=str(tmp_path / "stopped"), device=device, **{**FAST, "steps": 4})
    lm, tok = _small(episodes)
    train(cfg, model=lm, tokenizer=tok, episodes=episodes, callbacks=[Record(("on_step", 2))])
    resumed = dataclasses.replace(cfg, resume=True)
    with pytest.raises(ConfigError, match="model= with resume=True: the run continues from .*leave out model= and"):
        train(resumed, model=lm, tokenizer=tok, episodes=episodes)
    with pytest.raises(ConfigError, match=r"started with 24 in-memory episodes \(sha256 [0-9a-f]{12}...\), got 23 "
                                          "other episodes; pass the same episodes"):
        train(resumed, episodes=episodes[:-1])
    with pytest.raises(ConfigError, match="--data is required"):
        train(resumed)
    assert _state(tmp_path / "stopped")["step"] == 2
    train(resumed, episodes=iter(episodes))  # any iterable
    assert _state(tmp_path / "stopped")["in_memory"]["model"] == "GPT2LMHeadModel"  # kept from the start
    lm, tok = _small(episodes)
    train(dataclasses.replace(cfg, out=str(tmp_path / "whole")), model=lm, tokenizer=tok, episodes=episodes)
    a, b = _weights(tmp_path / "stopped"), _weights(tmp_path / "whole")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)


def _other_env_episode():
    return Episode("maze-fo-v0", 0, ["o\n", "move up\n", "o\n"], [False, True, False], [0.0], [0])


@pytest.mark.parametrize(("change", "given", "message"), [
    ({}, {"model": True}, "model= needs tokenizer= as well"),
    ({}, {"tokenizer": True}, "tokenizer= needs model= as well"),
    ({"init": "runs/bc"}, {"model": True, "tokenizer": True}, "model= and init='runs/bc' both give the starting weights"),
    ({"resume": True}, {"model": True, "tokenizer": True}, "model= with resume=True: the run continues from"),
    ({"model": "gpt2"}, {"model": True, "tokenizer": True}, "model= and model='gpt2' in the config both name the model"),
    ({}, {"model": torch.nn.Linear(2, 2), "tokenizer": True}, "model= must be a transformers causal LM .* got Linear"),
    ({"data": "toy.jsonl"}, {}, "episodes= and data='toy.jsonl' both give the episodes"),
    ({}, {"episodes": []}, "episodes=: no episodes given"),
    ({}, {"episodes": "toy.jsonl"}, "episodes= takes lmrl_envs.Episode records, got the path 'toy.jsonl'"),
    ({}, {"episodes": [_other_env_episode()]}, r"episodes= holds episodes of \['maze-fo-v0'\] but the config's env"),
    ({}, {"episodes": [{"env_id": "toy-count-v0"}]}, "episodes=: expected lmrl_envs.Episode records, got a dict"),
    ({}, {"callbacks": Record()}, r"callbacks= takes a list of callbacks; pass callbacks=\[callback\]"),
    ({}, {"callbacks": [object()]}, "has neither an on_step nor an on_eval method"),
])
def test_contradictory_or_invalid_inputs_are_refused_before_any_work(change, given, message, episodes, tmp_path):
    lm, tok = _small(episodes)
    kwargs = {"episodes": episodes, **{k: {"model": lm, "tokenizer": tok}.get(k, v) if v is True else v
                                       for k, v in given.items()}}
    with pytest.raises(ConfigError, match=message):
        train(make_config("bc", out=str(tmp_path / "out"), device="cpu", **{**FAST, **change}), **kwargs)
    assert not (tmp_path / "out").exists()


DDP_RUNNER = '''
import os, sys
import conftest
import lmrl_envs
from safetensors.torch import save_file
from lmrl_algos import make_config, train
from lmrl_algos.common import online
from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer

rank, data, root = int(os.environ["RANK"]), sys.argv[1], sys.argv[2]
save = online.OnlineRun.save

def recording_save(self, extra=None):  # instrumentation: each rank's weights
    save_file({k: v.detach().clone() for k, v in self.model.state_dict().items()}, os.path.join(root, f"rank{rank}.st"))
    save(self, extra)

online.OnlineRun.save = recording_save

class Stop:
    def __init__(self, name, at):
        self.name, self.at = name, at

    def on_step(self, step, metrics):
        with open(os.path.join(root, f"{self.name}-calls{rank}.txt"), "a") as f:
            f.write(f"{step}\\n")
        return step == self.at

episodes = list(lmrl_envs.read_episodes(data))
tok = build_tiny_tokenizer(t for ep in episodes for t in ep.texts)
common = dict(env="toy-count-v0", batch_size=4, lr=1e-3, seed=1, device="cpu", report_to="none")
# another initial model on each rank: rank 0's is the one trained
train(make_config("bc", out=os.path.join(root, "bc"), steps=50, log_every=1, max_length=64, **common),
      model=build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2, seed=rank), tokenizer=tok, episodes=episodes,
      callbacks=[Stop("bc", 2)])
train(make_config("online_filtered_bc", out=os.path.join(root, "obc"), steps=3, n_rollouts=4, rollout_batch=2,
                  max_new_tokens=4, bc_steps=2, **common),
      model=build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2, seed=rank), tokenizer=tok, callbacks=[Stop("obc", 1)])
'''


@pytest.mark.slow
def test_two_processes_stop_together_when_rank_0s_callback_asks(toy_data, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(DDP_RUNNER)
    tests = os.path.dirname(__file__)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=tests + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), str(toy_data), str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    for run, at in (("bc", 2), ("obc", 1)):
        assert _state(tmp_path / run)["step"] == at  # both ranks left the loop at that step (else: a hang)
        assert (tmp_path / f"{run}-calls0.txt").read_text().split() == [str(s) for s in range(1, at + 1)]
        assert not (tmp_path / f"{run}-calls1.txt").exists()  # callbacks run on rank 0 only
    a, b = load_file(tmp_path / "rank0.st"), load_file(tmp_path / "rank1.st")
    assert all(torch.equal(a[k], b[k]) for k in a)  # online: rank 0's model was broadcast, the ranks stay identical
