"""Models beyond `--model tiny`: Hub ids from the local cache, --dtype, --gradient-checkpointing, LoRA (train, save,
resume, evaluate, merge). Every model is built here, tiny; nothing is downloaded. Training and decoding run on the
test device (`device` fixture, ``$LMRL_TEST_DEVICE``), so the tolerances depend on the device: two runs are compared
exactly on the CPU and within `_WEIGHT_ATOL` on CUDA, whose backward kernels (atomic adds in the embedding and
attention gradients) are not bit-reproducible; logits within `_LOGIT_ATOL` (CUDA kernels round differently)."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

import lmrl_envs
from lmrl_algos import load_policy, make_config, train
from lmrl_algos.checkpoint import export_model
from lmrl_algos.cli import main
from lmrl_algos.models import (
    ALLOW_DOWNLOADS_ENV,
    LMWithHeads,
    ModelError,
    build_tiny_model,
    build_tiny_tokenizer,
    downloads_allowed,
    load_model,
)

needs_peft = pytest.mark.skipif(importlib.util.find_spec("peft") is None,
                                reason="LoRA needs the peft extra: pip install 'lmrl-algos[peft]'")

FAST = {"batch_size": 4, "log_every": 1, "max_length": 128, "lr": 1e-2}  # + device=device
_WEIGHT_ATOL = {"cpu": 1e-6, "cuda": 1e-3}
"""Weights after a few AdamW steps at lr 1e-2 (each step moves a weight by up to about lr): on CUDA a reduction in
another order can change the normalised update of a weight whose gradient is near 0 by a fraction of lr. A real
difference between two runs (another step, another batch) is of the order of lr."""
_LOGIT_ATOL = {"cpu": 1e-5, "cuda": 1e-4}
LORA = {"lora_r": 4, "lora_alpha": 8.0, "lora_target_modules": "c_attn,c_proj"}


def _texts(path):
    return [t for ep in lmrl_envs.read_episodes(path) for t in ep.texts]


def _lm_weights(ckpt_model_dir):
    return load_file(ckpt_model_dir / "model.safetensors")


def _same(a, b, device):
    """Tensors equal (CPU) or within `_WEIGHT_ATOL` (CUDA)."""
    return torch.equal(a, b) if device == "cpu" else torch.allclose(a, b, atol=_WEIGHT_ATOL[device], rtol=0)


@pytest.fixture(scope="module")
def lora_run(toy_data, tmp_path_factory, device):
    out = tmp_path_factory.mktemp("runs") / "bc-lora"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(out), steps=4, device=device, **FAST,
                      **LORA))
    return out


# ---------------------------------------------------------------- Hub ids from the local cache
def test_downloads_only_when_asked_and_not_offline(monkeypatch):
    monkeypatch.delenv(ALLOW_DOWNLOADS_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert not downloads_allowed()
    monkeypatch.setenv(ALLOW_DOWNLOADS_ENV, "1")
    assert downloads_allowed()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not downloads_allowed()


def test_a_hub_id_missing_from_the_cache_is_refused_without_a_download(monkeypatch, tmp_path):
    monkeypatch.setenv(ALLOW_DOWNLOADS_ENV, "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline wins over the opt-in
    with pytest.raises(ModelError, match="not in the local Hugging Face cache .*LMRL_ALLOW_DOWNLOADS=1"):
        load_model("lmrl-test/no-such-model")
    with pytest.raises(ModelError, match="no such local directory"):
        load_model(str(tmp_path / "missing"))


def test_train_from_a_hub_id_in_a_temporary_hf_cache(maze_data, tmp_path, device):
    # a tiny GPT-2 saved in the hub cache layout: models--org--name/{refs/main, snapshots/<commit>/}
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "hub" / "models--lmrl-test--tiny-gpt2"
    snapshot = repo / "snapshots" / commit
    tok = build_tiny_tokenizer(_texts(maze_data), vocab_size=300)
    build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2).save_pretrained(snapshot)
    tok.save_pretrained(snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    env = {k: v for k, v in os.environ.items() if k not in (ALLOW_DOWNLOADS_ENV, "HF_HUB_CACHE")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "lmrl_algos.cli", "train", "bc", "--env", "maze-fo", "--data", str(maze_data),
            "--out", str(out), "--steps", "1", "--batch-size", "2", "--device", device, "--model", "lmrl-test/tiny-gpt2"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["config"]["model"] == "lmrl-test/tiny-gpt2"
    saved = json.loads((out / "checkpoint" / "model" / "config.json").read_text())
    assert (saved["n_layer"], saved["n_embd"], saved["vocab_size"]) == (1, 32, len(tok))  # the cached model, not tiny
    # another id in the same cache: refused, exit 2, nothing downloaded
    argv[argv.index("lmrl-test/tiny-gpt2")] = "lmrl-test/absent"
    argv[argv.index(str(out))] = str(tmp_path / "run2")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not in the local Hugging Face cache" in done.stderr
    assert not (tmp_path / "hf" / "hub" / "models--lmrl-test--absent").exists()


# ---------------------------------------------------------------- --dtype, --gradient-checkpointing
def test_bf16_weights_are_trained_saved_and_decoded_in_bf16(toy_data, tmp_path, device):
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path), steps=2, dtype="bf16",
                      device=device, **FAST))
    weights = _lm_weights(tmp_path / "checkpoint" / "model")
    assert {t.dtype for t in weights.values()} == {torch.bfloat16}
    policy = load_policy(tmp_path, device, greedy=True, max_new_tokens=4)
    assert {(p.dtype, p.device.type) for p in policy.model.parameters()} == {(torch.bfloat16, device)}
    assert {p.dtype for p in load_policy(tmp_path, device, dtype="fp32").model.parameters()} == {torch.float32}
    eps = lmrl_envs.rollout([lmrl_envs.make("toy-count-v0") for _ in range(2)], policy, 2, seed=0)
    assert [e.texts[0] for e in eps] == ["Count:\n", "Count:\n"]


def test_dtype_errors(toy_data, tmp_path, capsys):
    base = ["train", "bc", "--env", "toy-count-v0", "--data", str(toy_data), "--steps", "1", "--device", "cpu"]
    cases = [
        (["--dtype", "fp8"], "--dtype must be one of fp32, bf16, fp16, got 'fp8'"),
        (["--dtype", "fp16"], "--dtype fp16 trains only LoRA adapters"),
        (["--dtype", "fp16", "--lora-r", "2"], "--dtype fp16 needs a CUDA device"),
        (["--lora-r", "-1"], "--lora-r must be >= 0"),
    ]
    for i, (extra, msg) in enumerate(cases):
        assert main(base + ["--out", str(tmp_path / str(i))] + extra) == 2
        assert msg in capsys.readouterr().err
    assert not any((tmp_path / str(i) / "checkpoint").exists() for i in range(len(cases)))


def test_gradient_checkpointing_is_on_and_gives_the_same_weights(toy_data, tmp_path, device):
    from lmrl_algos.common.trainer import setup_model

    cfg = make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path / "a"), gradient_checkpointing=True)
    model, _ = setup_model(cfg, {}, _texts(toy_data), device)
    hf = model.hf_model
    assert getattr(hf, "is_activation_checkpointing", None) or hf.is_gradient_checkpointing
    for name, ckpt in (("a", True), ("b", False)):
        train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path / name), steps=3,
                          gradient_checkpointing=ckpt, device=device, **FAST))
    a, b = _lm_weights(tmp_path / "a/checkpoint/model"), _lm_weights(tmp_path / "b/checkpoint/model")
    init, _ = load_model("tiny", _texts(toy_data))
    assert any(not torch.equal(b[k], v) for k, v in init.state_dict().items() if k in b)  # it trained
    assert all(torch.allclose(a[k], b[k], atol=_WEIGHT_ATOL[device]) for k in b)


# ---------------------------------------------------------------- LoRA
@needs_peft
def test_lora_trains_only_the_adapter_and_saves_it_in_the_checkpoint(lora_run, toy_data):
    ckpt = lora_run / "checkpoint"
    assert json.loads((ckpt / "adapter" / "adapter_config.json").read_text())["r"] == 4
    adapter = load_file(ckpt / "adapter" / "adapter_model.safetensors")
    lora_b = [v for k, v in adapter.items() if "lora_B" in k]
    assert len(lora_b) == 6  # 2 layers x (attn.c_attn, attn.c_proj, mlp.c_proj)
    assert all(float(v.abs().sum()) > 0 for v in lora_b)  # B starts at 0: it trained
    # model/ is the frozen base, under the plain model's names: exactly the tiny model the run started from
    base, _ = load_model("tiny", _texts(toy_data))
    saved = _lm_weights(ckpt / "model")
    assert set(saved) <= set(base.state_dict()) and all(torch.equal(saved[k], base.state_dict()[k]) for k in saved)


@needs_peft
def test_lora_resume_matches_an_uninterrupted_run(lora_run, toy_data, tmp_path, device):
    cut = make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path), steps=2, device=device, **FAST,
                      **LORA)
    train(cut)
    # --gradient-checkpointing may change on --resume: it does not change the numbers
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path), steps=4, resume=True,
                      gradient_checkpointing=True, device=device, **FAST, **LORA))
    full = load_file(lora_run / "checkpoint" / "adapter" / "adapter_model.safetensors")
    resumed = load_file(tmp_path / "checkpoint" / "adapter" / "adapter_model.safetensors")
    assert full.keys() == resumed.keys() and all(_same(full[k], resumed[k], device) for k in full)


@needs_peft
def test_lora_policy_and_merged_model_compute_the_adapted_model(lora_run, tmp_path, capsys, device):
    from transformers import AutoModelForCausalLM

    from lmrl_algos.models import load_adapter, load_pretrained

    ckpt = lora_run / "checkpoint"
    adapted = load_adapter(load_pretrained(ckpt / "model"), ckpt / "adapter").eval()
    base = load_pretrained(ckpt / "model").eval()
    ids = torch.tensor([[1, 5, 9, 42, 7, 3]])
    with torch.no_grad():
        want = adapted(ids).logits
        assert not torch.allclose(base(ids).logits, want, atol=1e-4)  # the adapter changes the model
        policy = load_policy(lora_run, device, greedy=True)  # merged on the device, compared on the CPU
        assert torch.allclose(policy.model(ids.to(device))["logits"].cpu(), want, atol=_LOGIT_ATOL[device])
        assert main(["merge", str(lora_run), str(tmp_path / "merged")]) == 0
        merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged").eval()
        assert torch.allclose(merged(ids).logits, want, atol=1e-5)
    assert "wrote" in capsys.readouterr().out
    assert not any("lora" in k for k in _lm_weights(tmp_path / "merged"))
    assert main(["merge", str(lora_run), str(tmp_path / "merged")]) == 2  # never overwritten
    assert "not an empty directory" in capsys.readouterr().err
    with pytest.raises(Exception, match="not an empty directory"):
        export_model(lora_run, tmp_path / "merged")


@needs_peft
def test_lora_is_refused_where_unsupported_and_a_lora_init_is_merged(lora_run, toy_data, tmp_path, capsys, device):
    for algo in ("mc", "ilql", "ppo"):
        assert main(["train", algo, "--env", "toy-count-v0", "--data", str(toy_data), "--init", str(lora_run),
                     "--out", str(tmp_path / algo), "--lora-r", "4"]) == 2
        assert f"--lora-r: {algo} trains the whole model" in capsys.readouterr().err
    ckpt = train(make_config("mc", env="toy-count-v0", data=str(toy_data), out=str(tmp_path / "mc"),
                             init=str(lora_run), steps=1, device=device, **FAST))
    assert not (ckpt / "adapter").exists()
    behaviour = {k.removeprefix("behaviour."): v for k, v in load_file(ckpt / "extra.safetensors").items()}
    merged = load_policy(lora_run, device).model.lm.state_dict()  # pi_beta is the merged BC model
    assert all(torch.allclose(behaviour[k], merged[k].cpu()) for k in merged if k in behaviour)
    assert len(behaviour) and "transformer.h.0.attn.c_attn.weight" in behaviour


@needs_peft
def test_lora_target_module_typo_names_the_layers(toy_data, tmp_path, capsys):
    assert main(["train", "bc", "--env", "toy-count-v0", "--data", str(toy_data), "--out", str(tmp_path), "--steps",
                 "1", "--lora-r", "2", "--lora-target-modules", "q_proj"]) == 2
    assert "c_attn" in capsys.readouterr().err


@needs_peft
def test_lmwithheads_runs_a_peft_model_through_its_trunk(device):
    from lmrl_algos.models import add_lora

    tok = build_tiny_tokenizer(["move up\n"], vocab_size=260)
    lm = add_lora(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2), r=2, alpha=4.0)
    model = LMWithHeads(lm, n_q=1).to(device)
    ids = torch.tensor([[1, 2, 3, 4]], device=device)
    sel = torch.tensor([[False, True, False, True]], device=device)
    full, part = model(ids), model(ids, select=sel)
    assert torch.allclose(full["logits"][sel], part["logits"], atol=1e-6 if device == "cpu" else _LOGIT_ATOL[device])
    assert {n for n, p in model.named_parameters() if p.requires_grad and n.startswith("lm.")} and \
        all("lora_" in n for n, p in model.named_parameters() if p.requires_grad and n.startswith("lm."))
