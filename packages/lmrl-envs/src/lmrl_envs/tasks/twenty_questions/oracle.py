"""Twenty Questions oracles: the rule-based (knowledge-base) oracle and the pluggable LM oracle.

Both answer ``(object, question) -> Answer`` with ``text`` ``"Yes."`` or ``"No."``.

The rule oracle parses a question once (cached) into either

* a **guess**: the question ends with an object's name (a variant, alias or plural, any case,
  spaces and hyphens ignored: ``"Is it a TV?"``, ``"Are you thinking of a pair of scissors?"``)
  and everything before the name is guess framing (``is it / are you thinking of / could it be /
  a / the / kind of ...``, `lexicon.GUESS_WORDS`). This is the original's ``is_done`` shape (the
  name at the end, no other nouns), without NLTK. Answered Yes iff it names the hidden object;
* a **list of guesses** joined by "or" (``"Is it a car or a truck?"``): Yes if one is right, but it
  never wins the game (the original also required one name only);
* **attribute terms**: phrases of `lexicon.CONCEPTS` (tags), size comparisons ("bigger than a
  breadbox", "smaller than a car", "about the size of a shoebox", "fit in a backpack"). All must
  hold, or any if the question contains "or". A negation ("not", "never", "no", "cannot") flips
  the term after it (``"Is it not alive?"``); a leading ``"Isn't it ..."`` is read as a plain
  question, as people mean it.

A question with none of these is not understood: the answer is ``"No."`` (as the original's
invalid question) and ``understood`` is False.

Example:
    >>> from lmrl_envs.tasks.twenty_questions.objects import find_object
    >>> oracle = RuleOracle()
    >>> oracle.answer(find_object("cat"), "Is this some kind of animal?").text
    'Yes.'
    >>> a = oracle.answer(find_object("television"), "Is it a TV?")
    >>> a.text, a.correct_guess
    ('Yes.', True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from lmrl_envs.tasks.twenty_questions.lexicon import (
    BARE_NAME_IS_CONCEPT,
    CONCEPTS,
    FIT_CAPACITY_CM,
    GUESS_VERBS,
    GUESS_WORDS,
)
from lmrl_envs.tasks.twenty_questions.objects import NAME_INDEX, SIZE_CM, TAGS, ObjectEntry, name_key

__all__ = [
    "INVALID_QUESTION",
    "Answer",
    "LMOracle",
    "ParsedQuestion",
    "RuleOracle",
    "lm_oracle_prompt",
    "normalize_question",
    "parse_lm_answer",
    "parse_question",
]

INVALID_QUESTION = "Is this a valid question?"
"""The original's placeholder question; every oracle answers it "No."."""


class Answer(NamedTuple):
    """An oracle's reply.

    Attributes:
        text: ``"Yes."`` or ``"No."`` (no newline).
        understood: False when the question was not understood (rules) or the LM output did not
            start with yes/no.
        guess: the object the question names as a single guess, else None.
        correct_guess: the question is a single guess of the hidden object and the answer is
            Yes (this ends the game with reward 0).
    """

    text: str
    understood: bool
    guess: ObjectEntry | None = None
    correct_guess: bool = False


# ----------------------------------------------------------------------------- normalisation
_CONTRACTIONS = (
    (r"\bcan ?not\b", "can not"), (r"\bcan't\b", "can not"), (r"\bwon't\b", "will not"), (r"\bain't\b", "is not"),
    (r"n't\b", " not"), (r"\b(it|that|this|there|what|he|she)'s\b", r"\1 is"), (r"'re\b", " are"),
    (r"'ll\b", " will"), (r"'ve\b", " have"), (r"'d\b", " would"), (r"\bi'm\b", "i am"), (r"'s\b", " s"),
    (r"\b(isnt|doesnt|dont|cant|wont|arent|wasnt|couldnt|wouldnt|shouldnt|didnt)\b", None),
)
_CONTRACTION_RES = tuple((re.compile(p), r) for p, r in _CONTRACTIONS)
_NEG_WORDS = frozenset({"not", "never", "no", "non", "neither", "nor"})
_AUX = frozenset(["is", "are", "was", "were", "does", "do", "did", "can", "could", "would", "will", "should", "has", "have", "may", "might"])
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _expand_bare(m: re.Match) -> str:
    w = m.group(1)
    base = {"cant": "can", "wont": "will", "dont": "do", "doesnt": "does", "didnt": "did"}.get(w, w[:-2])
    return base + " not"


