"""The paper's score normalisation: 0 = minimum return, 50 = dataset average, 100 = maximum.

    score = 50 * (raw - min) / (avg - min)            if raw <  avg
    score = 50 + 50 * (raw - avg) / (max - avg)       if raw >= avg

(LMRL-Gym, arXiv 2311.18232, App. E). Scores are not clipped by default: a policy worse than the
minimum the constants assume (e.g. illegal moves in the maze, -4 each) scores below 0, and the
report shows it; `clip=True` reproduces the paper's 0 for such cells.

Constants live in each task's record (``lmrl_envs.spec(id).task.normalization``, registered with
the env; the built-in ones in `lmrl_envs.tasks`). Where our environment is faithful to the original
(Maze, Wordle, Chess, Endgames) they are the paper's (Table 5, `CONSTANTS`). Where we rebuilt the
simulator (Text-Nav engine, the knowledge-based 20Q and Guess-My-City oracles, the rule-based car
buyer), the paper's average and maximum describe a different environment, so ours are derived
(`lmrl_eval.derived_constants.DERIVED`): the minimum from the reward definition (Car Dealer: the
paper's 0 = no sale, not the rule's most negative refusal value, so that a policy that never sells
scores 0 and not ~48), the average from our generated dataset (`lmrl-data stats`), the maximum from
our best scripted policy. Each constant carries its source (CONSTANTS.md). A task registered
without constants is reported in raw returns (`constants_for` raises KeyError).

Example:
    >>> normalize(-6.97, "maze-fo")          # the paper's FO-Maze ILQL cell: 99.9
    99.9
"""

from __future__ import annotations

import lmrl_envs
from lmrl_envs import Normalization, task_name

__all__ = ["CONSTANTS", "Normalization", "PAPER_TABLE2", "constants_for", "normalize", "paper_constants", "task_name"]


def paper_constants(derived: bool) -> dict[str, Normalization]:
    """The constants of the paper's ten tasks from their records: the paper's own (``derived=False``) or ours,
    measured on the rebuilt simulators (``derived=True``), in the paper's task order."""
    records = {t: lmrl_envs.spec(t).task.normalization for t in lmrl_envs.list_tasks(paper=True)}
    return {t: n for t, n in records.items() if n is not None and n.derived == derived}


CONSTANTS: dict[str, Normalization] = paper_constants(derived=False)
"""Faithful tasks: the paper's Table 5. Rebuilt tasks are in `lmrl_eval.derived_constants.DERIVED` (measured, with
sources). Both are views of the task records; `constants_for` reads the record of any registered task."""

PAPER_TABLE2: dict[str, dict[str, float]] = {
    # Normalised scores of the paper's Table 2 (identical in both paper versions).
    "twenty-questions": {"bc": 57.1, "filtered-bc": 77.1, "mc": 87.1, "ilql": 82.9, "ppo": 72.9, "online-filtered-bc": 55.2},
    "guess-my-city": {"bc": 30.0, "filtered-bc": 48.0, "mc": 88.0, "ilql": 75.0, "ppo": 49.9, "online-filtered-bc": 31.6},
    "car-dealer": {"bc": 44.5, "filtered-bc": 54.8, "mc": 57.2, "ilql": 46.3, "ppo": 50.5, "online-filtered-bc": 40.4},
    "maze-fo": {"bc": 58.2, "filtered-bc": 68.9, "mc": 75.0, "ilql": 99.9, "ppo": 79.7, "online-filtered-bc": 57.4},
    "maze-po": {"bc": 53.1, "filtered-bc": 50.1, "mc": 52.4, "ilql": 76.3, "ppo": 42.4, "online-filtered-bc": 53.1},
    "text-nav-fo": {"bc": 53.7, "filtered-bc": 65.1, "mc": 71.9, "ilql": 91.8, "ppo": 87.1, "online-filtered-bc": 74.5},
    "text-nav-po": {"bc": 49.7, "filtered-bc": 60.5, "mc": 71.6, "ilql": 83.7, "ppo": 85.5, "online-filtered-bc": 68.4},
    "wordle": {"bc": 79.9, "filtered-bc": 79.1, "mc": 94.9, "ilql": 97.7, "ppo": 84.2, "online-filtered-bc": 95.2},
    "chess": {"bc": 47.2, "filtered-bc": 42.9, "mc": 46.5, "ilql": 47.3, "ppo": 48.0, "online-filtered-bc": 47.2},
    "endgames": {"bc": 35.1, "filtered-bc": 17.7, "mc": 50.2, "ilql": 45.8, "ppo": 77.5, "online-filtered-bc": 36.2},
}


def constants_for(env_id: str) -> Normalization:
    """The normalisation constants of a task (versioned or plain id): its record's.

    Raises:
        KeyError: the task is not registered, or its record has no constants (how to add them).
    """
    try:
        record = lmrl_envs.spec(env_id).task
    except KeyError:
        record = None
    if record is None or record.normalization is None:
        known = [t for t in lmrl_envs.list_tasks() if lmrl_envs.spec(t).task.normalization is not None]
        raise KeyError(f"no normalisation constants for {env_id!r}; known: {', '.join(known)} (a task gets them "
                       f"from its record: register(..., task=TaskRecord(normalization=Normalization(min, avg, max, "
                       f"source))))")
    return record.normalization


def normalize(raw: float, env_id: str, clip: bool = False) -> float:
    """Normalised score of a raw mean return on a task.

    Example:
        >>> normalize(-83.0, "maze-fo"), normalize(-101.0, "maze-fo"), normalize(-6.84, "maze-fo")
        (50.0, 0.0, 100.0)
    """
    return constants_for(env_id).score(raw, clip=clip)
