"""One checkpoint reader (`checkpoint.load`) behind training's --init and --resume, `load_policy` and `lmrl-algos merge`;
and --bf16 autocast chosen by one function for the offline losses and the online updates."""

import contextlib
import dataclasses
import json
import shutil
import warnings

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import ALGORITHMS, checkpoint, load_policy, make_config, train
from lmrl_algos.cli import main
from lmrl_algos.common import online
from lmrl_algos.common.config import OnlineConfig
from lmrl_algos.common.trainer import autocast_context
from lmrl_algos.models import LMWithHeads

FAST = {"env": "toy-count-v0", "batch_size": 4, "max_length": 64, "lr": 1e-3, "log_every": 1, "report_to": "none",
        "device": "cpu"}
ONLINE = {"env": "toy-count-v0", "steps": 1, "batch_size": 8, "n_rollouts": 4, "rollout_batch": 4, "max_new_tokens": 6,
          "lr": 1e-3, "report_to": "none", "device": "cpu"}
DAMAGED = "the checkpoint is damaged: train again into a new --out"
ONLINE_ALGORITHMS = [name for name, (cls, _) in ALGORITHMS.items() if issubclass(cls, OnlineConfig)]


@pytest.fixture(scope="module")
def mc_run(toy_data, tmp_path_factory):
    """A finished 1-step MC run: a model with Q heads, and a frozen behaviour LM in extra.safetensors."""
    out = tmp_path_factory.mktemp("loader") / "mc"
    train(make_config("mc", data=str(toy_data), out=str(out), steps=1, **FAST))
    return out


@pytest.fixture()
def run(mc_run, tmp_path):
    """A copy of `mc_run` a test may change."""
    return shutil.copytree(mc_run, tmp_path / "run")


def _cli_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().removeprefix("lmrl-algos: error: ")


def _train_argv(algo, data, out, *extra):
    return ["train", algo, "--env", "toy-count-v0", "--data", str(data), "--out", str(out), "--batch-size", "4",
            "--max-length", "64", "--lr", "1e-3", "--log-every", "1", "--device", "cpu", "--report-to", "none", *extra]


def test_a_damaged_heads_file_gives_one_error_from_init_resume_load_policy_and_merge(run, toy_data, tmp_path, capsys):
    heads = run / "checkpoint" / checkpoint.HEADS
    data = bytearray(heads.read_bytes())
    data[:8] = b"\xff" * 8  # the header length: now far past the end of the file
    heads.write_bytes(bytes(data))
    resume = _cli_error(capsys, _train_argv("mc", toy_data, run, "--steps", "2", "--resume"))
    init = _cli_error(capsys, _train_argv("ilql", toy_data, tmp_path / "ilql", "--steps", "1", "--init", str(run)))
    merge = _cli_error(capsys, ["merge", str(run), str(tmp_path / "merged")])
    with pytest.raises(checkpoint.CheckpointError) as policy:
        load_policy(run, "cpu")
    message = str(policy.value)
    assert message.startswith(f"{heads}: unreadable (") and DAMAGED in message
    assert (resume, init, merge) == (f"--resume: {message}", f"--init: {message}", message)
    assert not (tmp_path / "ilql" / "checkpoint").exists() and not (tmp_path / "merged").exists()


def test_init_resume_load_policy_and_merge_read_through_checkpoint_load(mc_run, toy_data, tmp_path, monkeypatch):
    calls = []
    real = checkpoint.load

    def spy(path, **kw):
        calls.append((kw.get("keep_adapter", False), kw.get("head_kwargs"), kw.get("extra", False)))
        return real(path, **kw)

    monkeypatch.setattr(checkpoint, "load", spy)
    run = shutil.copytree(mc_run, tmp_path / "run")
    train(make_config("mc", data=str(toy_data), out=str(run), steps=2, resume=True, **FAST))
    train(make_config("ilql", data=str(toy_data), out=str(tmp_path / "ilql"), init=str(mc_run), steps=1, **FAST))
    load_policy(mc_run, "cpu")
    checkpoint.export_model(mc_run, tmp_path / "merged")
    state = json.loads((mc_run / "checkpoint" / "state.json").read_text())
    ilql = json.loads((tmp_path / "ilql" / "checkpoint" / "state.json").read_text())
    assert calls == [(True, state["head_kwargs"], False), (False, ilql["head_kwargs"], False), (False, None, True),
                     (False, {}, False)]


def test_load_builds_the_checkpoints_layout_and_loads_every_head(mc_run):
    loaded = checkpoint.load(mc_run, env_id="toy-count-v0", extra=True)
    ckpt = mc_run / "checkpoint"
    assert loaded.path == ckpt and loaded.state["algo"] == "mc" and loaded.state["step"] == 1
    assert isinstance(loaded.model, LMWithHeads) and loaded.head_kwargs == loaded.state["head_kwargs"]
    heads = load_file(ckpt / "heads.safetensors")
    own = loaded.model.head_state_dict()
    assert own.keys() == heads.keys() and all(torch.equal(own[k], heads[k]) for k in heads)
    weights = load_file(ckpt / "model" / "model.safetensors")
    lm = loaded.model.lm.state_dict()
    assert all(torch.equal(lm[k], weights[k]) for k in weights)
    assert loaded.extra.keys() == load_file(ckpt / "extra.safetensors").keys()
    assert checkpoint.load(mc_run).extra == {}  # extra.safetensors only when asked
    assert len(loaded.tokenizer) == loaded.model.lm.get_output_embeddings().weight.shape[0]


