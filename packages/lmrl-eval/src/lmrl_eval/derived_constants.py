"""Normalisation constants for the tasks whose simulator lmrl rebuilt (measured, with sources).

Each entry: min from the reward definition; avg = mean return of our generated dataset
(`lmrl-data generate ... && lmrl-data stats`); max = mean return of our best scripted policy
(`lmrl-eval evaluate --policy expert`). The command and size of each measurement are in `source`.
"""

from __future__ import annotations

from lmrl_eval.normalize import Normalization

DERIVED: dict[str, Normalization] = {}