def normalize_question(question: str) -> str:
    """Lower case, contractions expanded, punctuation removed, single spaces.

    A leading negative auxiliary (``"Isn't it ..."``, ``"Doesn't it ..."``) is a plain question
    in ordinary speech, so its "not" is dropped.

    Example:
        >>> normalize_question("Isn't it an animal?"), normalize_question("It's not a T.V.!")
        ('is it an animal', 'it is not a tv')
    """
    q = question.lower().replace("\u2019", "'").replace("\u2018", "'")
    for rx, repl in _CONTRACTION_RES:
        q = rx.sub(_expand_bare, q) if repl is None else rx.sub(repl, q)
    q = q.replace(".", "")
    q = _NON_WORD.sub(" ", q).strip()
    tokens = q.split()
    if len(tokens) > 2 and tokens[0] in _AUX and tokens[1] == "not":
        del tokens[1]
    return " ".join(tokens)


# ----------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class ParsedQuestion:
    """The meaning of a question.

    Attributes:
        guess: the object a single guess names (None if not a guess).
        any_of: objects named in an "A or B" list of guesses.
        terms: ``(kind, arg, positive)`` triples; kind ``"tag"`` (arg a tag), ``"any"`` (a tuple
            of tags), ``"gt"``/``"lt"``/``"le"`` (size in cm), ``"about"`` (size within 2x).
        disjunction: True if any term suffices ("or"), else all must hold.
    """

    guess: ObjectEntry | None = None
    any_of: tuple[ObjectEntry, ...] = ()
    terms: tuple[tuple[str, Any, bool], ...] = ()
    disjunction: bool = False

    @property
    def understood(self) -> bool:
        return self.guess is not None or bool(self.any_of) or bool(self.terms)


def _compile_concepts() -> tuple[tuple[re.Pattern, str, Any, bool], ...]:
    out = []
    for pattern, term in CONCEPTS:
        if isinstance(term, tuple):
            kind, arg, positive = "any", term, True
        else:
            kind, arg, positive = "tag", term.lstrip("!"), not term.startswith("!")
        for tag in arg if isinstance(arg, tuple) else (arg,):
            if tag not in TAGS:
                raise ValueError(f"lexicon term {term!r} names an unknown tag; add it to TAGS in objects.py")
        out.append((re.compile(rf"\b(?:{pattern})\b"), kind, arg, positive))
    return tuple(out)


_CONCEPT_RES = _compile_concepts()
_ARTICLES = r"(?:(?:a|an|the|your|my|one s|an average|average|typical|a typical|regular|a regular|normal|a normal) )*"
_COMPARE = re.compile(
    r"\b(?P<op>bigger|larger|taller|longer|wider|greater|heavier|smaller|shorter|littler|tinier|lighter|"
    r"(?:about|around|roughly|approximately) the (?:same )?size (?:of|as))(?: in size)?(?: than)? "
    + _ARTICLES + r"(?P<ref>[a-z0-9]+(?: [a-z0-9]+){0,2})"
)
_FIT = re.compile(r"\bfits? (?:in|into|inside)(?: of)? " + _ARTICLES + r"(?P<ref>[a-z0-9]+(?: [a-z0-9]+)?)")
_GT = {"bigger", "larger", "taller", "longer", "wider", "greater", "heavier"}


