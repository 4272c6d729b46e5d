"""Every algorithm trains (a few steps, tiny model, on the test device: `device` fixture, ``$LMRL_TEST_DEVICE``);
bf16 autocast on CUDA; checkpoints, policies and CLI errors."""

import json
import math

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import ALGORITHMS, load_policy, make_config, train
from lmrl_algos.cli import main
from lmrl_algos.common.config import field_docs

FAST = {"steps": 3, "batch_size": 4, "log_every": 1, "max_length": 128}  # + device=device
ONLINE = {"steps": 1, "batch_size": 8, "n_rollouts": 4, "rollout_batch": 4, "max_new_tokens": 6}


@pytest.fixture(scope="module")
def bc_run(toy_data, tmp_path_factory, device):
    out = tmp_path_factory.mktemp("runs") / "bc"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(out), lr=1e-3, device=device, **FAST))
    return out


@pytest.mark.parametrize("algo", ["filtered_bc", "mc", "ilql"])
def test_offline_algorithms_train_from_bc(algo, toy_data, bc_run, tmp_path, device):
    ckpt = train(make_config(algo, env="toy-count-v0", data=str(toy_data), out=str(tmp_path), init=str(bc_run),
                             device=device, **FAST))
    state = json.loads((ckpt / "state.json").read_text())
    assert (state["algo"], state["step"], state["env_id"]) == (algo, 3, "toy-count-v0")
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert all(torch.isfinite(torch.tensor(r["losses/total"])) for r in rows)


def test_value_checkpoint_decodes_with_its_beta_and_support_p(toy_data, bc_run, tmp_path, device):
    train(make_config("mc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path), init=str(bc_run),
                      beta=3.0, support_p=0.9, device=device, **FAST))
    policy = load_policy(tmp_path, device)
    assert (policy.value_term, policy.beta, policy.support_p) == ("q", 3.0, 0.9)
    assert load_policy(tmp_path, device, support_p=1.0).support_p == 1.0
    assert load_policy(bc_run, device).support_p == 1.0


@pytest.mark.parametrize("algo", ["ppo", "online_filtered_bc"])
def test_online_algorithms_run_a_round(algo, bc_run, tmp_path, device):
    ckpt = train(make_config(algo, env="toy-count-v0", out=str(tmp_path), init=str(bc_run), device=device, **ONLINE))
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    state = json.loads((ckpt / "state.json").read_text())
    assert state["round"] == 1
    # the round's chart is the mean return of the BC policy's sampled rollouts of round 0, replayed here (on the
    # same device: on CUDA, other batch shapes round differently, which flips a sampled token only at a threshold)
    cfg = state["config"]
    policy = load_policy(bc_run, device, greedy=False, seed=cfg["seed"], max_new_tokens=cfg["max_new_tokens"],
                         max_length=cfg["max_length"])
    specs = lmrl_envs.specs_from_seeds(cfg["n_rollouts"], cfg["seed"] * 1_000_003)
    eps = lmrl_envs.rollout([lmrl_envs.make("toy-count-v0") for _ in range(2)], policy, specs=specs)
    assert rows[-1]["charts/return"] == pytest.approx(sum(e.total_return for e in eps) / len(eps))
    assert rows[-1]["charts/env_steps"] == sum(e.length for e in eps)


@pytest.mark.parametrize("algo", ["bc", "ilql"])
def test_maze_smoke(algo, maze_data, tmp_path, device):
    train(make_config(algo, env="maze-fo", data=str(maze_data), out=str(tmp_path), device=device, **FAST))
    policy = load_policy(tmp_path, device, env_id="maze-fo", greedy=True, max_new_tokens=4)
    eps = lmrl_envs.rollout([lmrl_envs.make("maze-fo") for _ in range(2)], policy, 2, seed=0)
    assert len(eps) == 2 and all(ep.env_id == "maze-fo-v0" for ep in eps)


@pytest.mark.parametrize(("algo", "bf16"), [("bc", True), ("ilql", True), ("bc", False)])
def test_bf16_autocast_on_cuda_computes_in_bf16_and_keeps_fp32_weights(algo, bf16, toy_data, tmp_path, device):
    if device != "cuda":
        pytest.skip("--bf16 autocast is CUDA-only (the trainer ignores it on the CPU); LMRL_TEST_DEVICE=cuda runs it")
    seen = set()  # dtypes of the Linear layers' outputs in the training forwards (generation runs without grad)

    def record(module, args, output):
        if isinstance(module, torch.nn.Linear) and torch.is_grad_enabled():
            seen.add(output.dtype)

    hook = torch.nn.modules.module.register_module_forward_hook(record)
    try:
        ckpt = train(make_config(algo, env="toy-count-v0", data=str(toy_data), out=str(tmp_path), bf16=bf16,
                                 device=device, **FAST))
    finally:
        hook.remove()
    assert seen == {torch.bfloat16 if bf16 else torch.float32}
    assert {t.dtype for t in load_file(ckpt / "model" / "model.safetensors").values()} == {torch.float32}
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and all(math.isfinite(r["losses/total"]) for r in rows)
    policy = load_policy(tmp_path, device, greedy=True, max_new_tokens=4)
    eps = lmrl_envs.rollout([lmrl_envs.make("toy-count-v0") for _ in range(2)], policy, 2, seed=0)
    assert [e.texts[0] for e in eps] == ["Count:\n", "Count:\n"]


