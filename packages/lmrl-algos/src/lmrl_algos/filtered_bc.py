"""%BC: behaviour cloning on the best episodes only (top fraction by return, or successes only).

The reference's per-task filter (paper Table 3): dialogue tasks keep the top 10 % by return, Wordle
the top 30 %, Maze / Text-Nav / Chess / Endgames the successful episodes (see `presets.py`).

The filter is `lmrl_envs.filter_episodes`, the one the dataset recipes' %BC subsets use.

Example:
    >>> from lmrl_envs import Episode, filter_episodes
    >>> eps = [Episode("t-v0", i, ["o\\n", "a\\n", "o\\n"], [False, True, False], [float(i)], [0]) for i in range(10)]
    >>> [e.seed for e in filter_episodes(eps, top_fraction=0.3, success_only=False)]
    [7, 8, 9]
"""

from __future__ import annotations

from dataclasses import dataclass

from lmrl_algos.bc import BC, BCConfig
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.trainer import run_offline
from lmrl_envs import filter_episodes

__all__ = ["FilteredBC", "FilteredBCConfig", "train"]


@dataclass(frozen=True)
class FilteredBCConfig(BCConfig):
    """%BC: BC on a filtered dataset."""

    top_fraction: float = 0.1
    """Keep this fraction of episodes with the highest return (ties broken by file order)."""
    success_only: bool = False
    """Keep only successful episodes (info["success"], else terminated) instead of a top fraction."""

    def validate(self) -> None:
        super().validate()
        if not 0 < self.top_fraction <= 1:
            raise ConfigError(f"--top-fraction must be in (0, 1], got {self.top_fraction}")


class FilteredBC(BC):
    name = "filtered_bc"
    config_cls = FilteredBCConfig

    def select(self, episodes, cfg):
        return filter_episodes(episodes, top_fraction=cfg.top_fraction, success_only=cfg.success_only)


def train(config: FilteredBCConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train %BC; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    return run_offline(FilteredBC(), config, model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
