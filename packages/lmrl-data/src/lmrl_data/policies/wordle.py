"""Wordle behaviour policy: the original's `RandomMixturePolicy`.

Each guess is, with probability `prob_smart` (0.33: the paper's "random 66 %, consistent 33 %"), a
uniformly random word consistent with all feedback so far, and otherwise a uniformly random
vocabulary word. The consistent set is the env's (`WordleEnv.candidates`, the same set as
`consistent_words` of the history); guesses are written as the env expects (``"c r a n e\\n"``).
"""

from __future__ import annotations

import random
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_envs import TextHistory
from lmrl_envs.tasks.wordle import consistent_words, format_guess, guesses_from_history, load_vocab

__all__ = ["RandomMixturePolicy"]


class RandomMixturePolicy(BehaviourPolicy):
    """Consistent word with probability `prob_smart`, else a random vocabulary word.

    Args:
        prob_smart: probability of a guess consistent with the feedback.
    """

    name = "wordle-random-mixture"

    def __init__(self, prob_smart: float = 0.33) -> None:
        super().__init__(prob_smart=prob_smart)
        self.prob_smart = prob_smart

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        return {"env": self.env, "smart": 0}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        env = state["env"]
        vocab = env.vocab if env is not None else load_vocab()
        if rng.random() < self.prob_smart:
            state["smart"] += 1
            words = env.candidates if env is not None else consistent_words(guesses_from_history(history), vocab)
            return format_guess(rng.choice(words))
        return format_guess(rng.choice(vocab))

    def describe(self, state: dict[str, Any]) -> dict[str, Any]:
        return {"smart_guesses": state["smart"]}
