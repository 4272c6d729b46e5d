"""Shared fixtures: a tiny full-history toy env (registered as toy-count-v0) and episode files."""

from __future__ import annotations

import random

import pytest

import lmrl_envs
from lmrl_envs import StepResult, TextEnv


class CountEnv(TextEnv):
    """Say "up" twice to win (reward 1); anything else costs -1. Full history, at most 4 actions."""

    max_steps = 4

    def _reset(self, options):
        self.count = 0
        return "Count:\n", {}

    def _step(self, action):
        if action == "up\n":
            self.count += 1
            if self.count == 2:
                return StepResult("Win\n", 1.0, terminated=True, info={"success": True})
            return StepResult("ok\n", 0.0)
        return StepResult("no\n", -1.0, info={"invalid": True})

    def valid_actions(self):
        return ["up\n", "down\n"]


if "toy-count-v0" not in lmrl_envs.list_envs():
    lmrl_envs.register("toy-count-v0", CountEnv)


def _toy_policy(seed):
    rng = random.Random(seed)
    return lambda hs: [rng.choice(["up\n", "up\n", "down\n"]) for _ in hs]


@pytest.fixture(scope="session")
def toy_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "toy.jsonl"
    envs = [lmrl_envs.make("toy-count-v0") for _ in range(4)]
    lmrl_envs.write_episodes(path, lmrl_envs.rollout(envs, _toy_policy(0), 24, seed=0))
    return path


@pytest.fixture(scope="session")
def maze_data(tmp_path_factory):
    from lmrl_envs.tasks.maze import ACTIONS, shortest_path_policy

    rng = random.Random(0)

    def pol(hs):
        return [a if rng.random() < 0.6 else rng.choice(list(ACTIONS)) for a in shortest_path_policy(hs)]

    path = tmp_path_factory.mktemp("data") / "maze.jsonl"
    envs = [lmrl_envs.make("maze-fo") for _ in range(8)]
    lmrl_envs.write_episodes(path, lmrl_envs.rollout(envs, pol, 16, seed=0))
    return path
