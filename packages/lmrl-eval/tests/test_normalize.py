"""The paper's normalisation, checked against hand computation and the paper's own cells."""

import pytest

from lmrl_eval.derived_constants import DERIVED
from lmrl_eval.normalize import CONSTANTS, Normalization, constants_for, normalize

PAPER_20Q = Normalization(-20.0, -17.3, -12.6, "paper Table 5")
PAPER_GUESS = Normalization(-20.0, -18.8, -8.56, "paper Table 5")


def test_anchor_points_are_0_50_100():
    for name, c in CONSTANTS.items():
        assert c.score(c.min) == 0.0, name
        assert c.score(c.avg) == 50.0, name
        assert c.score(c.max) == 100.0, name


def test_hand_computed_values():
    # below average: 50 * (-92 + 101) / (-83 + 101) = 25.0
    assert normalize(-92.0, "maze-fo") == 25.0
    # above average: 50 + 50 * (-44.92 + 83) / (-6.84 + 83) = 75.0
    assert normalize(-44.92, "maze-fo") == 75.0
    # below the minimum (illegal moves cost -4): negative unless clipped
    assert normalize(-119.0, "maze-fo") == -50.0
    assert normalize(-119.0, "maze-fo", clip=True) == 0.0


@pytest.mark.parametrize(
    ("task", "raw", "paper_score"),
    [
        ("maze-fo", -6.97, 99.9),   # FO Maze ILQL
        ("maze-fo", -37.7, 79.7),   # FO Maze PPO
        ("chess", -22.3, 47.2),     # Chess BC
        ("endgames", 0.814, 77.5),  # Endgames PPO
        ("endgames", 0.112, 35.1),  # Endgames BC
        ("wordle", -2.81, 80.0),    # Wordle BC (the paper prints 79.9: rounding of its raw value)
    ],
)
def test_paper_cells_that_follow_the_formula(task, raw, paper_score):
    assert normalize(raw, task) == paper_score


def test_paper_cells_of_rebuilt_tasks_with_paper_constants():
    assert PAPER_20Q.score(-14.2) == 83.0   # 20Q ILQL (Table 2: 82.9)
    assert PAPER_20Q.score(-13.0) == 95.7   # 20Q GPT-4
    assert PAPER_GUESS.score(-10.13) == 92.3  # Guess My City GPT-4


def test_versioned_ids_and_unknown_task():
    assert constants_for("maze-po-v0") is CONSTANTS["maze-po"]
    with pytest.raises(KeyError, match="no normalisation constants for 'nope'"):
        constants_for("nope")


ALL_TASKS = ["maze-fo", "maze-po", "text-nav-fo", "text-nav-po", "wordle", "chess", "endgames", "twenty-questions",
             "guess-my-city", "car-dealer"]
REBUILT = ["text-nav-fo", "text-nav-po", "twenty-questions", "guess-my-city", "car-dealer"]


@pytest.mark.parametrize("task", ALL_TASKS)
def test_every_task_has_constants_with_exact_anchors(task):
    c = constants_for(f"{task}-v0")
    assert c is constants_for(task) and c.min < c.avg < c.max and c.source
    assert normalize(c.min, task) == 0.0
    assert normalize(c.avg, task) == 50.0
    assert normalize(c.max, task) == 100.0


def test_derived_constants_cover_exactly_the_rebuilt_tasks():
    assert sorted(DERIVED) == sorted(REBUILT) and not set(DERIVED) & set(CONSTANTS)
    for task, c in DERIVED.items():
        assert "2026-11-24" in c.source and "lmrl-data generate" in c.source and "--policy expert" in c.source, task


def test_derived_constants_values():
    # min from each reward rule: Text-Nav 0 (no quest), 20Q / Guess -20 (20 unanswered questions), Car 0 (no sale)
    assert [DERIVED[t].min for t in REBUILT] == [0.0, 0.0, -20.0, -20.0, 0.0]
    # FO and PO share the dataset's seeds and actions, and the expert
    assert DERIVED["text-nav-fo"].avg == DERIVED["text-nav-po"].avg and DERIVED["text-nav-po"].max == 1.0
    # a raw return halfway between the dataset average and the expert scores 75
    c = DERIVED["twenty-questions"]
    assert normalize((c.avg + c.max) / 2, "twenty-questions") == 75.0
