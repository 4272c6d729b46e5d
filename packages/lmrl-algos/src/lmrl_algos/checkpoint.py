"""Checkpoints: the one module that writes and reads them, atomically.

Layout of ``OUT/checkpoint/`` (written to ``OUT/.checkpoint.tmp`` then renamed into place)::

    model/              the causal LM and its tokenizer (save_pretrained, safetensors);
                        loadable alone with AutoModelForCausalLM / AutoTokenizer.from_pretrained
                        (with LoRA: the frozen base model)
    adapter/            LoRA runs only: the adapter (peft save_pretrained: adapter_config.json,
                        adapter_model.safetensors); `export_model` merges it into a plain model directory
    heads.safetensors   Q / V heads (mc, ilql, ppo); absent for bc
    extra.safetensors   algorithm state outside the model (ilql target network, ppo reference policy, archer
                        critic, its target, its optimiser state and its replay buffer)
    optimizer.pt        optimiser state (read back with torch.load(weights_only=True))
    rng.safetensors     torch CPU (and CUDA) generator states
    state.json          format, algo, env_id, config, head layout, step, data position, round,
                        scheduler state, python RNG state, elapsed time

Reading: `load` is the one reader of a checkpoint's model, tokenizer, adapter and heads (training's ``--init``
and ``--resume``, `lmrl_algos.load_policy`, `export_model`); `restore` reads a ``--resume``'s optimiser, RNG
and extra tensors; `read_state` the state.json alone.

Example:
    >>> import tempfile
    >>> read_state(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    lmrl_algos.checkpoint.CheckpointError: ... no lmrl-algos checkpoint (state.json missing)...
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

if TYPE_CHECKING:
    from lmrl_algos.models import LMWithHeads

__all__ = ["ADAPTER", "CHECKPOINT_FORMAT", "HEADS", "CheckpointError", "Loaded", "export_model", "find_checkpoint",
           "load", "load_optimizer_tensors", "optimizer_tensors", "read_state", "recover", "restore", "save", "verify"]

CHECKPOINT_FORMAT = "lmrl-algos-checkpoint/1"

ADAPTER = "adapter"
"""The checkpoint's LoRA adapter directory (absent without LoRA)."""

HEADS = "heads.safetensors"
"""The checkpoint's value heads (absent when the model has none)."""


class CheckpointError(ValueError):
    """A directory that is not a usable checkpoint; the message says why and what to pass."""


DAMAGED = "the checkpoint is damaged: train again into a new --out (or restore the run directory from a copy)"
"""The fix every damaged-checkpoint error names."""

STATE_KEYS = ("algo", "config", "elapsed", "env_id", "position", "python_rng", "round", "scheduler", "step")
"""What `read_state` requires of a state.json (`save` writes these and more)."""


def find_checkpoint(path: str | Path) -> Path:
    """Accept a run directory (``OUT``) or the checkpoint directory itself."""
    path = Path(path)
    if (path / "state.json").exists():
        return path
    if (path / "checkpoint" / "state.json").exists():
        return path / "checkpoint"
    raise CheckpointError(f"{path}: no lmrl-algos checkpoint (state.json missing); pass a run's --out directory")


