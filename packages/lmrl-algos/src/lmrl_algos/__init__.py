"""lmrl-algos: PyTorch RL for multi-turn text tasks (BC, %BC, MC Returns, ILQL, PPO, online %BC, GRPO, RLOO,
GiGPO, ArCHer).

Example:
    >>> from lmrl_algos import BCConfig
    >>> cfg = BCConfig(env="maze-fo-v0", data="maze.jsonl", out="runs/bc", steps=200)
    >>> # lmrl_algos.train(cfg) -> path of the checkpoint; load_policy(path) -> a lmrl_envs.Policy

The public names are imported on first use (PEP 562), so that ``import lmrl_algos`` and
``lmrl-algos --help`` do not import torch; ``from lmrl_algos import X`` works as with eager imports.
"""

import importlib
import importlib.util
import sys
import types

__version__ = "0.1.0"

_EXPORTS = {
    "ALGORITHMS": "lmrl_algos.train",
    "ArCHerConfig": "lmrl_algos.archer",
    "BCConfig": "lmrl_algos.bc",
    "Callback": "lmrl_algos.callbacks",
    "ConfigError": "lmrl_algos.common.config",
    "FilteredBCConfig": "lmrl_algos.filtered_bc",
    "GRPOConfig": "lmrl_algos.grpo",
    "GiGPOConfig": "lmrl_algos.grpo",
    "ILQLConfig": "lmrl_algos.ilql",
    "LMPolicy": "lmrl_algos.policy",
    "MCConfig": "lmrl_algos.mc",
    "OnlineFilteredBCConfig": "lmrl_algos.online_filtered_bc",
    "PPOConfig": "lmrl_algos.ppo",
    "RLOOConfig": "lmrl_algos.grpo",
    "TrainConfig": "lmrl_algos.common.config",
    "load_policy": "lmrl_algos.policy",
    "make_config": "lmrl_algos.train",
    "train": "lmrl_algos.train",
}
"""Public name -> the module that defines it."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # lmrl_algos.models etc. without an import
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """Keeps ``lmrl_algos.train`` the function: importing the submodule of that name sets the package's
    attribute to the module, which the eager ``from lmrl_algos.train import train`` used to overwrite."""

    def __setattr__(self, name: str, value) -> None:
        if name == "train" and isinstance(value, types.ModuleType):
            return  # __getattr__ resolves lmrl_algos.train to the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
