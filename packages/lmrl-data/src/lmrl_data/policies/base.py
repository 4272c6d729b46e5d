"""The behaviour-policy base class and the dataset recipe record.

A behaviour policy is a scripted player that implements the `lmrl_envs.Policy` protocol
(`act(histories, slots)` and `end_episode(slot)`). Its randomness comes from its own
`random.Random`, seeded once per episode from the episode seed, so an episode's actions depend only
on that seed (never on batching, worker count or the episodes played before it).

`lmrl_envs.rollout` tells the policy which episode a slot starts with `begin_episode(slot, seed, env)`
(after the reset), records `episode_info(slot)` as ``info["behaviour"]``, and cuts the episode when
the policy acts ``None``. A policy may also choose the episode's reset options (e.g. the maze start
cell) with `episode_options(seed)`; the generator puts them in the episode's `EpisodeSpec`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lmrl_envs import TextHistory
from lmrl_envs.task import load_entry_point

__all__ = ["BehaviourPolicy", "PaperStats", "Recipe", "seeded_rng"]


def seeded_rng(*parts: object) -> random.Random:
    """A `random.Random` seeded from a string key (stable across Python versions and processes).

    Example:
        >>> seeded_rng("maze", 3).random() == seeded_rng("maze", 3).random()
        True
    """
    return random.Random("lmrl-data/" + "/".join(str(p) for p in parts))


class BehaviourPolicy:
    """Base class of the scripted behaviour policies.

    A subclass sets `name`, takes its parameters as keyword arguments, and implements
    `start(seed, rng) -> state` (per-episode state) and `choose(history, state, rng) -> action`.
    Optional hooks: `episode_options(seed)` (reset options), `describe(state)` (recorded under
    ``info["behaviour"]`` of the episode, via `episode_info(slot)`) and `close()`.

    Example:
        >>> class Always(BehaviourPolicy):
        ...     name = "always"
        ...     def choose(self, history, state, rng):
        ...         return "move up\\n"
        >>> p = Always()
        >>> p.begin_episode(0, seed=7)
        >>> p.act([()], [0])
        ['move up\\n']
    """

    name: ClassVar[str] = "policy"

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)
        self.env: Any = None
        self.policy_seed = 0
        """Mixed into every per-episode generator (`episode_rng`); 0 = the datasets' streams."""
        self._slots: dict[int, tuple[random.Random, Any]] = {}

    def episode_rng(self, purpose: str, seed: int) -> random.Random:
        """The policy's generator for one purpose in the episode with this seed (see `policy_seed`)."""
        if self.policy_seed:
            return seeded_rng(self.name, purpose, seed, "policy-seed", self.policy_seed)
        return seeded_rng(self.name, purpose, seed)

    # ------------------------------------------------------------------ protocol
    def begin_episode(self, slot: int, seed: int, env: Any = None) -> None:
        """Start the episode with this seed in `slot` (seeds the policy's generator).

        `env`, when given, is the episode's environment, for scripted policies that read the game
        state (privileged access, like a solver); `start` sees it as ``self.env``.
        """
        rng = self.episode_rng("episode", seed)
        self.env = env
        try:
            self._slots[slot] = (rng, self.start(seed, rng))
        finally:
            self.env = None

    def act(self, histories: Sequence[TextHistory], slots: Sequence[int]) -> list[str]:
        """One action per history (see `lmrl_envs.Policy`)."""
        out = []
        for history, slot in zip(histories, slots, strict=True):
            if slot not in self._slots:
                raise RuntimeError(f"{type(self).__name__}: slot {slot} acted before begin_episode(slot, seed)")
            rng, state = self._slots[slot]
            out.append(self.choose(history, state, rng))
        return out

    def end_episode(self, slot: int) -> None:
        """Forget the slot's episode state."""
        self._slots.pop(slot, None)

    def episode_info(self, slot: int) -> dict[str, Any]:
        """The behaviour record of the slot's running episode (`describe` of its state)."""
        return self.describe(self._slots[slot][1]) if slot in self._slots else {}

    # ------------------------------------------------------------------ hooks
    def episode_options(self, seed: int) -> dict[str, Any]:
        """Reset options of the episode with this seed (default: none)."""
        return {}

    def start(self, seed: int, rng: random.Random) -> Any:
        """Per-episode state (default: a fresh dict)."""
        return {}

    def choose(self, history: TextHistory, state: Any, rng: random.Random) -> str:
        raise NotImplementedError

    def describe(self, state: Any) -> dict[str, Any]:
        """What to record about the episode's behaviour (default: nothing)."""
        return {}

    def close(self) -> None:
        """Release external resources (engines)."""


@dataclass(frozen=True)
class PaperStats:
    """One row of the reference's Table 1 (dataset statistics)."""

    size: int
    length_mean: float
    length_std: float
    success_rate: float
    return_mean: float
    return_std: float


@dataclass(frozen=True)
class Recipe:
    """How one dataset is made.

    Attributes:
        env_id: the versioned env id the dataset is for (``"maze-fo-v0"``).
        policy: the behaviour policy, ``"module:Class"`` (or the class itself, for in-process use).
        params: the policy's keyword arguments (recorded in the manifest).
        default_episodes: the full (paper) size.
        description: one paragraph for `lmrl-data list` and the README.
        paper: the reference's Table 1 row.
        tolerance: allowed |ours - paper| per statistic name (documented in the README).
        bc_filter: the paper's %BC subset: ``"success"`` or ``"top<k>"`` (top k % by return).
        env_entry: ``"module:Class"`` (or a factory) to build the env directly; None = `lmrl_envs.make`.
        env_kwargs: keyword arguments for the env.
    """

    env_id: str
    policy: str | Callable[..., BehaviourPolicy]
    params: dict[str, Any] = field(default_factory=dict)
    default_episodes: int = 1000
    description: str = ""
    paper: PaperStats | None = None
    tolerance: dict[str, float] = field(default_factory=dict)
    bc_filter: str = "success"
    env_entry: str | Callable[..., Any] | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def make_env(self):
        """Build the environment."""
        if self.env_entry is None:
            import lmrl_envs

            return lmrl_envs.make(self.env_id, **self.env_kwargs)
        factory = load_entry_point(self.env_entry)
        env = factory(**self.env_kwargs)
        env.env_id = self.env_id
        return env

    def make_policy(self) -> BehaviourPolicy:
        """Build the behaviour policy."""
        factory = load_entry_point(self.policy)
        return factory(**self.params)