def _reference_size(words: str) -> tuple[float, int] | None:
    """Size of the thing named at the start of `words`, and how many characters named it."""
    tokens = words.split()
    for k in range(min(3, len(tokens)), 0, -1):
        phrase = " ".join(tokens[:k])
        if phrase in SIZE_CM:
            return SIZE_CM[phrase], len(phrase)
        obj = NAME_INDEX.get(name_key(phrase))
        if obj is not None:
            return obj.size_cm, len(phrase)
    return None


def _size_terms(q: str) -> list[tuple[int, int, str, Any, bool]]:
    found = []
    for m in _COMPARE.finditer(q):
        ref = _reference_size(m.group("ref"))
        if ref is None:
            continue
        op = m.group("op")
        kind = "gt" if op in _GT else "about" if op.endswith(("of", "as")) else "lt"
        found.append((m.start(), m.start("ref") + ref[1], kind, ref[0], True))
    for m in _FIT.finditer(q):
        words = m.group("ref").split()
        for k in (2, 1):
            phrase = " ".join(words[:k])
            key = phrase[:-1] if phrase.endswith("s") and phrase[:-1] in FIT_CAPACITY_CM else phrase
            if key in FIT_CAPACITY_CM:
                found.append((m.start(), m.start("ref") + len(phrase), "le", FIT_CAPACITY_CM[key], True))
                break
    return found


def _name_at_end(tokens: list[str]) -> tuple[ObjectEntry, int] | None:
    """The object named by the last 1-5 tokens (longest first) and the number of tokens."""
    for k in range(min(5, len(tokens)), 0, -1):
        obj = NAME_INDEX.get("".join(tokens[-k:]))
        if obj is not None:
            return obj, k
    return None


def _as_guess(tokens: list[str], first: bool) -> ObjectEntry | None:
    """The object if `tokens` is a guess: framing words then a name (a later "or" part needs no verb)."""
    found = _name_at_end(tokens)
    if found is None:
        return None
    obj, k = found
    prefix = tokens[:-k]
    if not all(t in GUESS_WORDS for t in prefix):
        return None
    if first and prefix and not (GUESS_VERBS & set(prefix)):
        return None
    bare = not prefix or prefix[-1] not in {"a", "an", "the", "of", "some", "one"}
    if bare and " ".join(tokens[-k:]) in BARE_NAME_IS_CONCEPT:
        return None
    return obj


@lru_cache(maxsize=1 << 16)
def parse_question(question: str) -> ParsedQuestion:
    """Parse a question (cached: the same string is parsed once per process).

    Example:
        >>> p = parse_question("Is it not alive?")
        >>> p.terms
        (('tag', 'living', False),)
        >>> parse_question("Could it be a pair of scissors?").guess.name
        'Scissors'
    """
    q = normalize_question(question)
    tokens = q.split()
    if not tokens:
        return ParsedQuestion()
    guess = _as_guess(tokens, first=True)
    if guess is not None:
        return ParsedQuestion(guess=guess)
    if "or" in tokens:
        parts, cur = [], []
        for t in tokens:
            if t == "or":
                parts.append(cur)
                cur = []
            else:
                cur.append(t)
        parts.append(cur)
        objs = [_as_guess(p, first=i == 0) for i, p in enumerate(parts) if p]
        if objs and all(o is not None for o in objs):
            return ParsedQuestion(any_of=tuple(dict.fromkeys(objs)))
    # attribute terms: all concept matches, longest first, without overlaps
    matches = [(m.start(), m.end(), kind, arg, pos) for rx, kind, arg, pos in _CONCEPT_RES for m in rx.finditer(q)]
    matches += _size_terms(q)
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int, str, Any, bool]] = []
    for m in matches:
        if all(m[1] <= t[0] or m[0] >= t[1] for t in taken):
            taken.append(m)
    if not taken:
        return ParsedQuestion()
    taken.sort()
    positive = [t[4] for t in taken]
    offset = 0
    for tok in tokens:
        if tok in _NEG_WORDS:
            after = [i for i, t in enumerate(taken) if t[0] >= offset]
            i = after[0] if after else len(taken) - 1
            positive[i] = not positive[i]
        offset += len(tok) + 1
    terms = tuple((t[2], t[3], p) for t, p in zip(taken, positive))
    return ParsedQuestion(terms=terms, disjunction="or" in tokens)


