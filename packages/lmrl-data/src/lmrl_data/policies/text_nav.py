"""Text-Nav behaviour policy: two half-house experts, random elsewhere (the original's recipe).

The 8 rooms are split by their distance to the kitchen (`KITCHEN_DISTANCE`) into two halves of
four: the *near* half (kitchen, dining room, garden, backyard; distance <= 1) and the *far* half
(living room, bedroom, office, bathroom; distance >= 2). Each episode uses one of two policies,
the near-half expert with probability `near_half_prob` (0.75) and the far-half expert otherwise.
In its own half an expert takes the next walkthrough action (`walkthrough` of the current game
state) with probability `walkthrough_prob` (1.0: greedily optimal), else a uniformly random
admissible command; in the other half it takes the walkthrough action only with probability
`other_half_prob` (0.2) and is random otherwise. Episodes are cut after `max_steps` = 15 actions, as the
original data collector did. The policy reads the game state from the env (privileged access, like
the original's `PartialWalkthroughAgent`), so the same seed gives the same actions in FO and PO.

Tuning: the original followed the walkthrough with probability 0.1 in its rooms (and never in the
other half); in our simulator that succeeds in 0.1 % of episodes, and even a perfect expert in its
own half with pure randomness in the other succeeds only 6 % of the time (the task always crosses
both halves: the food is in the living room, the fridge in the kitchen). We therefore use a greedy
expert in its half and a 0.2 walkthrough probability in the other half, which gives the paper's
success rate (measured 0.262 on 2,500 episodes vs 0.26) and mean length (11.9 vs 12.2). Random actions are admissible commands, including ``eat stale
food`` (which loses the game).
"""

from __future__ import annotations

import random
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_envs import TextHistory
from lmrl_envs.tasks.text_nav import KITCHEN_DISTANCE, walkthrough

__all__ = ["FAR_HALF", "NEAR_HALF", "HalfHousePolicy"]

NEAR_HALF = frozenset(room for room, d in KITCHEN_DISTANCE.items() if d <= 1)
FAR_HALF = frozenset(KITCHEN_DISTANCE) - NEAR_HALF


class HalfHousePolicy(BehaviourPolicy):
    """Walkthrough in one half of the house, random in the other (see the module doc).

    Args:
        walkthrough_prob: probability of the walkthrough action in the expert's half.
        other_half_prob: probability of the walkthrough action in the other half.
        near_half_prob: probability that the episode's expert is the near-half one.
        max_steps: cut the episode after this many actions.
    """

    name = "text-nav-half-house"

    def __init__(self, walkthrough_prob: float = 1.0, other_half_prob: float = 0.2, near_half_prob: float = 0.75,
                 max_steps: int = 15) -> None:
        super().__init__(walkthrough_prob=walkthrough_prob, other_half_prob=other_half_prob,
                         near_half_prob=near_half_prob, max_steps=max_steps)
        self.walkthrough_prob, self.other_half_prob = walkthrough_prob, other_half_prob
        self.near_half_prob, self.max_steps = near_half_prob, max_steps

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        if self.env is None or not hasattr(self.env, "state"):
            raise RuntimeError("HalfHousePolicy needs the TextNavEnv (begin_episode(slot, seed, env))")
        half = "near" if self.episode_rng("half", seed).random() < self.near_half_prob else "far"
        return {"env": self.env, "half": half, "moves": 0, "expert_moves": 0}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str | None:
        if state["moves"] >= self.max_steps:
            return None
        state["moves"] += 1
        env = state["env"]
        game = env.state
        rooms = NEAR_HALF if state["half"] == "near" else FAR_HALF
        p = self.walkthrough_prob if game.room in rooms else self.other_half_prob
        if rng.random() < p:
            plan = walkthrough(game)
            if plan:
                state["expert_moves"] += 1
                return plan[0]
        return rng.choice(env.valid_actions())

    def describe(self, state: dict[str, Any]) -> dict[str, Any]:
        return {"half": state["half"], "expert_moves": state["expert_moves"]}
