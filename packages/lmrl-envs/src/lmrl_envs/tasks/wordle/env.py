"""`WordleEnv`: the env on top of the rules in `lmrl_envs.tasks.wordle.game`."""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

from lmrl_envs.core import StepResult, TextEnv
from lmrl_envs.tasks.wordle.game import (
    ALL_GREEN,
    FEEDBACK_RULES,
    N_GUESSES,
    consistent_words,
    feedback_table,
    format_guess,
    load_vocab,
    pattern_text,
)

__all__ = ["WordleEnv"]

_N_PATTERNS = ALL_GREEN + 1


@lru_cache(maxsize=8)
def _step_results(
    bad_word_reward: float,
) -> tuple[tuple[StepResult, ...], tuple[StepResult, ...], StepResult, StepResult]:
    """Precomputed results: (running, last guess) per pattern id, solved, invalid (running / last)."""
    texts = [pattern_text(p) + "\n" for p in range(_N_PATTERNS)]
    running = tuple(StepResult(t, -1.0) for t in texts)
    last = tuple(StepResult(t, -1.0, terminated=True, info={"success": False}) for t in texts)
    invalid = StepResult("\n", bad_word_reward, info={"invalid": True})
    invalid_last = StepResult("\n", bad_word_reward, terminated=True, info={"invalid": True, "success": False})
    return running, last, invalid, invalid_last


_SOLVED = StepResult(pattern_text(ALL_GREEN) + "\n", 0.0, terminated=True, info={"success": True})