def read_state(path: str | Path) -> dict[str, Any]:
    """The parsed ``state.json`` of a checkpoint (format checked)."""
    ckpt = find_checkpoint(path)
    try:
        state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{ckpt / 'state.json'}: not valid JSON ({e}); {DAMAGED}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{ckpt / 'state.json'}: not a JSON object; {DAMAGED}")
    if state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{ckpt}: checkpoint format {state.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    missing = sorted(set(STATE_KEYS) - set(state))
    if missing:
        raise CheckpointError(f"{ckpt / 'state.json'}: missing {', '.join(missing)}; {DAMAGED}")
    return state


def verify(path: str | Path) -> Path:
    """Check that a checkpoint is whole: state.json parses and every tensor file reads and holds only finite
    numbers (a run that diverged, or bytes overwritten on disk, would otherwise train or evaluate on nan).

    Returns the checkpoint directory; raises `CheckpointError` naming the file (and tensor).
    """
    ckpt = find_checkpoint(path)
    read_state(ckpt)
    for file in sorted(ckpt.rglob("*.safetensors")):
        try:
            tensors = load_file(file)
        except (SafetensorError, OSError) as e:
            raise CheckpointError(f"{file}: unreadable ({e}); {DAMAGED}") from None
        for name, t in tensors.items():
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                raise CheckpointError(f"{file}: tensor {name} holds nan or inf values; {DAMAGED}")
    return ckpt


def save(out: str | Path, *, model, tokenizer, state: dict[str, Any], optimizer=None,
         extra: dict[str, torch.Tensor] | None = None) -> Path:
    """Write ``OUT/checkpoint`` atomically. `model` is an `LMWithHeads`; `state` goes to state.json."""
    out = Path(out)
    final, tmp, old = out / "checkpoint", out / ".checkpoint.tmp", out / ".checkpoint.old"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    from lmrl_algos.models import base_state_dict, is_peft

    if is_peft(model.lm):  # the frozen base under its own names (a plain model directory), and the adapter
        model.lm.get_base_model().save_pretrained(tmp / "model", state_dict=base_state_dict(model.lm))
        model.lm.save_pretrained(tmp / ADAPTER)
    else:
        model.lm.save_pretrained(tmp / "model")
    tokenizer.save_pretrained(tmp / "model")
    heads = {k: v.detach().cpu().clone() for k, v in model.head_state_dict().items()}
    if heads:
        save_file(heads, tmp / HEADS)
    if extra:
        save_file({k: v.detach().cpu().clone() for k, v in extra.items()}, tmp / "extra.safetensors")
    if optimizer is not None:
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng.update({f"cuda{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    save_file(rng, tmp / "rng.safetensors")
    full = {"format": CHECKPOINT_FORMAT, **state, "python_rng": _py_rng_to_json(random.getstate())}
    (tmp / "state.json").write_text(json.dumps(full, indent=1, sort_keys=True))
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def recover(out: str | Path) -> None:
    """Finish a `save` that a kill cut between its two renames, when ``OUT/checkpoint`` is missing: the
    complete new checkpoint (``.checkpoint.tmp``, whose state.json is written last) or else the previous
    one (``.checkpoint.old``) becomes ``OUT/checkpoint``. Nothing happens otherwise."""
    out = Path(out)
    if (out / "checkpoint").exists():
        return
    for candidate in (out / ".checkpoint.tmp", out / ".checkpoint.old"):
        if (candidate / "state.json").exists():
            candidate.rename(out / "checkpoint")
            return


@dataclass
class Loaded:
    """What `load` read from a checkpoint."""

    path: Path
    """The checkpoint directory (``OUT/checkpoint``)."""
    state: dict[str, Any]
    """Its parsed state.json (`read_state`)."""
    model: LMWithHeads
    """The checkpoint's LM with the heads of `head_kwargs`, on the device."""
    tokenizer: Any
    """The checkpoint's tokenizer."""
    head_kwargs: dict[str, Any]
    """The head layout `model` was built with."""
    extra: dict[str, torch.Tensor]
    """The tensors of extra.safetensors, on the CPU (with ``load(..., extra=True)``; else empty)."""


def load(path: str | Path, *, device: str | torch.device = "cpu", dtype: str | None = None,
         env_id: str | None = None, head_kwargs: dict[str, Any] | None = None, keep_adapter: bool = False,
         adapt: Callable[[torch.nn.Module], torch.nn.Module] | None = None, extra: bool = False) -> Loaded:
    """Read a checkpoint (a run's ``OUT`` or its checkpoint/ directory): the one reader of its model, tokenizer,
    LoRA adapter and heads, for training's ``--init`` and ``--resume``, `lmrl_algos.load_policy` and `export_model`.

    The checkpoint is verified first (`verify`: whole, finite tensors); then the LM is loaded on the CPU in `dtype`,
    a LoRA adapter merged into it (or kept), `adapt` applied, the heads built and the model moved to `device`.

    Args:
        path: the run directory or the checkpoint directory.
        device: where the model goes.
        dtype: ``fp32 | bf16 | fp16``, the LM's weights; None: the run's ``--dtype`` (fp16 read as fp32 off CUDA,
            which is exact: CPUs have no fast fp16 matmuls).
        env_id: the (canonical) env id the caller needs; a checkpoint of another env is refused.
        head_kwargs: the head layout to build (`LMWithHeads` keyword arguments); the heads it shares with the
            checkpoint, by name and shape, are loaded (an ``--init`` from another algorithm keeps what fits). None:
            the checkpoint's own layout, every head loaded (a mismatch is an error).
        keep_adapter: a LoRA checkpoint's adapter stays a trainable adapter (``--resume``); else it is merged into
            the weights.
        adapt: applied to the LM before the heads are built (a training run's fresh LoRA adapters, gradient
            checkpointing).
        extra: read extra.safetensors too (`Loaded.extra`).

    Raises:
        CheckpointError: not a checkpoint, damaged (the file named), of another env, or a head layout that differs.
        OSError: transformers cannot read the model or tokenizer directory.

    Example:
        >>> loaded = load("runs/maze-bc", device="cpu", env_id="maze-fo-v0")        # doctest: +SKIP
        >>> loaded.model, loaded.tokenizer, loaded.state["step"]                   # doctest: +SKIP
    """
    from transformers import AutoTokenizer

    from lmrl_algos.models import LMWithHeads, load_adapter, load_pretrained

    ckpt = find_checkpoint(path)
    state = read_state(ckpt)
    if env_id is not None and state["env_id"] != env_id:
        raise CheckpointError(f"{ckpt}: checkpoint is for {state['env_id']}, but --env is {env_id}; pass a "
                              f"checkpoint trained on {env_id} (or --env {state['env_id']})")
    verify(ckpt)
    if dtype is None:
        dtype = state["config"].get("dtype", "fp32")
        if dtype == "fp16" and torch.device(device).type != "cuda":
            dtype = "fp32"  # a run trained on a GPU, read on a CPU; fp16 -> fp32 is exact
    tokenizer = AutoTokenizer.from_pretrained(ckpt / "model")
    lm = load_pretrained(ckpt / "model", dtype)
    if (ckpt / ADAPTER).is_dir():
        lm = load_adapter(lm, ckpt / ADAPTER, trainable=keep_adapter)
        if not keep_adapter:
            lm = lm.merge_and_unload()
    if adapt is not None:
        lm = adapt(lm)
    strict = head_kwargs is None
    head_kwargs = dict(state.get("head_kwargs", {}) if strict else head_kwargs)
    model = LMWithHeads(lm, **head_kwargs).to(device)
    if (ckpt / HEADS).exists():
        _load_heads(ckpt, model, device, strict=strict)
    tensors = load_file(ckpt / "extra.safetensors") if extra and (ckpt / "extra.safetensors").exists() else {}
    return Loaded(ckpt, state, model, tokenizer, head_kwargs, tensors)


def _load_heads(ckpt: Path, model, device, *, strict: bool) -> None:
    """Load heads.safetensors into `model`: every head (`strict`), or those `model` has with the same shape."""
    heads = load_file(ckpt / HEADS, device=str(device))
    own = model.head_state_dict()
    if not strict:
        model.load_state_dict({k: v for k, v in heads.items() if k in own and own[k].shape == v.shape}, strict=False)
        return
    missing, unexpected = model.load_state_dict(heads, strict=False)
    missing = [k for k in missing if not k.startswith("lm.")]
    if missing or unexpected:
        raise CheckpointError(f"{ckpt}: head layout differs (missing {missing}, unexpected {unexpected}); {DAMAGED}")


def restore(path: str | Path, *, optimizer, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Restore a ``--resume``: the optimiser state into `optimizer`, and the torch, CUDA and Python RNG states.

    The model comes from `load` (``keep_adapter=True``). Returns the state dict; ``state["extra"]`` holds the extra
    tensors (on `device`), if any.
    """
    ckpt = find_checkpoint(path)
    state = read_state(ckpt)
    try:
        saved = torch.load(ckpt / "optimizer.pt", weights_only=True, map_location=device)
        optimizer.load_state_dict(saved)
    except Exception as e:  # noqa: BLE001 (arbitrary bytes make the unpickler raise almost any error)
        raise CheckpointError(f"{ckpt / 'optimizer.pt'}: not a readable optimiser state of this run "
                              f"({type(e).__name__}); {DAMAGED}") from None
    if (ckpt / "extra.safetensors").exists():
        state["extra"] = load_file(ckpt / "extra.safetensors", device=str(device))
    rng = load_file(ckpt / "rng.safetensors")
    torch.set_rng_state(rng["torch"])
    if torch.cuda.is_available():
        cuda = [rng[k] for k in sorted(rng) if k.startswith("cuda")]
        if cuda:
            torch.cuda.set_rng_state_all(cuda)
    random.setstate(_py_rng_from_json(state["python_rng"]))
    return state


def optimizer_tensors(optimizer: torch.optim.Optimizer, prefix: str) -> dict[str, torch.Tensor]:
    """A second optimiser's state as extra tensors (``optimizer.pt`` holds the run's own): ``PREFIX<i>.<name>`` for
    each parameter i's state (AdamW: step, exp_avg, exp_avg_sq). The hyper-parameters are not saved: the run
    rebuilds them from its config. `load_optimizer_tensors` reads them back.

    Example:
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> opt = torch.optim.AdamW([w])
        >>> w.grad = torch.ones(2); opt.step()
        >>> sorted(optimizer_tensors(opt, "critic_opt."))
        ['critic_opt.0.exp_avg', 'critic_opt.0.exp_avg_sq', 'critic_opt.0.step']
    """
    return {f"{prefix}{i}.{name}": value if torch.is_tensor(value) else torch.tensor(value)
            for i, state in optimizer.state_dict()["state"].items() for name, value in state.items()}


def load_optimizer_tensors(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], prefix: str) -> None:
    """Put the state `optimizer_tensors` saved under `prefix` back into `optimizer` (its hyper-parameters kept)."""
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix):
            i, name = key.removeprefix(prefix).split(".", 1)
            state.setdefault(int(i), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def export_model(path: str | Path, out: str | Path, *, dtype: str | None = None) -> Path:
    """Write a checkpoint's language model as a plain transformers model directory `out` (model + tokenizer), its
    LoRA adapter merged into the weights; loadable with ``AutoModelForCausalLM.from_pretrained(out)`` and usable as
    ``--model out`` or ``lmrl-eval evaluate --policy hf:out``. Value heads (mc, ilql, ppo) are not part of it.

    `dtype` (``fp32 | bf16 | fp16``; None: the run's ``--dtype``) is the dtype of the written weights. `out` must
    not exist or be empty; it is written atomically (a temporary directory renamed into place).

    Example:
        >>> export_model("runs/bc-lora", "runs/bc-merged")            # doctest: +SKIP
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CheckpointError(f"{out} exists and is not an empty directory; pass a new output directory")
    loaded = load(path, dtype=dtype or read_state(path)["config"].get("dtype", "fp32"), head_kwargs={})
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    loaded.model.lm.save_pretrained(tmp)
    loaded.tokenizer.save_pretrained(tmp)
    if out.exists():
        out.rmdir()
    tmp.rename(out)
    return out


def _py_rng_to_json(s):
    return [s[0], list(s[1]), s[2]]


def _py_rng_from_json(s):
    return (s[0], tuple(s[1]), s[2])
