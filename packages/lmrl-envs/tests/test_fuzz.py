"""Fuzz every registered env: odd actions never raise, odd reset options raise a clear error.

Deterministic (seeded generators) and quick (about a second for all envs).
"""

from __future__ import annotations

import math
import random

import pytest

import lmrl_envs
from lmrl_envs import Episode, read_episodes, write_episodes
from lmrl_envs.tasks.chess import EngineNotFoundError, find_stockfish

try:
    find_stockfish()
    HAVE_STOCKFISH = True
except EngineNotFoundError:
    HAVE_STOCKFISH = False

ODD_ACTIONS = (
    "",
    "\n",
    " ",
    "\t\r\n\v\f",
    "\n" * 500,
    "x" * 100_000,
    "\x00" * 64,
    bytes(range(256)).decode("latin-1"),  # binary-ish: every byte value as a code point
    "\ud800",  # lone surrogates: UTF-8 cannot encode them
    "move up\udc80\n",
    "\ud83d\ude00",  # a surrogate *pair* in a Python str is two lone surrogates
    "\ufeff\u2028\u2029\x85",
    "🙂" * 1000,
)

ODD_OPTIONS = ("str", 5, 0, "", [], ["word"], (1, 2), {1: 2}, {"__no_such_option__": 1}, {None: 1, "a": 2})
"""Reset `options` that are not a dict, or hold unknown keys: always a TypeError or ValueError."""

ODD_VALUES = (None, "", -1, 10**12, 1.5, math.nan, True, "x" * 10_000, [], {}, (1,), (1, 2, 3), ("a", "b"),
              "\ud800", b"bytes")
"""Values tried for every option a task accepts: they either work or raise a clear error."""

EXTRA_OPTIONS = {
    "car-dealer-v0": [{"buyer": {"personality": [], "brand": None, "car_type": {}, "features": None, "budget": "x"}},
                      {"buyer": {"personality": "rude", "brand": "BMW", "car_type": "sedan", "features": [[]],
                                 "budget": 50000}}],
}


def _random_text(rng: random.Random) -> str:
    """Random code points from every plane, lone surrogates included."""
    n = rng.choice((0, 1, 7, 60, 3000))
    ranges = ((0, 0x80), (0x80, 0x800), (0xD800, 0xE000), (0xE000, 0x10000), (0x10000, 0x110000))
    return "".join(chr(rng.randrange(*ranges[rng.randrange(len(ranges))])) for _ in range(n))


def _ids() -> list:
    needs_engine = {"chess-v0", "endgames-v0"}
    return [pytest.param(i, marks=pytest.mark.skipif(i in needs_engine and not HAVE_STOCKFISH, reason="no Stockfish"))
            for i in lmrl_envs.list_envs()]


@pytest.mark.parametrize("env_id", _ids())
def test_odd_actions_never_raise_and_every_episode_can_be_written(env_id, tmp_path):
    rng = random.Random(f"fuzz/{env_id}")
    env = lmrl_envs.make(env_id)
    lo, hi = env.reward_range
    episodes, steps = [], 0
    try:
        for seed in range(3):
            env.reset(seed=seed)
            rewards, starts = [], []
            while not env.done:
                valid = env.valid_actions()
                r = rng.random()
                if r < 0.4:
                    action = ODD_ACTIONS[rng.randrange(len(ODD_ACTIONS))]
                elif r < 0.75 or not valid:
                    action = _random_text(rng)
                else:
                    action = valid[rng.randrange(len(valid))]
                starts.append(env.history_start)
                obs, reward, terminated, truncated, info = env.step(action)
                assert isinstance(obs, str) and obs.endswith("\n") and isinstance(info, dict)
                assert isinstance(reward, float) and lo <= reward <= hi
                rewards.append(reward)
                steps += 1
            texts = env.episode_texts
            for t in texts:
                t.text.encode("utf-8")  # raises if a lone surrogate got into the history
            episodes.append(Episode(env_id, seed, [t.text for t in texts], [t.is_action for t in texts], rewards,
                                    starts, terminated=terminated, truncated=truncated))
    finally:
        env.close()
    assert steps >= 3
    path = tmp_path / "fuzz.jsonl"
    assert write_episodes(path, episodes) == 3
    assert list(read_episodes(path)) == episodes
    assert [p.name for p in tmp_path.iterdir()] == ["fuzz.jsonl"]


@pytest.mark.parametrize("env_id", _ids())
def test_odd_reset_options_raise_a_clear_error(env_id):
    env = lmrl_envs.make(env_id)
    try:
        for options in ODD_OPTIONS:
            with pytest.raises((TypeError, ValueError), match="options") as err:
                env.reset(seed=0, options=options)
            assert "valid options" in str(err.value), err.value
        tried = [{key: value} for key in sorted(env.option_keys) for value in ODD_VALUES]
        for options in tried + EXTRA_OPTIONS.get(env_id, []):
            key = next(iter(options))
            try:
                obs, _ = env.reset(seed=0, options=options)
            except (TypeError, ValueError) as e:
                assert key in str(e), f"reset(options={options!r:.80}) raised an error that does not name {key!r}: {e}"
            else:  # accepted (e.g. None meaning the default): the episode must work
                assert obs.endswith("\n")
                env.step("\ud800 hello")
        env.reset(seed=0)  # the env is still usable after the errors
        assert env.step("")[0].endswith("\n")
    finally:
        env.close()