class WordleEnv(TextEnv):
    """Wordle with six guesses; see the `lmrl_envs.tasks.wordle` page for the full specification.

    Args:
        vocab: the words that may be guessed and hidden: a sequence of five-letter lower-case
            words, a path to a file with one per line, or None for the shipped 400-word list.
        bad_word_reward: reward of an invalid guess (the original trains with -10 in some scripts).
        resample_hidden: as the original, draw the hidden word anew from the words consistent
            with the feedback so far at every valid guess; False draws one word at reset and keeps it.
        rule: ``"lmrl"`` (the original's feedback for repeated letters) or ``"standard"`` (NYT).

    Example:
        >>> env = WordleEnv()
        >>> env.reset(seed=0, options={"word": "crane"})
        ('Wordle:\\n', {})
        >>> env.step("g r a c e\\n")[:4]
        ('b g g y g\\n', -1.0, False, False)
        >>> env.step("c r a n e\\n")
        ('g g g g g\\n', 0.0, True, False, {'success': True})
    """

    reward_range: ClassVar[tuple[float, float]] = (-1.0, 0.0)
    max_steps: ClassVar[int] = N_GUESSES
    option_keys: ClassVar[frozenset[str]] = frozenset({"word"})

    def __init__(
        self,
        vocab: Sequence[str] | str | os.PathLike | None = None,
        bad_word_reward: float = -1.0,
        resample_hidden: bool = True,
        rule: str = "lmrl",
    ) -> None:
        super().__init__()
        if rule not in FEEDBACK_RULES:
            raise ValueError(f"rule must be one of {FEEDBACK_RULES}, got {rule!r}")
        if vocab is None or isinstance(vocab, (str, os.PathLike)):
            words = load_vocab(vocab)
        else:
            words = tuple(dict.fromkeys(vocab))
            bad = [
                w
                for w in words
                if not (isinstance(w, str) and len(w) == 5 and w.isascii() and w.isalpha() and w.islower())
            ]
            if bad or not words:
                raise ValueError(f"vocab must be non-empty five-letter lower-case a-z words; bad entries: {bad[:5]}")
        self.vocab: tuple[str, ...] = words
        self.bad_word_reward = float(bad_word_reward)
        self.resample_hidden = bool(resample_hidden)
        self.rule = rule
        self.reward_range = (min(-1.0, self.bad_word_reward), max(0.0, self.bad_word_reward))
        self._index = {w: i for i, w in enumerate(words)}
        self._table = feedback_table(words, rule)
        self._running, self._last, self._invalid, self._invalid_last = _step_results(self.bad_word_reward)
        self._answer: int | None = None
        self._candidates: list[int] | None = None  # None: every word (resampling mode)
        self._guesses: list[tuple[int, int]] = []

    # ------------------------------------------------------------------ extras
    @property
    def hidden_word(self) -> str | None:
        """The fixed hidden word, or None while it is being resampled."""
        return None if self._answer is None else self.vocab[self._answer]

    @property
    def candidates(self) -> list[str]:
        """The vocabulary words consistent with all feedback so far."""
        if self._answer is None and self._candidates is not None:
            return [self.vocab[i] for i in self._candidates]
        pairs = [(self.vocab[g], pattern_text(p)) for g, p in self._guesses]
        return consistent_words(pairs, self.vocab, self.rule)

    def valid_actions(self) -> list[str]:
        """Every vocabulary word as an action (``"c r a n e\\n"``)."""
        return [format_guess(w) for w in self.vocab]

    # ------------------------------------------------------------------ for a human player (`lmrl-envs play`)
    @property
    def play_rules(self) -> str:
        """The rules and the colour key, shown by ``lmrl-envs play`` at the start and on ``:help``."""
        repeated = ("a letter of the word is y wherever it is not g, however many copies you guess"
                    if self.rule == "lmrl" else "as in the NYT game, each copy in the word is marked once")
        return (
            f"Find the hidden five-letter word in {N_GUESSES} guesses. Type a word: crane (or c r a n e).\n"
            "After each guess you see one letter per position, the colour key:\n"
            "  g  green   right letter, right place\n"
            "  y  yellow  the letter is in the word, in another place\n"
            "  b  black   the letter is not in the word\n"
            f"Repeated letters: {repeated}.\n"
            f"Reward -1 per guess, 0 for the solving guess. A word not in the list ({len(self.vocab)} words) "
            f"is invalid (empty feedback, reward {self.bad_word_reward:g}) and still uses a guess."
        )

    def play_reveal(self) -> str:
        """The hidden word, shown by ``lmrl-envs play`` when the game ends.

        With ``resample_hidden`` (the default) no word is fixed until feedback pins one down, so one is drawn
        from the words still consistent with the feedback (from a generator seeded with the episode seed,
        never the env's own: revealing does not change later episodes).
        """
        if self.hidden_word is not None:
            return f"The word was {self.hidden_word}."
        words = self.candidates
        if len(words) == 1:
            return f"The word was {words[0]}."
        word = random.Random(self.seed).choice(words)
        shown = ", ".join(words[:10]) + (", ..." if len(words) > 10 else "")
        return (f"The word was {word}, drawn from the {len(words)} words that fit the feedback ({shown}): as in "
                "the original, the hidden word is drawn anew at each guess among the words that fit so far.")

    # ------------------------------------------------------------------ task hooks
    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        self._guesses = []
        self._candidates = None
        if "word" in options:
            word = options["word"]
            if not isinstance(word, str) or word not in self._index:
                raise ValueError(
                    f"options['word'] must be a word of the vocabulary ({len(self.vocab)} words, "
                    f"e.g. {', '.join(self.vocab[:3])}), got {word!r}"
                )
            self._answer = self._index[word]
        elif self.resample_hidden:
            self._answer = None
        else:
            self._answer = self.rng.randrange(len(self.vocab))
        return "Wordle:\n", {}

    def _step(self, action: str) -> StepResult:
        last = self._steps >= N_GUESSES
        g = self._index.get(action.strip().replace(" ", ""))
        if g is None:
            return self._invalid_last if last else self._invalid
        row = self._table[g]
        if self._answer is not None:
            p = row[self._answer]
        else:
            cands = self._candidates
            if cands is None:
                p = row[self.rng.randrange(len(row))]
                self._candidates = [i for i, q in enumerate(row) if q == p]
            else:
                p = row[cands[self.rng.randrange(len(cands))]]
                self._candidates = [i for i in cands if row[i] == p]
        self._guesses.append((g, p))
        if p == ALL_GREEN:
            return _SOLVED
        return self._last[p] if last else self._running[p]
