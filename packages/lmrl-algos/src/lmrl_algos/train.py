"""`train(config)`: the Python entry point; the config's type picks the algorithm.

The CLI (``lmrl-algos train ALGO ...``) builds the config and calls ``train(config)``. From Python, `train`
also takes an in-memory model and tokenizer (instead of ``config.model`` / ``config.init``), the
episodes (instead of ``config.data``) and callbacks (`lmrl_algos.callbacks`).

Example:
    >>> cfg = make_config("mc", preset="maze", env="maze-fo-v0", data="d.jsonl", out="runs/mc", steps=5)
    >>> (type(cfg).__name__, cfg.beta, cfg.steps)
    ('MCConfig', 1.0, 5)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lmrl_algos import archer, bc, filtered_bc, grpo, ilql, mc, online_filtered_bc, ppo
from lmrl_algos.common.config import ConfigError, TrainConfig
from lmrl_algos.presets import preset_values

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from lmrl_algos.callbacks import Callback
    from lmrl_envs import Episode

__all__ = ["ALGORITHMS", "make_config", "train"]

ALGORITHMS = {
    "bc": (bc.BCConfig, bc.train),
    "filtered_bc": (filtered_bc.FilteredBCConfig, filtered_bc.train),
    "mc": (mc.MCConfig, mc.train),
    "ilql": (ilql.ILQLConfig, ilql.train),
    "ppo": (ppo.PPOConfig, ppo.train),
    "online_filtered_bc": (online_filtered_bc.OnlineFilteredBCConfig, online_filtered_bc.train),
    "grpo": (grpo.GRPOConfig, grpo.train),
    "rloo": (grpo.RLOOConfig, grpo.train),
    "gigpo": (grpo.GiGPOConfig, grpo.train),
    "archer": (archer.ArCHerConfig, archer.train),
}
"""Algorithm name -> (config class, train function)."""


def make_config(algo: str, *, preset: str | None = None, **values) -> TrainConfig:
    """The config of `algo`: dataclass defaults, then the preset's values, then `values`."""
    if algo not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {algo!r}; choose one of {', '.join(ALGORITHMS)}")
    cls = ALGORITHMS[algo][0]
    merged = dict(preset_values(algo, preset)) if preset else {}
    merged.update(values)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(merged) - names
    if unknown:
        raise ConfigError(f"{algo}: unknown option(s) {sorted(unknown)}")
    return cls(preset=preset, **merged)


def train(config: TrainConfig, *, model: PreTrainedModel | None = None, tokenizer: PreTrainedTokenizerBase | None = None,
          episodes: Iterable[Episode] | None = None, callbacks: Iterable[Callback] = ()) -> Path:
    """Train the algorithm the config belongs to; returns the checkpoint directory (``config.out/checkpoint``).

    Args:
        config: the run's config (`make_config`, or an algorithm's config class).
        model: an in-memory Hugging Face causal LM to train instead of loading ``config.model`` or
            ``config.init`` (leave both at their defaults). It is prepared as a loaded model is (cast to
            ``config.dtype``; LoRA adapters with ``config.lora_r``; the algorithm's value heads on top; a pad
            token added to `tokenizer`, and the embeddings resized, if it has none) and trained in place
            (moved to the device): after `train` it holds the final weights. Under ``torchrun`` rank 0's copy is
            broadcast to the other ranks.
        tokenizer: its tokenizer (required with `model`, and only with it); ``"\\n"`` must be one token.
        episodes: `lmrl_envs.Episode` records (any iterable) to train on instead of ``config.data`` (then None);
            checked as a data file is (non-empty, recorded on ``config.env``). Online algorithms use them where
            they use ``config.data``: the texts of a tiny model's tokenizer, PPO's ``bc_weight`` batches,
            ArCHer's ``warm_start_episodes``.
        callbacks: objects with ``on_step(step, metrics)`` and/or ``on_eval(step, metrics)``
            (`lmrl_algos.callbacks.Callback`), called on the main process at each log step and after each
            evaluation (``config.eval_every``); a true return value saves a checkpoint at that step and stops.

    The checkpoint is the one the CLI writes (`load_policy`, ``--init`` and ``--resume`` read it); its
    ``state.json`` notes the in-memory inputs under ``in_memory``. Resuming (``config.resume=True``) reads the
    model and tokenizer from the checkpoint, so `model` and `tokenizer` are refused then; in-memory
    `episodes` must be passed again, the same ones in the same order (checked by their sha256).

    Raises:
        ConfigError: a contradictory or invalid input (e.g. `model` without `tokenizer`, `model` with
            ``config.init`` or ``config.resume``, `episodes` with ``config.data``), before any work.

    Example:
        >>> import json, tempfile, lmrl_envs
        >>> from lmrl_algos.callbacks import Callback
        >>> from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer
        >>> eps = lmrl_envs.rollout([lmrl_envs.make("maze-fo-v0") for _ in range(4)],
        ...                         lambda histories: ["move up\\n"] * len(histories), 8, seed=0)
        >>> tok = build_tiny_tokenizer(t for ep in eps for t in ep.texts)
        >>> class StopAt(Callback):
        ...     def on_step(self, step, metrics):
        ...         return step == 4                             # save step 4 and stop
        >>> cfg = make_config("bc", env="maze-fo-v0", out=tempfile.mkdtemp(), steps=100, batch_size=4,
        ...                   log_every=2, device="cpu", report_to="none")
        >>> ckpt = train(cfg, model=build_tiny_model(tok), tokenizer=tok, episodes=eps, callbacks=[StopAt()])
        ... # doctest: +ELLIPSIS
        bc: 4 steps (stopped by a callback) in ...
        >>> json.loads((ckpt / "state.json").read_text())["step"]
        4
    """
    for cls, fn in ALGORITHMS.values():
        if type(config) is cls:
            return fn(config, model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
    raise ConfigError(f"train() needs one of {[c.__name__ for c, _ in ALGORITHMS.values()]}, got {type(config).__name__}")
