"""Car Dealer sellers: the behaviour mixture of the three scripted seller styles, and the expert.

The seller styles are the env's (`lmrl_envs.tasks.car_dealer.sellers`, the original's three seller
backgrounds): ``discount`` (loves discounts, never talks features), ``features`` (never discounts,
talks features) and ``concise`` (no discounts, no features, very short). The behaviour picks one
style per episode (uniformly by default) and writes its lines with the policy's per-episode
generator, so an episode is a function of its seed.

Measured on 500 episodes each (seed 0, rule buyer): discount success 0.628 / return 0.616 / length
7.96; features 0.712 / 0.736 / 4.58; concise 0.302 / 0.279 / 7.59. The uniform mixture matches the
paper's success (0.53) and return (0.562); the conversation length (paper 16.5) is set by the rule
buyer's patience (5-16 seller lines by personality) and its quick decisions, not by the seller, so
ours is shorter (about 6.7). The **expert** is the best style, ``features`` (mean return 0.736).
"""

from __future__ import annotations

import random
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_envs import TextHistory

__all__ = ["ScriptedSellerPolicy"]


class ScriptedSellerPolicy(BehaviourPolicy):
    """One seller style per episode, drawn with `weights` (see the module doc).

    Args:
        weights: style -> probability (default: the three styles uniformly).

    Example:
        >>> import lmrl_envs
        >>> ep = lmrl_envs.rollout(lmrl_envs.make("car-dealer"), ScriptedSellerPolicy({"concise": 1.0}), 1, seed=3)[0]
        >>> ep.texts[1], ep.info["behaviour"]
        ('Hi. What car do you want?\\n', {'style': 'concise'})
    """

    name = "car-dealer-scripted-seller"

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        from lmrl_envs.tasks.car_dealer.sellers import SELLER_STYLES

        weights = dict(weights) if weights is not None else {s: 1 / 3 for s in SELLER_STYLES}
        unknown = set(weights) - set(SELLER_STYLES)
        if unknown:
            raise ValueError(f"unknown seller style(s) {sorted(unknown)}; choose from {list(SELLER_STYLES)}")
        super().__init__(weights=weights)
        self.weights = weights

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        u = self.episode_rng("style", seed).random()
        styles = list(self.weights)
        for style in styles:
            u -= self.weights[style]
            if u < 0:
                return {"style": style}
        return {"style": styles[-1]}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        from lmrl_envs.tasks.car_dealer.sellers import seller_utterance

        return seller_utterance(state["style"], history, rng)

    def describe(self, state: dict[str, Any]) -> dict[str, Any]:
        return {"style": state["style"]}
