"""Wordle rules without the env: vocabulary, feedback, consistent words, precomputed tables.

Feedback patterns are numbered in base 3 (``b`` = 0, ``y`` = 1, ``g`` = 2, first letter most
significant), so a pattern id fits in one byte; `feedback_table` stores, for each guess, a
``bytes`` row of the pattern id against every answer, which makes filtering the consistent words
a list comprehension over small ints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

from lmrl_envs.core import Text

__all__ = [
    "ALL_GREEN",
    "FEEDBACK_RULES",
    "N_GUESSES",
    "WORD_LENGTH",
    "consistent_words",
    "feedback",
    "feedback_table",
    "format_guess",
    "guesses_from_history",
    "load_vocab",
    "parse_guess",
    "pattern_id",
    "pattern_text",
]

WORD_LENGTH = 5
N_GUESSES = 6
FEEDBACK_RULES = ("lmrl", "standard")
"""``"lmrl"``: the original's rule; ``"standard"``: the NYT rule for repeated letters."""
ALL_GREEN = 3**WORD_LENGTH - 1
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_SYMBOL = "byg"


def load_vocab(path: str | os.PathLike | None = None) -> tuple[str, ...]:
    """Read a vocabulary file: one five-letter lower-case word per line, blank lines ignored.

    Without `path`, the 400-word list shipped with lmrl (``tasks/wordle/words.txt``), curated by
    this project from common English usage (not copied from any published Wordle list).

    Example:
        >>> vocab = load_vocab()
        >>> len(vocab), vocab[0]
        (400, 'actor')
    """
    if path is None:
        text = resources.files(__package__).joinpath("words.txt").read_text(encoding="utf-8")
        where = "lmrl_envs/tasks/wordle/words.txt"
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        where = os.fspath(path)
    words: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        word = line.strip()
        if not word:
            continue
        if len(word) != WORD_LENGTH or not set(word) <= _LETTERS:
            raise ValueError(f"{where}:{n}: {word!r} is not a five-letter lower-case a-z word")
        if word not in seen:
            seen.add(word)
            words.append(word)
    if not words:
        raise ValueError(f"{where}: the vocabulary is empty")
    return tuple(words)


def _pattern(guess: str, answer: str, rule: str) -> int:
    if rule == "lmrl":
        marks = [2 if g == a else (1 if g in answer else 0) for g, a in zip(guess, answer, strict=True)]
    else:
        marks = [2 if g == a else 0 for g, a in zip(guess, answer, strict=True)]
        left: dict[str, int] = {}
        for g, a in zip(guess, answer, strict=True):
            if g != a:
                left[a] = left.get(a, 0) + 1
        for i, g in enumerate(guess):
            if marks[i] == 0 and left.get(g, 0) > 0:
                marks[i] = 1
                left[g] -= 1
    p = 0
    for m in marks:
        p = p * 3 + m
    return p


def _check_rule(rule: str) -> None:
    if rule not in FEEDBACK_RULES:
        raise ValueError(f"rule must be one of {FEEDBACK_RULES}, got {rule!r}")


def feedback(guess: str, answer: str, rule: str = "lmrl") -> str:
    """The feedback for `guess` against `answer`: one of ``g``/``y``/``b`` per letter, space-separated.

    ``g``: right letter in the right place; ``b``: the letter is not in the answer; ``y``: otherwise.
    With ``rule="lmrl"`` (the original LMRL-Gym), a letter that occurs anywhere in the answer is
    ``y`` wherever it is not ``g``, however many copies the guess has. With ``rule="standard"``
    (the NYT game), copies are marked ``y`` only while unmatched copies remain in the answer.

    Example:
        >>> feedback("crane", "react")
        'y y g b y'
        >>> feedback("sheep", "shelf"), feedback("sheep", "shelf", rule="standard")
        ('g g g y b', 'g g g b b')
    """
    _check_rule(rule)
    if len(guess) != WORD_LENGTH or len(answer) != WORD_LENGTH:
        raise ValueError(f"guess and answer must have {WORD_LENGTH} letters, got {guess!r}, {answer!r}")
    return pattern_text(_pattern(guess, answer, rule))