def test_load_with_another_layout_keeps_the_heads_it_shares(mc_run):
    ppo = checkpoint.load(mc_run, head_kwargs={"v_head": True, "mlp": False, "v_bias": -1.0})  # PPO's: no Q head
    assert sorted(ppo.model.head_state_dict()) == ["v.net.bias", "v.net.weight"]
    assert ppo.model.v.net.bias.item() == -1.0 and not ppo.model.q
    mc = load_file(mc_run / "checkpoint" / "heads.safetensors")
    two = checkpoint.load(mc_run, head_kwargs={"n_q": 2, "v_head": True})  # ILQL's: its first Q head is MC's
    own = two.model.head_state_dict()
    assert all(torch.equal(own[k], mc[k]) for k in mc) and {k for k in own if k.startswith("q.1.")}


def test_load_refuses_another_env_and_a_layout_that_differs_from_the_state(run):
    with pytest.raises(checkpoint.CheckpointError, match="checkpoint is for toy-count-v0, but --env is maze-fo-v0"):
        checkpoint.load(run, env_id="maze-fo-v0")
    state_path = run / "checkpoint" / "state.json"
    state = json.loads(state_path.read_text())
    state["head_kwargs"] = {**state["head_kwargs"], "n_q": 2}
    state_path.write_text(json.dumps(state))
    with pytest.raises(checkpoint.CheckpointError, match=r"head layout differs \(missing \['q.1.net.0.weight'"):
        load_policy(run, "cpu")


# ---------------------------------------------------------------- --bf16
def test_autocast_is_chosen_for_cuda_with_bf16_and_fp32_weights_only():
    def kind(device, **values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch.autocast("cuda") warns without a GPU
            ctx = autocast_context(torch.device(device), make_config("bc", env="x", out="x", **values))
        return (type(ctx).__name__, ctx.device, ctx.fast_dtype) if isinstance(ctx, torch.autocast) else \
            type(ctx).__name__

    assert kind("cuda") == ("autocast", "cuda", torch.bfloat16)
    assert kind("cuda", bf16=False) == "nullcontext"
    assert kind("cuda", dtype="bf16") == "nullcontext"
    assert kind("cpu") == "nullcontext"


def test_the_update_precision_of_an_online_run_is_the_trainers_autocast():
    cfg = make_config("ppo", env="x", out="x")
    precision = online.UpdatePrecision(torch.device("cuda"), cfg)
    assert isinstance(precision(), contextlib.nullcontext)  # not updating: rollouts, evaluation
    precision.updating = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ctx = precision()
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.bfloat16


@pytest.mark.parametrize("algo", ONLINE_ALGORITHMS)
def test_online_updates_run_under_the_autocast_and_rollouts_do_not(algo, toy_data, tmp_path, monkeypatch):
    """Every forward pass of a round's update (PPO: scoring, reference policy, losses) runs inside the context
    `autocast_context` chose; no rollout forward pass does. An online trainer that ignored --bf16 fails here."""
    values = dict(ONLINE)
    if "group_size" in {f.name for f in dataclasses.fields(ALGORITHMS[algo][0])}:
        values["group_size"] = 2  # grpo, rloo, gigpo: 2 groups of 2
    inside, phase, seen, chosen = [False], ["setup"], [], []

    @contextlib.contextmanager
    def marker():
        inside[0] = True
        try:
            yield
        finally:
            inside[0] = False

    def fake(device, cfg):
        chosen.append((device.type, cfg.bf16))
        return marker()

    def record(module, args):
        if type(module).__name__ == "GPT2Model":  # the trunk: every forward pass, with or without `select`
            seen.append((phase[0], inside[0]))

    rollout, end_round = lmrl_envs.rollout, online.OnlineRun.end_round

    def rollout_(*args, **kwargs):  # a run's collect (its own or a subclass's) plays through lmrl_envs.rollout
        phase[0] = "rollout"
        eps = rollout(*args, **kwargs)
        phase[0] = "update"
        return eps

    def end_round_(self, *args, **kwargs):
        phase[0] = "end"
        return end_round(self, *args, **kwargs)

    monkeypatch.setattr(online, "autocast_context", fake)
    monkeypatch.setattr(lmrl_envs, "rollout", rollout_)
    monkeypatch.setattr(online.OnlineRun, "end_round", end_round_)
    hook = torch.nn.modules.module.register_module_forward_pre_hook(record)
    try:
        train(make_config(algo, data=str(toy_data), out=str(tmp_path), **values))
    finally:
        hook.remove()
    assert {on for p, on in seen if p == "rollout"} == {False}
    assert {on for p, on in seen if p == "update"} == {True}
    assert set(chosen) == {("cpu", True)}
