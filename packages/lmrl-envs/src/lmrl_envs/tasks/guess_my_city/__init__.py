"""Guess My City: find where the oracle is from by asking at most 20 questions (LMRL-Gym "Guess My City").

=================  ==========================================================================
Id                 ``guess-my-city-v0``
Turns              one question per step, at most 20
Observation        first ``"Questions:\\n"``; after each question the oracle's answer, one line
                   ending with ``"\\n"``: ``"Yes.\\n"`` / ``"No.\\n"`` for yes/no questions and
                   guesses, a short sentence for open questions (``"People there mostly speak
                   Portuguese.\\n"``)
Action             one question line: ``"Is it in Asia?\\n"``, ``"What is a famous dish?\\n"``,
                   ``"Is the city you are from Paris?\\n"``
Reward             -1 per question, 0 for the question that correctly guesses the city
Terminated         on the correct guess (``info["success"] = True``) or on the 20th question
                   (``info["success"] = False``): the game's rule, not a time limit
Truncated          never
Return range       [-20, 0]
Cities             100 (`cities.CITIES`): the original's list, Seoul included
History            everything since ``"Questions:\\n"``
Simulator          rule-based oracle over this project's knowledge base (default, deterministic,
                   pure Python) or a pluggable language model (``oracle="hf:/path"``)
=================  ==========================================================================

**Knowledge base.** `cities.CITIES` is a list of `City` records written by this project: country,
continent, regions (East Asia, Western Europe, ...), main languages, climate class (tropical, arid,
mediterranean, subtropical, oceanic, continental, highland) with hot/snow flags, coast (seas),
main river, capital, approximate metropolitan population (for buckets), coordinates (for
hemispheres), 1-4 landmarks, dishes and sports, and aliases (``"Bombay"``, ``"NYC"``,
``"Sao Paulo"``). `cities.COUNTRIES` holds aliases, demonyms, regions and main religions. Both are
plain data: inspect them, or pass ``cities=[...]`` to play another list.

**Questions.** ``info["question_type"]`` says how the rule-based oracle read the question:

* ``"guess"``: it names exactly one city, by name or alias, case and accents ignored, possibly
  with its country or province (``"Is it Paris, France?"``, ``"Are you from Sao Paulo?"``,
  ``"Is it Bombay?"``). It solves the game when it names the hidden city (and any country or
  province given is the city's): ``"Yes.\\n"``, reward 0. Any other city: ``"No.\\n"``.
  Naming a country only ("Is it in India?") is a yes/no question, never a solve, and naming
  several cities in one question is not understood (so listing cities cannot win).
* ``"yes_no"``: continent, region, country (names and demonyms), language, religion,
  climate (hot, cold/snow, tropical, dry, humid, rainy, temperate, mountains), coast and seas,
  rivers, capital, population (``"more than 10 million"``, megacity), hemispheres and the
  equator, EU, landmarks, dishes, sports. Every condition named must hold for ``"Yes.\\n"``.
* ``"open"``: a wh-question about language, weather, food, landmarks, sport, continent, region,
  population, river, coast, hemisphere, religion or fame; the answer is one short sentence
  that never names the city or its country. Asking for the city's or country's name gets
  ``"I can't tell you that; you have to guess.\\n"``.
* ``"unknown"``: nothing recognised: ``"No.\\n"`` (the original's answer to unusable
  input) with ``info["understood"] = False`` and ``info["invalid"] = True``; it still costs
  a question.

**Accuracy.** ``tests/data/guess_my_city_heldout.jsonl`` holds 292 question/city/gold triples over
65 cities (271 yes/no with the gold answer, 198 of them "Yes."; 21 open questions with words the
answer must contain), written from general knowledge before the rules were run on them. The
rule-based oracle answers 289/292 (99.0 %) correctly; the test requires >= 95 %. Measured before
any rule was adjusted to them: 241/257 on the first two batches (93.8 %; the second, harder batch
65/80), 35/35 on a later batch of "No." questions. The misses are topics outside the knowledge
base (driving side, "ancient", clothing advice), answered "No." with ``understood=False``.
Negations are read as the positive question ("Is it not in Asia?" is answered as "Is it in
Asia?").

**Options.** ``reset(options={"word": "paris"})`` fixes the city; names with or without the
country (``"Paris, France"``), aliases, any case and accents are accepted, and an unknown name
raises ``ValueError`` listing how to find valid ones. ``reset`` info carries ``"city"``; the
last step's info carries ``"city"`` and ``"success"``.

**LM oracle.** ``GuessMyCityEnv(oracle="hf:/path/to/model")`` (or any object with
``generate(prompt, max_new_tokens)``) answers with the original prompt
(``oracle.LM_PROMPT``: ``"Answer the question about the city truthfully.\\n    object:
{word}\\n    question: {question}\\n    answer: "``, ``word`` like ``"sao paulo,brazil"``).
Guesses are still judged by the rules, so success never depends on the model.

Differences from the original, and why:

* Seoul is a possible city: the original loader started at line 2 of ``global_cities.txt`` and
  skipped rank 1 (99 cities). City names are modernised (Mumbai, Kolkata, Chennai, Busan, Daegu,
  Incheon, Harbin, Kinshasa, Havana, Bucharest, Kyiv, Pyongyang, Bengaluru) with the original
  spellings as aliases; Taipei's country is Taiwan (the list said China).
* The default oracle is a deterministic knowledge-based simulator instead of a fine-tuned
  FLAN-T5-XL (weights never published): no GPU, no download, same answer every time.
* Open questions get free-text answers, as the paper describes. The shipped original capped the
  oracle at 4 tokens and mapped the output to Yes/No (a bug, see the reference notes); the LM
  oracle here generates up to 32 new tokens and keeps the first line (empty output: ``"No.\\n"``),
  and an LM answer naming the city or its country unprompted is replaced by a refusal.
* The success test is a city-name match with aliases instead of the original's broken
  character-wise ``is_done``; it needs no NLTK.
* The 20th question ends the episode with ``terminated=True`` (a game rule), as in the original's
  ``done``.

Version log:

* v0: first version.
"""

from lmrl_envs.tasks.guess_my_city.cities import CITIES, COUNTRIES, City, Country, find_city
from lmrl_envs.tasks.guess_my_city.env import INITIAL_STR, MAX_QUESTIONS, GuessMyCityEnv
from lmrl_envs.tasks.guess_my_city.oracle import LM_PROMPT, LMOracle, Reply, RulesOracle, leaks

__all__ = [
    "CITIES",
    "COUNTRIES",
    "INITIAL_STR",
    "LM_PROMPT",
    "MAX_QUESTIONS",
    "City",
    "Country",
    "GuessMyCityEnv",
    "LMOracle",
    "Reply",
    "RulesOracle",
    "find_city",
    "leaks",
]
