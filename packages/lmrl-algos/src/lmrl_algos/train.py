"""`train(config)`: the Python entry point; the config's type picks the algorithm.

Example:
    >>> cfg = make_config("mc", preset="maze", env="maze-fo-v0", data="d.jsonl", out="runs/mc", steps=5)
    >>> (type(cfg).__name__, cfg.beta, cfg.steps)
    ('MCConfig', 8.0, 5)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lmrl_algos import bc, filtered_bc, ilql, mc, online_filtered_bc, ppo
from lmrl_algos.common.config import ConfigError, TrainConfig
from lmrl_algos.presets import preset_values

__all__ = ["ALGORITHMS", "make_config", "train"]

ALGORITHMS = {
    "bc": (bc.BCConfig, bc.train),
    "filtered_bc": (filtered_bc.FilteredBCConfig, filtered_bc.train),
    "mc": (mc.MCConfig, mc.train),
    "ilql": (ilql.ILQLConfig, ilql.train),
    "ppo": (ppo.PPOConfig, ppo.train),
    "online_filtered_bc": (online_filtered_bc.OnlineFilteredBCConfig, online_filtered_bc.train),
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


def train(config: TrainConfig) -> Path:
    """Train the algorithm the config belongs to; returns the checkpoint directory."""
    for cls, fn in ALGORITHMS.values():
        if type(config) is cls:
            return fn(config)
    raise ConfigError(f"train() needs one of {[c.__name__ for c, _ in ALGORITHMS.values()]}, got {type(config).__name__}")
