"""Checkpoints: the one module that writes and reads them, atomically.

Layout of ``OUT/checkpoint/`` (written to ``OUT/.checkpoint.tmp`` then renamed into place)::

    model/              the causal LM and its tokenizer (save_pretrained, safetensors);
                        loadable alone with AutoModelForCausalLM / AutoTokenizer.from_pretrained
                        (with LoRA: the frozen base model)
    adapter/            LoRA runs only: the adapter (peft save_pretrained: adapter_config.json,
                        adapter_model.safetensors); `export_model` merges it into a plain model directory
    heads.safetensors   Q / V heads (mc, ilql, ppo); absent for bc
    extra.safetensors   algorithm state outside the model (ilql target network, ppo reference policy)
    optimizer.pt        optimiser state (read back with torch.load(weights_only=True))
    rng.safetensors     torch CPU (and CUDA) generator states
    state.json          format, algo, env_id, config, head layout, step, data position, round,
                        scheduler state, python RNG state, elapsed time

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
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

__all__ = ["ADAPTER", "CHECKPOINT_FORMAT", "CheckpointError", "export_model", "find_checkpoint", "load_into",
           "read_state", "recover", "save", "verify"]

CHECKPOINT_FORMAT = "lmrl-algos-checkpoint/1"

ADAPTER = "adapter"
"""The checkpoint's LoRA adapter directory (absent without LoRA)."""


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
        save_file(heads, tmp / "heads.safetensors")
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


def load_into(path: str | Path, *, model=None, optimizer=None, restore_rng: bool = False,
              device: str | torch.device = "cpu") -> dict[str, Any]:
    """Load heads (strict), optimiser state and RNG states of a checkpoint into live objects.

    The LM itself is loaded with ``from_pretrained(ckpt / "model")`` by the caller (it builds the
    model). Returns the state dict; ``state["extra"]`` holds the extra tensors, if any.
    """
    ckpt = find_checkpoint(path)
    state = read_state(ckpt)
    if model is not None and (ckpt / "heads.safetensors").exists():
        heads = load_file(ckpt / "heads.safetensors", device=str(device))
        missing, unexpected = model.load_state_dict(heads, strict=False)
        missing = [k for k in missing if not k.startswith("lm.")]
        if missing or unexpected:
            raise CheckpointError(f"{ckpt}: head layout differs (missing {missing}, unexpected {unexpected})")
    if optimizer is not None:
        try:
            saved = torch.load(ckpt / "optimizer.pt", weights_only=True, map_location=device)
            optimizer.load_state_dict(saved)
        except Exception as e:  # noqa: BLE001 (arbitrary bytes make the unpickler raise almost any error)
            raise CheckpointError(f"{ckpt / 'optimizer.pt'}: not a readable optimiser state of this run "
                                  f"({type(e).__name__}); {DAMAGED}") from None
    if (ckpt / "extra.safetensors").exists():
        state["extra"] = load_file(ckpt / "extra.safetensors", device=str(device))
    if restore_rng:
        rng = load_file(ckpt / "rng.safetensors")
        torch.set_rng_state(rng["torch"])
        if torch.cuda.is_available():
            cuda = [rng[k] for k in sorted(rng) if k.startswith("cuda")]
            if cuda:
                torch.cuda.set_rng_state_all(cuda)
        random.setstate(_py_rng_from_json(state["python_rng"]))
    return state


def export_model(path: str | Path, out: str | Path, *, dtype: str | None = None) -> Path:
    """Write a checkpoint's language model as a plain transformers model directory `out` (model + tokenizer), its
    LoRA adapter merged into the weights; loadable with ``AutoModelForCausalLM.from_pretrained(out)`` and usable as
    ``--model out`` or ``lmrl-eval evaluate --policy hf:out``. Value heads (mc, ilql, ppo) are not part of it.

    `dtype` (``fp32 | bf16 | fp16``; None: the run's ``--dtype``) is the dtype of the written weights. `out` must
    not exist or be empty; it is written atomically (a temporary directory renamed into place).

    Example:
        >>> export_model("runs/bc-lora", "runs/bc-merged")            # doctest: +SKIP
    """
    from transformers import AutoTokenizer

    from lmrl_algos.models import load_adapter, load_pretrained

    ckpt = verify(path)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CheckpointError(f"{out} exists and is not an empty directory; pass a new output directory")
    dtype = dtype or read_state(ckpt)["config"].get("dtype", "fp32")
    lm = load_pretrained(ckpt / "model", dtype)
    if (ckpt / ADAPTER).is_dir():
        lm = load_adapter(lm, ckpt / ADAPTER).merge_and_unload()
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    lm.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(ckpt / "model").save_pretrained(tmp)
    if out.exists():
        out.rmdir()
    tmp.rename(out)
    return out


def _py_rng_to_json(s):
    return [s[0], list(s[1]), s[2]]


def _py_rng_from_json(s):
    return (s[0], tuple(s[1]), s[2])
