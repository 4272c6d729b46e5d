"""Dataset statistics: the columns of the reference's Table 1, computed in one streaming pass.

"length" is the number of agent actions, "return" the undiscounted sum of rewards and "success"
the task's ``info["success"]`` flag (`lmrl_envs.Episode.success`). Standard deviations are
population standard deviations (ddof = 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from lmrl_envs import Episode

__all__ = ["StatsAccumulator", "episode_stats", "format_stats"]


class StatsAccumulator:
    """Accumulates Table-1 statistics episode by episode (constant memory).

    Example:
        >>> acc = StatsAccumulator()
        >>> acc.add(Episode("t-v0", 0, ["o\\n", "a\\n", "o\\n"], [False, True, False], [-1.0], [0], terminated=True))
        >>> acc.result()["return_mean"], acc.result()["success_rate"]
        (-1.0, 1.0)
    """

    def __init__(self) -> None:
        self.n = 0
        self._len = _Moments()
        self._ret = _Moments()
        self.successes = 0
        self.invalid = 0
        self.actions = 0

    def add(self, ep: Episode) -> None:
        """Add one episode."""
        self.n += 1
        self._len.add(float(ep.length))
        self._ret.add(ep.total_return)
        self.successes += bool(ep.success)
        self.invalid += int(ep.info.get("invalid_actions", 0) or 0)
        self.actions += ep.length

    def result(self) -> dict[str, Any]:
        """The statistics as a JSON-ready dict (None where undefined, i.e. no episodes)."""
        if self.n == 0:
            return {"episodes": 0}
        return {
            "episodes": self.n,
            "length_mean": self._len.mean,
            "length_std": self._len.std,
            "length_min": int(self._len.lo),
            "length_max": int(self._len.hi),
            "success_rate": self.successes / self.n,
            "return_mean": self._ret.mean,
            "return_std": self._ret.std,
            "return_min": self._ret.lo,
            "return_max": self._ret.hi,
            "invalid_action_rate": self.invalid / self.actions if self.actions else 0.0,
        }


class _Moments:
    """Welford's running mean / variance, plus min and max."""

    def __init__(self) -> None:
        self.n, self.mean, self._m2 = 0, 0.0, 0.0
        self.lo, self.hi = math.inf, -math.inf

    def add(self, x: float) -> None:
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self._m2 += d * (x - self.mean)
        self.lo, self.hi = min(self.lo, x), max(self.hi, x)

    @property
    def std(self) -> float:
        return math.sqrt(self._m2 / self.n) if self.n else 0.0


def episode_stats(episodes: Iterable[Episode]) -> dict[str, Any]:
    """Table-1 statistics of a stream of episodes.

    Example:
        >>> ep = Episode("t-v0", 0, ["o\\n", "a\\n", "o\\n"], [False, True, False], [-1.0], [0])
        >>> episode_stats([ep, ep])["length_mean"]
        1.0
    """
    acc = StatsAccumulator()
    for ep in episodes:
        acc.add(ep)
    return acc.result()


def format_stats(stats: dict[str, Any]) -> str:
    """A short human-readable block of `episode_stats` output.

    Example:
        >>> print(format_stats({"episodes": 0}))
        episodes        0
    """
    lines = [f"{'episodes':<15} {stats.get('episodes', 0)}"]
    if stats.get("episodes"):
        lines += [
            f"{'length':<15} {stats['length_mean']:.3f} +- {stats['length_std']:.3f} "
            f"(min {stats['length_min']}, max {stats['length_max']})",
            f"{'success rate':<15} {stats['success_rate']:.4f}",
            f"{'return':<15} {stats['return_mean']:.4f} +- {stats['return_std']:.4f} "
            f"(min {stats['return_min']:g}, max {stats['return_max']:g})",
            f"{'invalid actions':<15} {stats['invalid_action_rate']:.4f} of actions",
        ]
    return "\n".join(lines)
