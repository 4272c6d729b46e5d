"""Tests of the Maze task (maze-fo, maze-po): exact strings, rewards, limits, history, helpers."""

from __future__ import annotations

import pytest

import lmrl_envs
from lmrl_envs.core import EpisodeFinishedError
from lmrl_envs.tasks.maze import (
    ACTIONS,
    GOAL,
    MAZE,
    MazeEnv,
    bfs_distances,
    describe_full,
    describe_walls,
    free_cells,
    optimal_actions,
    optimal_return,
    position_from_observation,
    shortest_path_policy,
    start_cells,
)
from lmrl_envs.testing import EnvConformance

UP, DOWN, LEFT, RIGHT = "move up\n", "move down\n", "move left\n", "move right\n"
FO_53 = (
    "The goal is at position 8, 6. Your current position is at position 5, 3. "
    "There are walls to your left, below you.\n"
)


def make(observability: str = "full", start=(5, 3), **kwargs) -> MazeEnv:
    env = MazeEnv(observability, **kwargs)
    env.reset(seed=0, options={"init_position": start})
    return env


# ------------------------------------------------------------------ grid and helpers
def test_grid_shape_and_cells():
    assert len(MAZE) == 10 and all(len(row) == 13 for row in MAZE)
    assert GOAL == (8, 6) and MAZE[8][6] == "0"
    assert len(free_cells()) == 26
    starts = start_cells()
    assert len(starts) == 25 and GOAL not in starts
    assert starts[:3] == [(1, 1), (1, 2), (1, 3)] and starts[-1] == (7, 6)


def test_bfs_distances_and_optimal_actions():
    dist = bfs_distances()
    assert dist[GOAL] == 0 and dist[(7, 6)] == 1 and dist[(5, 6)] == 3 and dist[(1, 1)] == 12 and dist[(1, 11)] == 12
    assert set(dist) == set(free_cells())
    assert optimal_actions((5, 3)) == [RIGHT]
    assert optimal_actions((1, 1)) == [RIGHT]
    assert optimal_actions((1, 5)) == [LEFT]
    assert optimal_actions((4, 9)) == [DOWN]
    assert optimal_actions((5, 6)) == [DOWN]
    assert optimal_actions(GOAL) == []
    with pytest.raises(ValueError, match="not a free cell"):
        optimal_actions((0, 0))
    with pytest.raises(ValueError, match="not a free cell"):
        bfs_distances((0, 0))


def test_optimal_return_is_paper_max():
    assert optimal_return() == pytest.approx(-6.84, abs=1e-12)
    assert optimal_return((7, 6)) == 0.0 and optimal_return((1, 1)) == -11.0


def test_bfs_policy_in_env_averages_exactly_minus_6_84():
    env = MazeEnv("full")
    total = 0.0
    for cell in start_cells():
        env.reset(options={"init_position": cell})
        done = False
        while not done:
            _, r, term, trunc, info = env.step(optimal_actions(env.position)[0])
            total += r
            done = term or trunc
        assert info == {"success": True} and term and not trunc
    assert total == -171.0
    assert total / 25 == pytest.approx(-6.84, abs=1e-12)


def test_shortest_path_policy_reads_fo_history():
    env = make(start=(1, 10))
    assert shortest_path_policy([env.history]) == [LEFT]
    assert position_from_observation(describe_full((1, 10))) == (1, 10)
    with pytest.raises(ValueError, match="fully observed"):
        position_from_observation(describe_walls((5, 3)))


# ------------------------------------------------------------------ exact strings
def test_fo_observation_strings():
    env = MazeEnv("full")
    obs, info = env.reset(options={"init_position": (5, 3)})
    assert obs == FO_53 and info == {"position": (5, 3)}
    assert describe_full((1, 10)) == (
        "The goal is at position 8, 6. Your current position is at position 1, 1 0. There are walls above you, below you.\n"
    )
    assert describe_full((5, 6)).endswith("position 5, 6. There is a wall above you.\n")
    assert describe_full((1, 11)).endswith("position 1, 1 1. There are walls to your right, above you, below you.\n")


def test_po_observation_strings():
    env = MazeEnv("partial")
    assert env.reset(options={"init_position": (5, 3)})[0] == "There are walls to your left, below you.\n"
    assert describe_walls((5, 6)) == "There is a wall above you.\n"
    assert describe_walls((8, 6)) == "There are walls to your right, to your left, below you.\n"
    assert env.step(RIGHT)[0] == "There are walls above you, below you.\n"


def test_valid_actions():
    env = make()
    assert env.valid_actions() == [LEFT, RIGHT, UP, DOWN]
    assert set(ACTIONS) == {UP, DOWN, LEFT, RIGHT}


# ------------------------------------------------------------------ rewards and dynamics
def test_move_reward_and_goal():
    env = make(start=(7, 6))
    obs, r, term, trunc, info = env.step(UP)
    assert (r, term, trunc, info, env.position) == (-1.0, False, False, {}, (6, 6))
    obs, r, term, trunc, info = env.step(DOWN)
    obs, r, term, trunc, info = env.step(DOWN)
    assert (obs, r, term, trunc, info) == ("Success\n", 0.0, True, False, {"success": True})
    assert env.history[-1].text == "Success\n" and len(env.history) == 1
    with pytest.raises(EpisodeFinishedError):
        env.step(UP)


