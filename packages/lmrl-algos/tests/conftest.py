"""Shared fixtures: the test device, a tiny full-history toy env (registered as toy-count-v0) and episode files."""

from __future__ import annotations

import os
import random

import pytest
import torch

import lmrl_envs
from lmrl_envs.testing import CountEnv

DEVICE_ENV = "LMRL_TEST_DEVICE"


@pytest.fixture(scope="session")
def device() -> str:
    """The device of the device-aware tests: ``$LMRL_TEST_DEVICE`` (``cpu`` or ``cuda``; default ``cpu``), which the
    nox session ``tests(package=..., device=...)`` sets.

    ``cuda`` without a usable GPU fails each test that asks for the device (an error at setup), never skips it:
    a CUDA session must not pass by running on the CPU.
    """
    name = os.environ.get(DEVICE_ENV, "").strip() or "cpu"
    if name not in ("cpu", "cuda"):
        pytest.fail(f"{DEVICE_ENV}={name!r}: set it to cpu or cuda (or leave it unset for cpu)", pytrace=False)
    if name == "cuda" and not torch.cuda.is_available():
        pytest.fail(f"{DEVICE_ENV}=cuda, but torch {torch.__version__} sees no CUDA GPU (torch.cuda.is_available() "
                    f"is False): run on a machine with a GPU and a CUDA build of torch, or set {DEVICE_ENV}=cpu",
                    pytrace=False)
    return name


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
