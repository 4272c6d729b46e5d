"""Guess My City askers: the behaviour mixture and the information-gain expert.

The question bank (`city_bank`) is built from the knowledge base (`lmrl_envs.tasks.guess_my_city`):
yes/no questions about every continent, region, country and language of the hidden cities, climate,
coast, island, capital, hemisphere, population, religion and sports, plus open questions (language,
weather, dish, landmark, sport, continent, region, river, population, religion, "famous for"). The
answer table is the rule-based oracle's answers. Guesses are written as the original's final turn:
``"Is the city you are from Paris?"``.

**Behaviour** (`MixedCityAskerPolicy`): yes/no questions only (open questions identify the city too
easily in our simulator), one of two askers per episode (`TIERS`): *random* (64.4 %: uniformly
random unasked questions, guesses as soon as one city is consistent, and a random consistent city
on the 20th question) and *cautious* (35.6 %: the most informative question with probability 0.5,
else a random one, and a single guess on the 20th question). Both track the consistent set exactly.

Which statistic is targeted: the paper's Table 1 row (length 18.8, success 0.53, return -18.8) is
not self-consistent: with -1 per question and 0 for the winning question, return = -(length -
success), so length 18.8 and success 0.53 give return -18.27. We match **success rate and average
return** (the %BC filter and the normalisation's midpoint use the return), which fixes the mean
length at 19.33.

**Expert** (`CityInfoGainExpert`): greedy information gain over the whole bank, open questions
included, guessing once one city is left. Open questions such as "What is it famous for?" name
features unique to one city, so it typically wins with its second question (return -1); with
``open_questions=False`` it is the best yes/no asker.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lmrl_data.policies.askers import Asker, QuestionBank, pick_tier

__all__ = ["TIERS", "CityInfoGainExpert", "MixedCityAskerPolicy", "city_bank"]

_OPEN = (
    "What language do people speak there?", "What is the weather like there?", "What is a famous dish there?",
    "What is a famous landmark there?", "What sport is popular there?", "Which continent is it on?",
    "What region is it in?", "What river runs through it?", "How many people live there?",
    "What is the main religion there?", "What is it famous for?",
)
_MISC = (
    "Is it hot?", "Does it snow in winter?", "Is it tropical?", "Is the climate dry?", "Is it on the coast?",
    "Is it a capital city?", "Is it on an island?", "Is it in the southern hemisphere?", "Is it near the equator?",
    "Does it have more than 20 million people?", "Does it have more than 10 million people?",
    "Does it have more than 5 million people?", "Is it in the European Union?", "Are most people Muslim there?",
    "Are most people Christian there?", "Are most people Hindu there?", "Are most people Buddhist there?",
    "Is cricket popular there?", "Is baseball popular there?", "Is basketball popular there?",
    "Is there a big river?",
)


def _the(country: str) -> str:
    return f"the {country}" if country.startswith(("United ", "Philippines", "Ivory")) else country


@lru_cache(maxsize=1)
def city_bank() -> QuestionBank:
    """The Guess My City question bank with the rule-based oracle's answers (built once, ~0.1 s).

    Example:
        >>> bank = city_bank()
        >>> len(bank.items), bank.guess("Paris")
        (100, 'Is the city you are from Paris?')
    """
    from lmrl_envs.tasks.guess_my_city import CITIES, RulesOracle

    oracle = RulesOracle()
    questions = [f"Is it in {c}?" for c in sorted({c for x in CITIES for c in x.continents})]
    questions += [f"Is it {'on' if r.endswith('Coast') else 'in'} {r}?" for r in sorted({r for x in CITIES for r in x.all_regions})]
    questions += [f"Is it in {_the(c)}?" for c in sorted({x.country for x in CITIES})]
    questions += [f"Do people speak {lang} there?" for lang in sorted({x for c in CITIES for x in c.languages})]
    questions += list(_MISC) + list(_OPEN)

    def answer(i: int, q: str) -> tuple[str, bool]:
        r = oracle.answer(CITIES[i], q)
        return r.text, r.understood and r.kind != "guess"

    return QuestionBank.build([c.name for c in CITIES], questions, answer, lambda name: f"Is the city you are from {name}?")


TIERS: list[dict[str, Any]] = [
    {"label": "random", "weight": 0.644, "greedy_prob": 0.0},
    {"label": "cautious", "weight": 0.356, "greedy_prob": 0.5, "min_guess_turn": 20},
]
"""The behaviour's askers per episode (weights sum to 1); tuned toward the paper's success and return."""


class _CityAsker(Asker):
    def bank(self) -> QuestionBank:
        return city_bank()


class MixedCityAskerPolicy(_CityAsker):
    """Behaviour: one asker of `tiers` per episode, yes/no questions only (see the module doc).

    Args:
        tiers: the askers (label, weight, greedy_prob, early_guess_prob, early_guess_max).
        open_questions: allow open questions (default False).
    """

    name = "guess-my-city-mixed-asker"

    def __init__(self, tiers: list[dict[str, Any]] | None = None, open_questions: bool = False) -> None:
        tiers = [dict(t) for t in (TIERS if tiers is None else tiers)]
        super().__init__(open_questions=open_questions, tiers=tiers)
        self.tiers = tiers

    def skill(self, seed: int) -> dict[str, Any]:
        return {**super().skill(seed), **pick_tier(self.tiers, self.episode_rng("tier", seed).random())}


class CityInfoGainExpert(_CityAsker):
    """Expert: greedy information gain over the whole bank; guesses once one city is left.

    Example:
        >>> import lmrl_envs
        >>> eps = lmrl_envs.rollout(lmrl_envs.make("guess-my-city"), CityInfoGainExpert(), 3, seed=0)
        >>> all(e.success for e in eps)
        True
    """

    name = "guess-my-city-info-gain-expert"

    def __init__(self, open_questions: bool = True) -> None:
        super().__init__(greedy_prob=1.0, open_questions=open_questions)