def test_checkpoint_round_trip_and_from_pretrained(bc_run, device):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ckpt = bc_run / "checkpoint"
    lm = AutoModelForCausalLM.from_pretrained(ckpt / "model")
    tok = AutoTokenizer.from_pretrained(ckpt / "model")
    assert tok.encode("\n", add_special_tokens=False) == [tok.convert_tokens_to_ids("Ċ")]
    saved = load_file(ckpt / "model" / "model.safetensors")
    for k, v in saved.items():
        assert torch.equal(lm.state_dict()[k], v), k
    p1 = load_policy(bc_run, device, greedy=False, seed=3)
    p2 = load_policy(bc_run, device, greedy=False, seed=3)
    hist = [(lmrl_envs.Text("Count:\n", False),)] * 3
    assert p1.act(hist, [0, 1, 2]) == p2.act(hist, [0, 1, 2])
    with pytest.raises(ValueError, match="maze-fo-v0"):
        load_policy(bc_run, device, env_id="maze-fo")


def test_rerank_picks_a_legal_action(bc_run, device):
    env = lmrl_envs.make("toy-count-v0")
    policy = load_policy(bc_run, device, greedy=True, rerank=True, candidates=lambda slot: env.valid_actions())
    env.reset(seed=0)
    assert policy.act([env.history], [0])[0] in ("up\n", "down\n")


def test_cli_errors(toy_data, bc_run, tmp_path, capsys):
    base = ["train", "bc", "--env", "toy-count-v0", "--out", str(tmp_path / "o"), "--steps", "1"]
    cases = [
        (["--data", str(tmp_path / "missing.jsonl")], "no such file"),
        (["--data", str(toy_data), "--env", "maze-fo-v0"], "but --env is maze-fo-v0"),
        (["--data", str(toy_data), "--model", str(tmp_path / "nope")], "--model tiny"),
        (["--data", str(toy_data), "--lr", "-1"], "--lr must be in (0, 1], got -1.0"),
        (["--data", str(toy_data), "--init", str(tmp_path)], "state.json missing"),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "lmrl-episode/1"}\n')
    cases.append((["--data", str(bad)], "bad.jsonl:1"))
    newer = tmp_path / "newer.jsonl"
    newer.write_text(toy_data.read_text().splitlines()[0].replace("lmrl-episode/1", "lmrl-episode/9") + "\n")
    cases += [
        (["--data", str(newer)], "newer.jsonl:1: format: expected 'lmrl-episode/1', got 'lmrl-episode/9'"),
        (["--data", str(toy_data), "--model", "lmrl-test/not-cached"], "not in the local Hugging Face cache"),
        (["--data", str(toy_data), "--gamma", "1.5"], "--gamma must be in (0, 1], got 1.5"),
        (["--data", str(toy_data), "--cpu-threads", "0"], "--cpu-threads must be >= 1"),
        (["--data", str(toy_data), "--out", str(bc_run)], "already holds a checkpoint; pass --resume"),
    ]
    for extra, msg in cases:
        assert main(base + extra) == 2
        assert msg in capsys.readouterr().err
    assert main(["train", "mc", "--env", "maze-fo-v0", "--data", str(toy_data), "--out", str(tmp_path / "x")]) == 2
    algo_cases = [  # algorithm flags out of range; an --init for another env
        (["train", "ilql", "--tau", "1.2"], "--tau must be in (0, 1), got 1.2"),
        (["train", "filtered_bc", "--top-fraction", "0"], "--top-fraction must be in (0, 1], got 0"),
    ]
    common = ["--data", str(toy_data), "--env", "toy-count-v0", "--out", str(tmp_path / "y"), "--steps", "1"]
    for argv, msg in algo_cases:
        assert main(argv[:2] + common + argv[2:]) == 2
        assert msg in capsys.readouterr().err
    # an --init for another env (online: no --data needed, so the checkpoint's env is what is checked)
    assert main(["train", "ppo", "--env", "maze-fo-v0", "--init", str(bc_run), "--out", str(tmp_path / "y")]) == 2
    assert "checkpoint is for toy-count-v0, but --env is maze-fo-v0" in capsys.readouterr().err
    assert not (tmp_path / "y" / "checkpoint").exists()  # every error came before training


def test_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit):
        main(["train", "ilql", "--help"])
    text = capsys.readouterr().out
    for name in field_docs(type(make_config("ilql"))):
        assert "--" + name.replace("_", "-") in text
    assert "Expectile of the V regression" in text


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["presets", "--help"],
                                  *[["train", name, "--help"] for name in ALGORITHMS]])
def test_every_help_runs(argv, capsys):
    # "%BC" in a help text once crashed argparse's formatter (it reads % as a format character)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    assert "usage: lmrl-algos" in capsys.readouterr().out
