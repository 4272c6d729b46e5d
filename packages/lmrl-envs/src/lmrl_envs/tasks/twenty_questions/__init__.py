"""Twenty Questions: find a hidden everyday object by asking yes/no questions (LMRL-Gym "20Qs").

=================  ==========================================================================
Id                 ``twenty-questions-v0``
Turns              one question per step; at most 20 questions
Observation        first ``"Questions:\\n"``; then ``"Yes.\\n"`` or ``"No.\\n"`` after each question
Action             one question line, e.g. ``"Is it an animal?\\n"`` (free-form English)
Reward             -1 per question; 0 for the question that correctly names the object
                   (return range [-20, 0])
Terminated         on a correct guess (``info["success"] = True``), or after the 20th question
                   without one (``info["success"] = False``): twenty questions is the game's rule,
                   not a time limit, so the last state is terminal and is not bootstrapped.
                   The final info also has ``info["word"]`` (the hidden object's name).
Truncated          never
Info               every step: ``understood`` (bool); ``invalid=True`` when the oracle did not
                   understand the question; ``guess`` (object name) when the question is a guess
History            full (at most 41 short texts)
Start              a uniform object from the 158 (``self.rng``); ``options={"word": "tv"}``
                   fixes it (any variant or alias, any case)
Simulator          a deterministic rule-based oracle over a hand-written knowledge base
                   (``oracle="rules"``, default); or any LM: ``oracle="hf:/path/to/model"`` or an
                   object with ``generate(prompt, max_new_tokens)``
=================  ==========================================================================

**Winning.** A question wins when it *names* the hidden object at its end, with only guess
framing before the name: ``"Is it a TV?"``, ``"Are you thinking of a pair of scissors?"``,
``"Could it be an orange?"`` (variants, extra aliases such as "fridge" or "sofa", plurals, case
and spacing all work). This is the shape of the original's ``is_done`` (the name at the end, no
other nouns; here "no other content words", without NLTK). ``"Is it a red apple?"`` is answered
but does not win; ``"Is it a car or a truck?"`` is answered (Yes if either) but does not win.

**The rule oracle** (``oracle.py``, vocabulary in ``lexicon.py``) normalises the question
(case, punctuation, contractions) and reads it as attribute phrases ("animal", "found in a
kitchen", "can you eat it", "bigger than a breadbox", "fit in a shoebox", colours, materials,
places, uses ...), all of which must hold (any, with "or"); "not"/"never"/"cannot" flips the phrase
after it ("Is it not alive?"). Answers come from the object's tags in ``objects.py`` (158 objects,
about 200 documented tags; closed world: a tag that is not listed is a No). A question it cannot
read is answered "No." (as the original's invalid question) with ``info["understood"] = False``.
Parsing is cached per question string. Accuracy on 212 held-out paraphrase triples
(``tests/data/twenty_questions_paraphrases.jsonl``): see the test file.

**The LM oracle** uses the original's exact prompt::

    Answer the question about the object truthfully.
    object: (Television, TV)
    question: Is it an animal?
    answer (yes or no):

greedy, at most 4 new tokens; the output, stripped and lower-cased, must start with "yes" or
"no" (``"Yes."``/``"No."``), else ``"No."`` with ``understood=False``. The question
``"Is this a valid question?"`` (the original's placeholder) is answered "No." without a call.
A guess wins when the LM says Yes and the question names the hidden object (the same guess rule).

Differences from the original, and why:

* The oracle is a knowledge base with rules instead of a fine-tuned FLAN-T5-XL (whose weights
  were never published): it is deterministic, runs at tens of thousands of steps per second and
  needs no GPU. Its answers are about the real object: the category field is the original's
  grouping, but a toothbrush (listed under Office Supplies) is not "an office supply". Any LM can
  be plugged in with the original prompt.
* Guess detection is rule-based instead of NLTK POS tagging, and also accepts this project's extra
  aliases (``ObjectEntry.aliases``: "Fridge", "Sofa", "Phone" ...).
* The 20th question without a correct guess is ``terminated`` (the original had one ``done``).
* The object is drawn from the env's own seeded generator; the original's ``deterministic`` option
  (object = seed mod 158) is replaced by ``options={"word": ...}``.

Helpers: `OBJECTS`, `CATEGORIES`, `TAGS`, `find_object` (knowledge base), `RuleOracle`,
`LMOracle`, `parse_question`, `parse_lm_answer`, `lm_oracle_prompt` (oracles), `QUESTION_BANK` and
`guess_question` (the askers' bank, used by lmrl-data's behaviour and expert askers).

Version log:

* v0: first version: the original's 158 objects and text format, knowledge-based oracle.
"""

from lmrl_envs.tasks.twenty_questions.asker import QUESTION_BANK, guess_question
from lmrl_envs.tasks.twenty_questions.env import INITIAL_STR, MAX_QUESTIONS, TwentyQuestionsEnv, make_oracle
from lmrl_envs.tasks.twenty_questions.objects import CATEGORIES, OBJECTS, TAGS, ObjectEntry, find_object
from lmrl_envs.tasks.twenty_questions.oracle import (
    INVALID_QUESTION,
    Answer,
    LMOracle,
    RuleOracle,
    lm_oracle_prompt,
    parse_lm_answer,
    parse_question,
)

__all__ = [
    "CATEGORIES",
    "INITIAL_STR",
    "INVALID_QUESTION",
    "MAX_QUESTIONS",
    "OBJECTS",
    "QUESTION_BANK",
    "TAGS",
    "Answer",
    "LMOracle",
    "ObjectEntry",
    "RuleOracle",
    "TwentyQuestionsEnv",
    "find_object",
    "guess_question",
    "lm_oracle_prompt",
    "make_oracle",
    "parse_lm_answer",
    "parse_question",
]
