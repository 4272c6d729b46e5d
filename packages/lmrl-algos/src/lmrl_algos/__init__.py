"""lmrl-algos: PyTorch RL for multi-turn text tasks (BC, %BC, MC Returns, ILQL, PPO, online %BC).

Example:
    >>> from lmrl_algos import BCConfig
    >>> cfg = BCConfig(env="maze-fo-v0", data="maze.jsonl", out="runs/bc", steps=200)
    >>> # lmrl_algos.train(cfg) -> path of the checkpoint; load_policy(path) -> a lmrl_envs.Policy
"""

from lmrl_algos.bc import BCConfig
from lmrl_algos.common.config import ConfigError, TrainConfig
from lmrl_algos.filtered_bc import FilteredBCConfig
from lmrl_algos.ilql import ILQLConfig
from lmrl_algos.mc import MCConfig
from lmrl_algos.online_filtered_bc import OnlineFilteredBCConfig
from lmrl_algos.policy import LMPolicy, load_policy
from lmrl_algos.ppo import PPOConfig
from lmrl_algos.train import ALGORITHMS, make_config, train

__version__ = "0.1.0"

__all__ = [
    "ALGORITHMS",
    "BCConfig",
    "ConfigError",
    "FilteredBCConfig",
    "ILQLConfig",
    "LMPolicy",
    "MCConfig",
    "OnlineFilteredBCConfig",
    "PPOConfig",
    "TrainConfig",
    "load_policy",
    "make_config",
    "train",
]
