"""The Maze dataset supports stitching: overlapping sub-mazes, junction moves, offline routes to the goal."""

from __future__ import annotations

import doctest
import math
from itertools import combinations

import pytest

import lmrl_data.checks
from lmrl_data import GenerateConfig, generate, iter_episodes
from lmrl_data.checks import frequency_policy_return, maze_transitions, offline_value_iteration
from lmrl_data.policies.maze import JUNCTION, SUBMAZES
from lmrl_envs.tasks.maze import free_cells, optimal_return, start_cells

_N = 300  # every one of 20 seed blocks of 300 episodes stitches all 25 starts (measured); seed 0 is tested


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = {}
    for env_id in ("maze-fo", "maze-po"):
        path = tmp_path_factory.mktemp(env_id)
        generate(GenerateConfig(env_id, str(path), episodes=_N, seed=0, progress=False))
        out[env_id] = list(iter_episodes(path, "all"))
    return out


def test_submazes_overlap_exactly_at_the_junction():
    assert JUNCTION == (5, 6)
    assert set().union(*SUBMAZES.values()) == set(free_cells())
    for a, b in combinations(SUBMAZES, 2):
        assert SUBMAZES[a] & SUBMAZES[b] == {JUNCTION}, (a, b)
    assert {k: len(v) for k, v in SUBMAZES.items()} == {"left": 12, "right": 12, "center": 4}


def test_moves_across_the_junction_occur(data):
    steps = {(s, a, n) for s, a, _, n in maze_transitions(data["maze-fo"])}
    assert ((5, 5), "move right\n", (5, 6)) in steps
    assert ((5, 7), "move left\n", (5, 6)) in steps
    assert ((5, 6), "move left\n", (5, 5)) in steps and ((5, 6), "move right\n", (5, 7)) in steps
    assert ((5, 6), "move down\n", (6, 6)) in steps


def test_offline_value_iteration_reaches_the_goal_from_every_start(data):
    for env_id in ("maze-fo", "maze-po"):
        values = offline_value_iteration(data[env_id])
        unreachable = [c for c in start_cells() if values[c] == -math.inf]
        assert unreachable == [], f"{env_id}: no data route to the goal from {unreachable}"
        # the data covers a shortest path from every start, so the offline values are the optimal returns
        assert {c: values[c] for c in start_cells()} == {c: optimal_return(c) for c in start_cells()}


def test_only_goal_submaze_episodes_succeed_and_arms_reach_the_junction(data):
    eps = data["maze-fo"]
    for ep in eps:
        assert ep.success == (ep.info["behaviour"]["submaze"] == "center" and ep.terminated)
    arm_cells_at_junction = [
        s
        for ep in eps
        if ep.info["behaviour"]["submaze"] != "center"
        for s, _, _, n in maze_transitions([ep])
        if n == JUNCTION and s != JUNCTION
    ]
    assert {(5, 5), (5, 7)} <= set(arm_cells_at_junction)


def test_po_dataset_replays_the_fo_transitions(data):
    assert list(maze_transitions(data["maze-po"])) == list(maze_transitions(data["maze-fo"]))
    assert "position" in data["maze-fo"][0].texts[0] and "position" not in data["maze-po"][0].texts[0]


def test_frequency_policy_return_matches_the_paper_constant(tmp_path):
    """Paper Table 5: the Maze dataset average (50 points) is -83; disjoint sub-mazes gave -89.7."""
    generate(GenerateConfig("maze-fo", str(tmp_path / "full"), seed=0, progress=False))  # full size: 1,240
    eps = list(iter_episodes(tmp_path / "full", "all"))
    assert len(eps) == 1240
    ret = frequency_policy_return(eps, episodes_per_cell=100, seed=0)
    assert ret == pytest.approx(-83.0, abs=2.0)


def test_checks_doctests():
    result = doctest.testmod(lmrl_data.checks, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