def _holds(obj: ObjectEntry, kind: str, arg: Any) -> bool:
    if kind == "tag":
        return arg in obj.tags
    if kind == "any":
        return not obj.tags.isdisjoint(arg)
    if kind == "gt":
        return obj.size_cm > arg
    if kind == "lt":
        return obj.size_cm < arg
    if kind == "le":
        return obj.size_cm <= arg
    return arg / 2 <= obj.size_cm <= arg * 2  # "about"


class RuleOracle:
    """The deterministic knowledge-base oracle (the default).

    Example:
        >>> from lmrl_envs.tasks.twenty_questions.objects import find_object
        >>> RuleOracle().answer(find_object("elephant"), "Is it bigger than a breadbox?").text
        'Yes.'
    """

    def answer(self, obj: ObjectEntry, question: str) -> Answer:
        """Answer a yes/no question about `obj`."""
        p = parse_question(question.strip())
        if p.guess is not None:
            return Answer("Yes." if p.guess is obj else "No.", True, p.guess, p.guess is obj)
        if p.any_of:
            return Answer("Yes." if obj in p.any_of else "No.", True)
        if not p.terms:
            return Answer("No.", False)
        results = (_holds(obj, kind, arg) == positive for kind, arg, positive in p.terms)
        yes = any(results) if p.disjunction else all(results)
        return Answer("Yes." if yes else "No.", True)


# ----------------------------------------------------------------------------- LM oracle
_YES_NO = re.compile(r"(yes|no)")


def lm_oracle_prompt(obj: ObjectEntry, question: str) -> str:
    """The original's exact oracle prompt (``get_t5_oracle_prompt``).

    Example:
        >>> from lmrl_envs.tasks.twenty_questions.objects import find_object
        >>> lm_oracle_prompt(find_object("tv"), "Is it an animal?").split("\\n")
        ['Answer the question about the object truthfully.', 'object: (Television, TV)', 'question: Is it an animal?', 'answer (yes or no): ']
    """
    return (
        "Answer the question about the object truthfully.\n"
        f"object: {obj.word_str}\n"
        f"question: {question}\n"
        "answer (yes or no): "
    )


def parse_lm_answer(output: str) -> str | None:
    """Map an LM continuation to ``"Yes."``/``"No."`` as the original does, or None if neither.

    The output is stripped and lower-cased and must *start* with "yes" or "no" (the original's
    ``re.match(r"(yes|no)")``; so ``"nothing"`` reads as "No." and ``"I think yes"`` as None).

    Example:
        >>> parse_lm_answer(" Yes, it is"), parse_lm_answer("no."), parse_lm_answer("maybe")
        ('Yes.', 'No.', None)
    """
    m = _YES_NO.match(output.strip().lower())
    return None if m is None else m.group(0).capitalize() + "."


class LMOracle:
    """An oracle backed by a language model with ``generate(prompt, max_new_tokens) -> str``.

    Greedy, at most 4 new tokens, the original's prompt; an output that does not start with
    yes/no is answered "No." with ``understood=False``. Guess detection (which question ends the
    game) uses the same rule as the rule oracle; the LM decides the answer.

    Args:
        partner: an object with ``generate`` (see `lmrl_envs.partners.load_partner`).
        max_new_tokens: generation budget (the original used 4).
    """

    def __init__(self, partner: Any, max_new_tokens: int = 4) -> None:
        self.partner = partner
        self.max_new_tokens = max_new_tokens

    def answer(self, obj: ObjectEntry, question: str) -> Answer:
        """Ask the LM; see the class docstring."""
        question = question.strip()
        guess = parse_question(question).guess
        if question == INVALID_QUESTION:
            return Answer("No.", True)
        text = parse_lm_answer(self.partner.generate(lm_oracle_prompt(obj, question), self.max_new_tokens))
        return Answer(text or "No.", text is not None, guess, guess is obj and text == "Yes.")
