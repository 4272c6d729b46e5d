"""Normalisation constants for the tasks whose simulator lmrl rebuilt (measured, with sources).

The paper's average and maximum (Table 5) describe the original simulators (TextWorld house,
FLAN-T5-XL oracles, GPT2-XL buyer), so for these tasks ours are derived, all measured on 2026-11-24
(lmrl-envs 0.1.0, lmrl-data 0.1.0):

* **min**: the worst return under the reward rule (the paper's minimum, the same for every task
  here): Text-Nav 0 (quest not completed), 20Q / Guess My City -20 (20 questions, none right),
  Car Dealer 0 (no sale; see below).
* **avg**: the mean return of our full-size dataset, seed 0, rounded to 4 decimals::

      lmrl-data generate TASK --episodes N --out DIR --workers 2 && lmrl-data stats DIR

  (N = 2,500 for Text-Nav, 100,000 for 20Q and Guess My City, 19,000 for Car Dealer: the paper's sizes).
* **max**: the mean return of the task's expert (`lmrl_data.make_policy(task, "expert")`) over
  1,000 evaluation episodes, seed 0, rounded to 4 decimals::

      lmrl-eval evaluate --env TASK --policy expert --episodes 1000 --seed 0
      # = lmrl_eval.evaluate(TASK, make_policy(TASK, "expert"), episodes=1000, seed=0).return_mean

Car Dealer's minimum: the paper uses 0 (no purchase). With the original "fancy" reward a refused car
scores ``-(budget - msrp) / msrp``, which the rule buyer bounds at -17 (`CarDealerEnv.reward_range`);
taking -17 as the minimum would put a policy that never sells (return about 0) at 48, so we keep
the paper's 0: a policy that sells nothing scores about 0, and scores below 0 stay visible (no clip).
The table of every constant, with sources, is ``packages/lmrl-eval/CONSTANTS.md``.

Example:
    >>> DERIVED["twenty-questions"].min
    -20.0
"""

from __future__ import annotations

from lmrl_eval.normalize import Normalization

__all__ = ["DERIVED"]

_DATE = "2026-11-24"
_GEN = "lmrl-data generate {task} --episodes {n} --out DIR --workers 2 && lmrl-data stats DIR"
_EXPERT = "lmrl-eval evaluate --env {task} --policy expert --episodes 1000 --seed 0"


def _source(task: str, n: int, min_rule: str, expert: str) -> str:
    return (f"derived {_DATE} (rebuilt simulator): min = {min_rule}; avg = mean return of our {n:,}-episode "
            f"dataset (`{_GEN.format(task=task, n=n)}`, seed 0); max = mean return of the expert, {expert} "
            f"(`{_EXPERT.format(task=task)}`)")


_TEXT_NAV_MIN = "0, the reward rule (1 only when the quest is completed)"
_TEXT_NAV_EXPERT = "the TextWorld walkthrough from the current room (success 1.000, 1,000 episodes)"

DERIVED: dict[str, Normalization] = {
    "text-nav-fo": Normalization(0.0, 0.2616, 1.0, _source("text-nav-fo", 2500, _TEXT_NAV_MIN, _TEXT_NAV_EXPERT)),
    "text-nav-po": Normalization(0.0, 0.2616, 1.0, _source("text-nav-po", 2500, _TEXT_NAV_MIN, _TEXT_NAV_EXPERT)),
    "twenty-questions": Normalization(-20.0, -17.4673, -7.409, _source(
        "twenty-questions", 100_000, "-20, the reward rule (-1 per question, 20 questions, none right)",
        "greedy information gain over the question bank (success 1.000, mean length 8.41)")),
    "guess-my-city": Normalization(-20.0, -18.6517, -1.0, _source(
        "guess-my-city", 100_000, "-20, the reward rule (-1 per question, 20 questions, none right)",
        "information gain with open questions, which identify the city at once in our knowledge-based "
        "simulator (success 1.000, always 2 questions)")),
    "car-dealer": Normalization(0.0, 0.5442, 0.7344, _source(
        "car-dealer", 19_000, "0, the paper's (no sale); the fancy reward can reach -17 on a refusal (see module doc)",
        "the 'features' seller style (success 0.709, mean length 4.57)")),
}
"""Task name -> constants, for the five tasks with rebuilt simulators (see the module doc)."""