def test_wall_bump_is_legal_and_costs_one():
    env = make(start=(5, 3))
    obs, r, term, trunc, info = env.step(LEFT)
    assert (obs, r, term, trunc, info, env.position) == (FO_53, -1.0, False, False, {}, (5, 3))


def test_action_without_newline_is_normalised():
    env = make(start=(5, 3))
    assert env.step("move right")[1] == -1.0 and env.position == (5, 4)


@pytest.mark.parametrize(
    "action", ["", "move up\n\n", "Move up", "move  up", "go north", "\x00", "é" * 10_000, "up"], ids=range(8)
)
def test_invalid_action(action):
    env = make("partial", start=(5, 3))
    env.step(RIGHT)
    obs, r, term, trunc, info = env.step(action)
    assert (obs, r, term, trunc, info) == (
        "There are walls above you, below you.\n",
        -4.0,
        False,
        False,
        {"invalid": True},
    )
    assert env.position == (5, 4)
    # the original returns only the current observation after an invalid action
    assert [t.text for t in env.history] == ["There are walls above you, below you.\n"]
    assert env.history_start == len(env.episode_texts) - 1
    env.step(RIGHT)
    assert [t.text for t in env.history] == ["There are walls above you, below you.\n", RIGHT, describe_walls((5, 5))]


def test_step_limit_gives_minus_101():
    env = make(start=(5, 3))
    total = 0.0
    for _ in range(100):
        obs, r, term, trunc, info = env.step(LEFT)
        total += r
        assert not (term or trunc)
    obs, r, term, trunc, info = env.step(RIGHT)
    total += r
    assert (obs, r, term, trunc, info) == ("Failure\n", -1.0, False, True, {"success": False})
    assert total == -101.0 and env.steps == 101 and env.position == (5, 3)
    with pytest.raises(EpisodeFinishedError):
        env.step(LEFT)


def test_invalid_actions_count_toward_the_limit():
    env = make(start=(5, 3))
    rewards = [env.step("jump\n")[1] for _ in range(100)]
    obs, r, _, trunc, _ = env.step(RIGHT)
    assert rewards == [-4.0] * 100 and (obs, r, trunc) == ("Failure\n", -1.0, True)


def test_goal_on_the_hundredth_step_succeeds():
    env = make(start=(5, 6))
    for _ in range(97):
        env.step(UP)
    env.step(DOWN)
    env.step(DOWN)
    obs, r, term, trunc, info = env.step(DOWN)
    assert (obs, r, term, trunc, info, env.steps) == ("Success\n", 0.0, True, False, {"success": True}, 100)


# ------------------------------------------------------------------ history
def test_fo_history_is_current_observation_only():
    env = make(start=(5, 3))
    env.step(RIGHT)
    env.step(RIGHT)
    assert [t.text for t in env.history] == [describe_full((5, 5))]
    assert not env.history[0].is_action
    assert len(env.episode_texts) == 5


def test_po_history_keeps_last_40_texts():
    env = make("partial", start=(5, 3))
    for _ in range(30):
        env.step(LEFT)
    texts = env.episode_texts
    assert len(texts) == 61 and len(env.history) == 40 and env.history == texts[-40:]
    # as in the original, the window may start with an action
    assert env.history[0].text == LEFT and env.history[1].text == describe_walls((5, 3))


def test_last_k_configurable():
    env = make("partial", last_k=3)
    env.step(RIGHT)
    env.step(RIGHT)
    assert [t.text for t in env.history] == [describe_walls((5, 4)), RIGHT, describe_walls((5, 5))]
    with pytest.raises(ValueError, match="last_k"):
        MazeEnv("partial", last_k=0)
    with pytest.raises(ValueError, match="observability"):
        MazeEnv("fo")


# ------------------------------------------------------------------ reset and seeds
def test_seeded_starts_are_uniform_over_start_cells_and_deterministic():
    env = MazeEnv("full")
    starts = [env.reset(seed=s)[1]["position"] for s in range(600)]
    assert set(starts) == set(start_cells())
    again = [env.reset(seed=s)[1]["position"] for s in range(600)]
    assert again == starts


@pytest.mark.parametrize("bad", [(8, 6), (0, 0), (2, 2), (10, 3), (-1, 3), "ab", (1,), None, (1, 2, 3)])
def test_init_position_validation(bad):
    with pytest.raises(ValueError, match=r"valid cells: \[\(1, 1\), \(1, 2\)"):
        MazeEnv().reset(options={"init_position": bad})


def test_init_position_accepts_lists():
    assert MazeEnv().reset(options={"init_position": [1, 10]})[1] == {"position": (1, 10)}


def test_registered_ids_and_rollout_with_shortest_path_policy():
    fo, po = lmrl_envs.make("maze-fo"), lmrl_envs.make("maze-po")
    assert (fo.env_id, fo.observability, fo.last_k) == ("maze-fo-v0", "full", 1)
    assert (po.env_id, po.observability, po.last_k) == ("maze-po-v0", "partial", 40)
    specs = [lmrl_envs.EpisodeSpec(0, {"init_position": c}) for c in start_cells()]
    episodes = lmrl_envs.rollout([fo, MazeEnv("full")], shortest_path_policy, specs=specs)
    assert all(e.success for e in episodes)
    assert sum(e.total_return for e in episodes) == -171.0


class TestMazeFOConformance(EnvConformance):
    env_id = "maze-fo"


class TestMazePOConformance(EnvConformance):
    env_id = "maze-po"
