"""Question-asking policies for Twenty Questions and Guess My City, over a knowledge base.

A `QuestionBank` lists questions and, for every hidden item (object or city), the answer the
env's rule-based oracle gives (the table is built once by asking the oracle; it is the asker's
knowledge of the world). An `Asker` keeps the set of items consistent with the answers so far
(a wrong guess removes the guessed item) and, per turn:

1. on the last question, or when one item is left (from question ``min_guess_turn`` on), guesses
   an item of the consistent set;
2. else, from question ``min_guess_turn`` on, with probability ``early_guess_prob`` once at most
   ``early_guess_max`` items are left, guesses one of them (uniformly);
3. else asks the question that maximises the entropy of the answer partition of the consistent
   set (probability ``greedy_prob``), or a uniformly random question not asked yet.

The behaviour recipes mix askers of several skills per episode (`SKILLS`-style parameters); the
expert is ``greedy_prob=1`` with every question of the bank and no early guesses. If an answer
matches no item of the consistent set (an LM oracle that disagrees with the rules), the set is
kept as it was.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_envs import TextHistory

__all__ = ["Asker", "QuestionBank", "answer_entropy"]


@dataclass(frozen=True)
class QuestionBank:
    """Questions, hidden items and the oracle's answer to every (question, item) pair.

    Attributes:
        items: the hidden items' canonical names (what `guess` formats).
        questions: the question lines (without the newline).
        answers: ``answers[q][i]``: the oracle's answer text to question q about item i.
        guess: item name -> the guess question (``"Is the city you are from Paris?"``).
        open_mask: ``open_mask[q]``: question q is an open (non yes/no) question.
    """

    items: tuple[str, ...]
    questions: tuple[str, ...]
    answers: tuple[tuple[str, ...], ...]
    guess: Callable[[str], str]
    open_mask: tuple[bool, ...]

    @classmethod
    def build(cls, items: Sequence[str], questions: Sequence[str], answer: Callable[[int, str], tuple[str, bool]],
              guess: Callable[[str], str]) -> QuestionBank:
        """Ask `answer(item_index, question) -> (text, understood)` for every pair; drop questions that
        are not understood for some item or that give the same answer for every item."""
        kept, table, opens = [], [], []
        for q in dict.fromkeys(questions):
            row = [answer(i, q) for i in range(len(items))]
            if not all(ok for _, ok in row) or len({t for t, _ in row}) < 2:
                continue
            kept.append(q)
            table.append(tuple(t for t, _ in row))
            opens.append(any(t not in ("Yes.\n", "No.\n") for t, _ in row))
        return cls(tuple(items), tuple(kept), tuple(table), guess, tuple(opens))


def answer_entropy(answers: Sequence[str], candidates: Sequence[int]) -> float:
    """Entropy (bits) of the partition of `candidates` by their answers.

    Example:
        >>> answer_entropy(["Yes.", "No.", "Yes.", "No."], [0, 1, 2, 3])
        1.0
    """
    counts = Counter(answers[i] for i in candidates)
    n = len(candidates)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def pick_tier(tiers: Sequence[dict[str, Any]], u: float) -> dict[str, Any]:
    """The tier a uniform draw `u` in [0, 1) falls in by cumulative ``weight`` (without the weight).

    Example:
        >>> pick_tier([{"label": "a", "weight": 0.25}, {"label": "b", "weight": 0.75}], 0.5)
        {'label': 'b'}
    """
    for tier in tiers:
        u -= tier["weight"]
        if u < 0:
            break
    return {k: v for k, v in tier.items() if k != "weight"}


class Asker(BehaviourPolicy):
    """Asks questions of a `QuestionBank` and guesses from the consistent set (see the module doc).

    Subclasses set `name`, `max_questions` and implement `bank()`; `skill(seed)` draws the episode's
    parameters (default: the constructor's).

    Args:
        greedy_prob: probability of the most informative question (else a random unasked one).
        early_guess_prob: probability of guessing early once at most `early_guess_max` items are left.
        early_guess_max: size of the consistent set below which early guesses happen.
        min_guess_turn: no guess before this question number (a cautious asker keeps asking even when
            one item is left), except on the last question.
        open_questions: allow the bank's open (free-text answer) questions.
    """

    max_questions = 20

    def __init__(self, greedy_prob: float = 1.0, early_guess_prob: float = 0.0, early_guess_max: int = 1,
                 min_guess_turn: int = 1, open_questions: bool = True, **params: Any) -> None:
        super().__init__(greedy_prob=greedy_prob, early_guess_prob=early_guess_prob, early_guess_max=early_guess_max,
                         min_guess_turn=min_guess_turn, open_questions=open_questions, **params)
        self.greedy_prob, self.early_guess_prob = greedy_prob, early_guess_prob
        self.early_guess_max, self.min_guess_turn, self.open_questions = early_guess_max, min_guess_turn, open_questions

    def bank(self) -> QuestionBank:
        raise NotImplementedError

    def skill(self, seed: int) -> dict[str, Any]:
        """The episode's asker parameters (greedy_prob, early_guess_prob, early_guess_max, label)."""
        return {"greedy_prob": self.greedy_prob, "early_guess_prob": self.early_guess_prob,
                "early_guess_max": self.early_guess_max, "min_guess_turn": self.min_guess_turn}

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        bank = self.bank()
        allowed = [q for q in range(len(bank.questions)) if self.open_questions or not bank.open_mask[q]]
        return {"bank": bank, "cands": list(range(len(bank.items))), "free": allowed, "last": None,
                "asked": 0, "guesses": 0, "greedy": 0, **self.skill(seed)}

    def _update(self, history: TextHistory, state: dict[str, Any]) -> None:
        last, bank = state["last"], state["bank"]
        if last is None or not history or history[-1].is_action:
            return
        answer = history[-1].text
        kind, idx = last
        if kind == "guess":
            keep = [i for i in state["cands"] if i != idx]
        else:
            keep = [i for i in state["cands"] if bank.answers[idx][i] == answer]
        if keep:
            state["cands"] = keep
        state["last"] = None

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        self._update(history, state)
        bank, cands = state["bank"], state["cands"]
        state["asked"] += 1
        may_guess = state["asked"] >= state["min_guess_turn"]
        if state["asked"] >= self.max_questions or not state["free"] or (may_guess and (len(cands) == 1 or (
                len(cands) <= state["early_guess_max"] and rng.random() < state["early_guess_prob"]))):
            return self._guess(state, rng)
        if rng.random() < state["greedy_prob"]:
            state["greedy"] += 1
            q = max(state["free"], key=lambda k: (round(answer_entropy(bank.answers[k], cands), 9), -k))
            if may_guess and answer_entropy(bank.answers[q], cands) == 0.0:  # nothing left to learn
                return self._guess(state, rng)
        else:
            q = rng.choice(state["free"])
        state["free"].remove(q)
        state["last"] = ("question", q)
        return bank.questions[q] + "\n"

    @staticmethod
    def _guess(state: dict[str, Any], rng: random.Random) -> str:
        cands, bank = state["cands"], state["bank"]
        item = cands[0] if len(cands) == 1 else rng.choice(cands)
        state["last"] = ("guess", item)
        state["guesses"] += 1
        return bank.guess(bank.items[item]) + "\n"

    def describe(self, state: dict[str, Any]) -> dict[str, Any]:
        out = {k: state[k] for k in ("guesses", "greedy") if k in state}
        if "label" in state:
            out = {"asker": state["label"], **out}
        return out
