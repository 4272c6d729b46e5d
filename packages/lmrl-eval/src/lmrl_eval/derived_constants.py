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

The numbers live in the tasks' records (``lmrl_envs.spec(task).task.normalization``, ``derived=True``;
registered in `lmrl_envs.tasks`); `DERIVED` is their view. The table of every constant, with
sources, is ``packages/lmrl-eval/CONSTANTS.md``.

Example:
    >>> DERIVED["twenty-questions"].min
    -20.0
"""

from __future__ import annotations

from lmrl_eval.normalize import Normalization, paper_constants

__all__ = ["DERIVED"]

DERIVED: dict[str, Normalization] = paper_constants(derived=True)
"""Task name -> constants, for the five tasks with rebuilt simulators (see the module doc)."""