def pattern_text(pattern: int) -> str:
    """The feedback string of a pattern id (without the trailing newline).

    Example:
        >>> pattern_text(ALL_GREEN), pattern_text(0)
        ('g g g g g', 'b b b b b')
    """
    marks = []
    for _ in range(WORD_LENGTH):
        pattern, m = divmod(pattern, 3)
        marks.append(_SYMBOL[m])
    return " ".join(reversed(marks))


def pattern_id(text: str) -> int:
    """Parse feedback (``"b y g b b"``, ``"bygbb"``, with or without ``"\\n"``) into a pattern id.

    Example:
        >>> pattern_id("g g g g g\\n") == ALL_GREEN
        True
    """
    marks = text.strip().replace(" ", "")
    if len(marks) != WORD_LENGTH or not set(marks) <= set(_SYMBOL):
        raise ValueError(f"feedback must be {WORD_LENGTH} of b/y/g, got {text!r}")
    p = 0
    for m in marks:
        p = p * 3 + _SYMBOL.index(m)
    return p


def parse_guess(action: str) -> str:
    """The word an action names, as the original reads it: strip whitespace, remove all spaces.

    Example:
        >>> parse_guess("c r a n e\\n"), parse_guess("crane")
        ('crane', 'crane')
    """
    return action.strip().replace(" ", "")


def format_guess(word: str) -> str:
    """A word as an action: letters space-separated, then ``"\\n"``.

    Example:
        >>> format_guess("crane")
        'c r a n e\\n'
    """
    return " ".join(word) + "\n"


@lru_cache(maxsize=8)
def feedback_table(vocab: tuple[str, ...], rule: str = "lmrl") -> tuple[bytes, ...]:
    """Pattern ids of every guess against every answer: ``table[g][a]``, indices into `vocab`.

    Built once per (vocabulary, rule) and cached; about 0.3 s for 400 words in pure Python.

    Example:
        >>> vocab = ("crane", "react")
        >>> pattern_text(feedback_table(vocab)[0][1])
        'y y g b y'
    """
    _check_rule(rule)
    return tuple(bytes(_pattern(g, a, rule) for a in vocab) for g in vocab)


def consistent_words(
    history: Iterable[tuple[str, str]], vocab: Sequence[str] | None = None, rule: str = "lmrl"
) -> list[str]:
    """The words of `vocab` that would have produced every ``(guess, feedback)`` pair of `history`.

    Pairs with an empty feedback (the reply to an invalid guess) are skipped. Guesses may be
    spaced (``"c r a n e"``) or not.

    Example:
        >>> consistent_words([("c r a n e", "y y g b y")], ("crane", "react", "trace"))
        ['react']
    """
    _check_rule(rule)
    words = tuple(load_vocab() if vocab is None else vocab)
    constraints = []
    for guess, fb in history:
        if not fb.strip():
            continue
        constraints.append((parse_guess(guess), pattern_id(fb)))
    return [w for w in words if all(_pattern(g, w, rule) == p for g, p in constraints)]


def guesses_from_history(history: Sequence[Text]) -> list[tuple[str, str]]:
    """The ``(guess, feedback)`` pairs of a Wordle text history (invalid guesses have feedback ``""``).

    Example:
        >>> h = (Text("Wordle:\\n", False), Text("c r a n e\\n", True), Text("b y g b b\\n", False))
        >>> guesses_from_history(h)
        [('crane', 'b y g b b')]
    """
    pairs = []
    for i, t in enumerate(history):
        if t.is_action and i + 1 < len(history):
            pairs.append((parse_guess(t.text), history[i + 1].text.strip()))
    return pairs
