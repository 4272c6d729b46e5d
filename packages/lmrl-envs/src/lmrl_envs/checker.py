"""`check_env`: the conformance checker every lmrl environment must pass.

It plays a few episodes with a mix of legal actions (from `valid_actions()`) and hostile strings
(empty, huge, unicode, control characters, no trailing newline) and checks:

- `reset` returns ``(str, dict)``; every observation and action text ends with ``"\\n"``;
- `history` is a tuple of `Text` and a suffix of `episode_texts` starting at `history_start`;
- the same seed and the same actions give the same bytes (two fresh instances side by side);
- rewards are finite and inside `reward_range`; `terminated` and `truncated` are booleans and not
  both set; every episode ends within `max_steps` actions;
- no action string raises; stepping a finished episode raises `EpisodeFinishedError`;
  an unknown reset option raises `ValueError` that names the valid ones;
- the episode survives a JSONL round trip;
- importing the package and making the env does not import torch (checked in a subprocess).

Example:
    >>> from lmrl_envs import check_env
    >>> report = check_env("maze-fo", n_episodes=2)
    >>> report["episodes"]
    2
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from lmrl_envs.core import EpisodeFinishedError, Text, TextEnv
from lmrl_envs.episode import Episode

__all__ = ["ConformanceError", "FUZZ_ACTIONS", "check_env"]

FUZZ_ACTIONS: tuple[str, ...] = (
    "",
    "\n",
    "\n\n\n",
    "   ",
    "no trailing newline",
    "x" * 5000,
    "Ünïcödé 🙂 ☃ 日本語\n",
    "\x00\x01\x1b[31mred\x1b[0m\r\n",
    "\t\v\f",
    "move up\nmove down\n",
    "?",
    "0000000000",
    '{"json": true}',
    "DROP TABLE;--",
)
"""Hostile action strings every env must accept without raising."""


class ConformanceError(AssertionError):
    """An environment broke the contract; the message says which check and how."""


def _fail(msg: str) -> None:
    raise ConformanceError(msg)


def _make(env: str | TextEnv | Callable[[], TextEnv], env_kwargs: dict[str, Any]) -> Callable[[], TextEnv]:
    if isinstance(env, str):
        from lmrl_envs.registry import make

        return lambda: make(env, **env_kwargs)
    if isinstance(env, TextEnv):
        cls, env_id = type(env), env.env_id
        if env_kwargs:
            raise ValueError("env_kwargs can only be used with an env id or a factory")

        def factory() -> TextEnv:
            e = cls()
            e.env_id = env_id
            return e

        return factory
    if callable(env):
        return env
    raise TypeError(f"check_env takes an env id, a TextEnv or a factory, got {type(env).__name__}")


def _actions_for(env: TextEnv, rng: random.Random, fuzz_prob: float) -> str:
    valid = env.valid_actions()
    if valid and rng.random() >= fuzz_prob:
        return valid[rng.randrange(len(valid))]
    return FUZZ_ACTIONS[rng.randrange(len(FUZZ_ACTIONS))]


def _play(env: TextEnv, seed: int, action_seed: int, fuzz_prob: float, label: str) -> tuple[list, Episode]:
    """One episode; returns the transcript and the episode record, checking per-step invariants."""
    rng = random.Random(action_seed)
    obs, info = env.reset(seed=seed)
    if not isinstance(obs, str) or not isinstance(info, dict):
        _fail(f"{label}: reset must return (str, dict), got ({type(obs).__name__}, {type(info).__name__})")
    transcript: list[Any] = [obs]
    rewards, starts = [], []
    lo, hi = env.reward_range
    limit = env.max_steps
    for step in range(1, limit + 2):
        if step > limit:
            _fail(f"{label}: episode did not end within max_steps={limit} actions")
        hist = env.history
        if not isinstance(hist, tuple) or not all(isinstance(t, Text) for t in hist):
            _fail(f"{label}: history must be a tuple of Text")
        texts = env.episode_texts
        if hist != texts[env.history_start :]:
            _fail(f"{label}: history is not the suffix of episode_texts starting at history_start")
        for t in texts:
            if not t.text.endswith("\n"):
                _fail(f"{label}: text {t.text[:60]!r} does not end with '\\n' (every observation and action must)")
        action = _actions_for(env, rng, fuzz_prob)
        starts.append(env.history_start)
        try:
            obs, reward, terminated, truncated, info = env.step(action)
        except Exception as e:  # noqa: BLE001 - the point is to catch anything
            _fail(f"{label}: step({action[:40]!r}) raised {type(e).__name__}: {e}; any string must be a valid step")
        if not isinstance(obs, str) or not isinstance(info, dict):
            _fail(f"{label}: step must return (str, float, bool, bool, dict)")
        if not isinstance(reward, float) or not math.isfinite(reward):
            _fail(f"{label}: reward {reward!r} is not a finite float")
        if not lo <= reward <= hi:
            _fail(f"{label}: reward {reward} outside reward_range {env.reward_range}")
        if not isinstance(terminated, bool) or not isinstance(truncated, bool):
            _fail(f"{label}: terminated and truncated must be bools")
        if terminated and truncated:
            _fail(f"{label}: terminated and truncated are both True")
        rewards.append(reward)
        transcript.append((action, obs, reward, terminated, truncated))
        if terminated or truncated:
            break
    if not env.done:
        _fail(f"{label}: env.done is False after the episode ended")
    try:
        env.step("move up\n")
    except EpisodeFinishedError:
        pass
    else:
        _fail(f"{label}: stepping a finished episode must raise EpisodeFinishedError")
    texts = env.episode_texts
    episode = Episode(
        env_id=env.env_id or type(env).__name__,
        seed=seed,
        texts=[t.text for t in texts],
        is_action=[t.is_action for t in texts],
        rewards=rewards,
        context_start=starts,
        terminated=terminated,
        truncated=truncated,
        info={"success": bool(info.get("success", terminated))},
    )
    return transcript, episode


def _check_no_torch(env_id: str, env_kwargs: dict[str, Any]) -> None:
    code = (
        "import sys, json, lmrl_envs\n"
        f"env = lmrl_envs.make({env_id!r}, **json.loads({json.dumps(json.dumps(env_kwargs))}))\n"
        "env.reset(seed=0); env.step('x'); env.close()\n"
        "bad = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "sys.exit(f'imported {bad}' if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        _fail(f"{env_id}: making and stepping the env must not import torch/transformers: {proc.stderr.strip()[-500:]}")


def check_env(env: str | TextEnv | Callable[[], TextEnv], *, n_episodes: int = 3, seed: int = 0,
              fuzz_prob: float = 0.3, env_kwargs: dict[str, Any] | None = None,
              check_imports: bool = True) -> dict[str, Any]:
    """Run the conformance checks on an environment.

    Args:
        env: a registered id (``"maze-fo"``), an env instance (its class is re-instantiated without
            arguments) or a zero-argument factory.
        n_episodes: episodes to play (each twice, for determinism).
        seed: first episode seed.
        fuzz_prob: probability of a hostile action string when the env lists its valid actions.
        env_kwargs: constructor arguments when `env` is an id.
        check_imports: also check in a subprocess that the env does not import torch (ids only).

    Returns:
        A summary: episodes, steps, mean return, and the checks that passed.

    Raises:
        ConformanceError: the first broken rule, with what to fix.
    """
    env_kwargs = dict(env_kwargs or {})
    factory = _make(env, env_kwargs)
    a, b = factory(), factory()
    steps, returns = 0, []
    try:
        if not isinstance(a, TextEnv):
            _fail(f"the env must subclass lmrl_envs.TextEnv, got {type(a).__name__}")
        try:
            a.step("x")
        except EpisodeFinishedError:
            pass
        else:
            _fail("stepping before reset must raise EpisodeFinishedError")
        try:
            a.reset(seed=seed, options={"__no_such_option__": 1})
        except ValueError as e:
            if "valid" not in str(e):
                _fail(f"the error for an unknown option should name the valid ones, got: {e}")
        else:
            _fail("reset must raise ValueError on an unknown option")
        for i in range(n_episodes):
            label = f"{a.env_id or type(a).__name__} episode seed={seed + i}"
            t1, ep = _play(a, seed + i, 1000 + i, fuzz_prob, label)
            t2, _ = _play(b, seed + i, 1000 + i, fuzz_prob, label + " (replay)")
            if t1 != t2:
                first = next(j for j, (x, y) in enumerate(zip(t1, t2)) if x != y) if len(t1) == len(t2) else min(len(t1), len(t2))
                _fail(f"{label}: not deterministic: same seed and actions diverge at step {first}: "
                      f"{t1[first] if first < len(t1) else None!r} vs {t2[first] if first < len(t2) else None!r}")
            line = ep.to_json()
            if Episode.from_json(line) != ep or json.loads(line)["texts"] != ep.texts:
                _fail(f"{label}: the episode does not survive a JSONL round trip")
            steps += ep.length
            returns.append(ep.total_return)
        if check_imports and isinstance(env, str):
            _check_no_torch(env, env_kwargs)
    finally:
        a.close()
        b.close()
    return {
        "env_id": a.env_id,
        "episodes": n_episodes,
        "steps": steps,
        "mean_return": sum(returns) / len(returns) if returns else 0.0,
        "checks": ["reset/step types", "history suffix", "newline endings", "determinism", "reward range",
                   "step limit", "hostile actions", "finished-episode guard", "unknown options", "JSONL round trip"]
        + (["no torch import"] if check_imports and isinstance(env, str) else []),
    }
