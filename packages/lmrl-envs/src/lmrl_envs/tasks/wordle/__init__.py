"""Wordle: find a hidden five-letter word in six guesses from letter feedback (LMRL-Gym "Wordle").

=================  ==========================================================================
Id                 ``wordle-v0``
Turns              one guess per step, at most 6 (invalid guesses count)
Observation        first ``"Wordle:\\n"``; after each guess its feedback, one letter per
                   position, space-separated: ``"b y g b b\\n"`` (``g`` right letter, right
                   place; ``y`` in the word elsewhere; ``b`` not in the word); after an
                   invalid guess an empty line ``"\\n"``
Action             the word's letters space-separated: ``"c r a n e\\n"``
Reward             -1 per guess, 0 for the solving guess; an invalid guess gets
                   ``bad_word_reward`` (default -1; the original's training-time evals used -10)
Terminated         on the solving guess (``info["success"] = True``) or after the 6th guess
                   (``info["success"] = False``): the game's rule, not a time limit
Truncated          never
Return range       [-6, 0] with the default ``bad_word_reward``
Vocabulary         400 common English five-letter words (``words.txt``), curated by this project
                   from common English usage, not copied from any published list; guesses and
                   hidden words come from the same list (`load_vocab`)
History            everything since ``"Wordle:\\n"``
Simulator          none (pure Python; a guess x answer feedback table is built once, ~0.3 s)
=================  ==========================================================================

**Parsing a guess.** As in the original (``deformat_history``), the action is stripped of
surrounding whitespace and *all* spaces are removed, so ``"c r a n e\\n"`` and ``"crane"`` name
the same word. The result must be a word of the vocabulary (so exactly five lower-case letters);
anything else (upper case, other lengths, unknown words, any string at all) is an invalid guess:
observation ``"\\n"``, reward ``bad_word_reward``, ``info["invalid"] = True``, and it uses one of
the six guesses. The history keeps the action as the agent wrote it (the original re-rendered it
spaced).

**Hidden word.** As in the original, the hidden word is not drawn once: at each valid guess a
word is drawn uniformly from the words consistent with all feedback so far and the feedback is
given for it. This is distributionally equal to a uniformly random fixed word: with ``C_t`` the
consistent set after t guesses, a feedback sequence has probability
``prod_t |C_t| / |C_(t-1)| = |C_k| / |vocab|`` either way. A guess solves when its feedback is
``"g g g g g"`` (equivalently, as the original states it, when one consistent word is left and it
has been guessed). ``options={"word": "crane"}`` fixes the hidden word for one episode;
``resample_hidden=False`` draws one word at reset from the env's generator.

**Repeated letters.** The default ``rule="lmrl"`` is the original's: a letter that occurs
anywhere in the hidden word is ``y`` wherever it is not ``g``, however many copies the guess has
(``sheep`` against ``shelf`` gives ``g g g y b``). ``rule="standard"`` gives the NYT game's
count-limited feedback (``g g g b b``). The consistent set always uses the same rule as the
feedback.

Differences from the original, and why:

* The vocabulary is this project's own 400 common words (the original's ``wordle_official_400.txt``
  is not redistributed here); pass ``vocab=`` (words or a file path) to use another list. The
  paper's bounds (-1.94 for the information-gain policy) were measured on the original list.
* Randomness comes from the env's own seeded generator, so ``reset(seed=s)`` fixes the episode.
* The ``"standard"`` feedback rule is an addition; the default is the original's.

Helpers for other packages: `load_vocab`, `feedback`, `consistent_words`, `guesses_from_history`,
`parse_guess`, `format_guess`, `feedback_table`, `pattern_id`, `pattern_text`.

Version log:

* v0: first version, faithful to LMRL-Gym's ``ReformatWordleEnvironment`` / ``WordleGame``.

Example:
    >>> import lmrl_envs
    >>> env = lmrl_envs.make("wordle")
    >>> env.reset(seed=0, options={"word": "crane"})[0]
    'Wordle:\\n'
    >>> env.step("s h o r e\\n")[:2]
    ('b b b y g\\n', -1.0)
"""

from lmrl_envs.tasks.wordle.env import WordleEnv
from lmrl_envs.tasks.wordle.game import (
    ALL_GREEN,
    FEEDBACK_RULES,
    N_GUESSES,
    WORD_LENGTH,
    consistent_words,
    feedback,
    feedback_table,
    format_guess,
    guesses_from_history,
    load_vocab,
    parse_guess,
    pattern_id,
    pattern_text,
)

__all__ = [
    "ALL_GREEN",
    "FEEDBACK_RULES",
    "N_GUESSES",
    "WORD_LENGTH",
    "WordleEnv",
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
