"""Checkpoints: the one module that writes and reads them, atomically.

Layout of ``OUT/checkpoint/`` (written to ``OUT/.checkpoint.tmp`` then renamed into place)::

    model/              the causal LM and its tokenizer (save_pretrained, safetensors);
                        loadable alone with AutoModelForCausalLM / AutoTokenizer.from_pretrained
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
from safetensors.torch import load_file, save_file

__all__ = ["CHECKPOINT_FORMAT", "CheckpointError", "find_checkpoint", "load_into", "read_state", "save"]

CHECKPOINT_FORMAT = "lmrl-algos-checkpoint/1"


class CheckpointError(ValueError):
    """A directory that is not a usable checkpoint; the message says why and what to pass."""


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
    state = json.loads((ckpt / "state.json").read_text())
    if state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{ckpt}: checkpoint format {state.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    return state


def save(out: str | Path, *, model, tokenizer, state: dict[str, Any], optimizer=None,
         extra: dict[str, torch.Tensor] | None = None) -> Path:
    """Write ``OUT/checkpoint`` atomically. `model` is an `LMWithHeads`; `state` goes to state.json."""
    out = Path(out)
    final, tmp, old = out / "checkpoint", out / ".checkpoint.tmp", out / ".checkpoint.old"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
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
        optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True, map_location=device))
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


def _py_rng_to_json(s):
    return [s[0], list(s[1]), s[2]]


def _py_rng_from_json(s):
    return (s[0], tuple(s[1]), s[2])
