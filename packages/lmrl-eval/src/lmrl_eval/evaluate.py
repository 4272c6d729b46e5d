"""Batched evaluation with the paper's protocol per task, and the metrics every report shows.

Protocol (`protocol_specs`): each task's record says it (``lmrl_envs.spec(id).task.protocol``, an
`lmrl_envs.EvalProtocol`). The built-in ones:

| task | kind | episodes | what varies |
|---|---|---|---|
| maze-fo, maze-po | ``per_option`` | 32 from each of the 25 start cells (800) | start cell, seed |
| endgames | ``option_set`` | one game per position of the fixed evaluation set | position |
| everything else | ``seeds`` | N seeded episodes (default 256; paper: Wordle 4096, Chess 1000) | seed |

Evaluation seeds start at `EVAL_SEED_OFFSET` so they never coincide with the seeds `lmrl-data`
uses for datasets (which start at 0).

Example:
    >>> from lmrl_eval.evaluate import evaluate
    >>> from lmrl_eval.policies import load_eval_policy
    >>> r = evaluate("maze-fo", load_eval_policy("expert", "maze-fo"), episodes=25)   # BFS (lmrl-eval[full])
    >>> r.return_mean, r.score
    (-6.84, 100.0)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import lmrl_envs
from lmrl_envs import Episode, EpisodeSpec, rollout
from lmrl_eval.normalize import constants_for

__all__ = ["EVAL_SEED_OFFSET", "EvalResult", "decoding_metrics", "describe_decoding", "evaluate", "move_accuracy",
           "protocol_specs", "summarize"]

EVAL_SEED_OFFSET = 1_000_000
"""Evaluation episode seeds are ``EVAL_SEED_OFFSET + seed * 100_000 + i``."""


@dataclass
class EvalResult:
    """Metrics of one evaluation."""

    env_id: str
    episodes: int
    return_mean: float
    return_std: float
    return_stderr: float
    return_min: float
    return_max: float
    success_rate: float
    length_mean: float
    invalid_rate: float
    score: float | None
    score_stderr: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def protocol_specs(env_id: str, episodes: int | None = None, seed: int = 0) -> list[EpisodeSpec]:
    """The episodes of the task's evaluation protocol (its record's `lmrl_envs.EvalProtocol`).

    Args:
        env_id: the task.
        episodes: total episodes (None: the protocol's count). A ``per_option`` protocol (the maze) rounds
            it up to a multiple of its starts so every start is used equally; an ``option_set`` protocol
            (endgames) caps it at the size of its fixed set.
        seed: evaluation seed, >= 0 (different seeds give different episode seeds, same protocol).

    Raises:
        ValueError: `episodes` < 1 or `seed` < 0.

    Example:
        >>> [(s.seed, s.options) for s in protocol_specs("maze-fo", 2)][:2]
        [(1000000, {'init_position': (1, 1)}), (1000001, {'init_position': (1, 2)})]
    """
    if episodes is not None and episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes} (None: the protocol's count)")
    if seed < 0:
        raise ValueError(f"the evaluation seed must be >= 0, got {seed} (seeds below 0 reach the datasets' episodes)")
    protocol = lmrl_envs.spec(env_id).task.protocol
    base = EVAL_SEED_OFFSET + seed * 100_000
    if protocol.kind == "seeds":
        return [EpisodeSpec(base + i) for i in range(episodes or protocol.episodes)]
    starts = protocol.start_options()
    if protocol.kind == "per_option":
        per_start = max(1, math.ceil((episodes or protocol.episodes) / len(starts)))
        return [EpisodeSpec(base + i * len(starts) + j, dict(start))
                for i in range(per_start) for j, start in enumerate(starts)]
    n = min(len(starts), episodes or protocol.episodes or len(starts))  # option_set: each start at most once
    return [EpisodeSpec(base + i, starts[i]) for i in range(n)]


def move_accuracy(env_id: str, policy: Any) -> tuple[int, int] | None:
    """The paper's second Maze metric: on how many of the protocol's starts the policy's first action is an
    optimal one (the record's ``protocol.optimal_first_actions``; Maze: a shortest-path move from each
    of the 25 start cells). None for a task whose protocol does not define it.

    The reference measures it with greedy decoding (``ReRankerPolicy``, `maze/ilql/train_ilql.py`):
    pass a greedy policy. Each start is one fresh episode (slots 0..n-1 of one batch).

    Example:
        >>> always_down = lambda histories: ["move down\\n"] * len(histories)
        >>> move_accuracy("maze-fo", always_down), move_accuracy("wordle", always_down)
        ((11, 25), None)
    """
    protocol = lmrl_envs.spec(env_id).task.protocol
    if protocol.optimal_first_actions is None:
        return None
    starts = protocol.start_options()
    histories = []
    for options in starts:
        env = lmrl_envs.make(env_id)
        env.reset(seed=0, options=options)
        histories.append(tuple(env.history))
    slots = list(range(len(starts)))
    act = getattr(policy, "act", None)
    moves = act(histories, slots) if act is not None else policy(histories)
    for slot in slots:
        if hasattr(policy, "end_episode"):
            policy.end_episode(slot)
    return sum(m in protocol.first_actions(o) for m, o in zip(moves, starts, strict=True)), len(starts)


def decoding_metrics(env_id: str, policy: Any) -> dict[str, Any]:
    """What a language-model policy's numbers need beside them: ``decode`` (greedy, temperature,
    rerank) and, on the Maze, ``move_accuracy`` measured greedily (the policy's own decoding is
    restored after). ``{}`` for a policy without these settings (scripted, human).

    Example:
        >>> decoding_metrics("maze-fo", lambda histories: ["move up\\n"] * len(histories))
        {}
    """
    if not all(hasattr(policy, name) for name in ("greedy", "temperature", "rerank")):
        return {}
    decode = {"greedy": policy.greedy, "temperature": policy.temperature, "rerank": policy.rerank}
    record: dict[str, Any] = {"decode": decode}
    policy.greedy = True
    try:
        accuracy = move_accuracy(env_id, policy)
    finally:
        policy.greedy = decode["greedy"]
    if accuracy is not None:
        record["move_accuracy"] = {"correct": accuracy[0], "cells": accuracy[1], "decode": {**decode, "greedy": True}}
    return record


def describe_decoding(decode: dict[str, Any] | None) -> str:
    """``sampled T=1, re-ranked`` / ``greedy, free generation`` from a record's ``decode``.

    Example:
        >>> describe_decoding({"greedy": False, "temperature": 1.0, "rerank": True})
        'sampled T=1, re-ranked'
    """
    if not decode:
        return "unrecorded"
    how = "greedy" if decode.get("greedy") else f"sampled T={decode.get('temperature', 1.0):g}"
    return how + (", re-ranked" if decode.get("rerank") else ", free generation")


def _process_group() -> tuple[int, int]:
    """(rank, world size) of the initialised torch.distributed process group, else (0, 1)."""
    try:
        import torch.distributed as dist
    except ImportError:
        return 0, 1
    if not (dist.is_available() and dist.is_initialized()):
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def summarize(env_id: str, episodes: Sequence[Episode]) -> EvalResult:
    """Metrics of a set of episodes (raw return mean/std/stderr, success, length, invalid rate, score)."""
    if not episodes:
        raise ValueError("no episodes to summarise")
    returns = [e.total_return for e in episodes]
    n = len(returns)
    mean = statistics.fmean(returns)
    std = statistics.pstdev(returns) if n > 1 else 0.0
    stderr = (statistics.stdev(returns) / math.sqrt(n)) if n > 1 else 0.0
    actions = sum(e.length for e in episodes)
    invalid = sum(int(e.info.get("invalid_actions", 0)) for e in episodes)
    try:
        norm = constants_for(env_id)
    except KeyError:
        score = score_se = None
    else:
        score = norm.score(mean)
        # The normalisation is piecewise linear; its local slope turns the raw stderr into score units.
        slope = 50.0 / ((norm.avg - norm.min) if mean < norm.avg else (norm.max - norm.avg))
        score_se = round(stderr * slope, 2)
    return EvalResult(
        env_id=lmrl_envs.spec(env_id).id,
        episodes=n,
        return_mean=round(mean, 4),
        return_std=round(std, 4),
        return_stderr=round(stderr, 4),
        return_min=min(returns),
        return_max=max(returns),
        success_rate=round(sum(e.success for e in episodes) / n, 4),
        length_mean=round(actions / n, 3),
        invalid_rate=round(invalid / actions, 4) if actions else 0.0,
        score=score,
        score_stderr=score_se,
    )


def evaluate(env_id: str, policy: Any | Callable, episodes: int | None = None, *, seed: int = 0,
             batch_size: int = 32, env_kwargs: dict[str, Any] | None = None, workers: int = 0,
             progress: bool = False, return_episodes: bool = False, shard: bool = False):
    """Roll a policy out with the task's protocol, batched over `batch_size` envs, and summarise.

    Args:
        env_id: task id.
        policy: an `lmrl_envs.Policy` or a function ``histories -> actions``.
        episodes: how many (None: the paper's count, see `protocol_specs`).
        seed: evaluation seed.
        batch_size: environments stepped together (the policy sees this many histories at once).
        env_kwargs: constructor arguments of the env (e.g. ``{"preset": "paper"}`` for chess).
        workers: thread pool for slow envs (Stockfish, LM oracles).
        progress: tqdm progress bar.
        return_episodes: also return the episodes.
        shard: under `torch.distributed` (e.g. ``torchrun``), play only this rank's share of the
            episodes (every world-size-th one) and gather the rest from the other ranks, so every rank
            returns the full result. Episodes are seeded per episode, so the result is the same as
            one process playing them all (tested). Without an initialised process group, no effect.

    Returns:
        An `EvalResult` (and the episodes, if asked).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    specs = protocol_specs(env_id, episodes, seed)
    rank, world = _process_group() if shard else (0, 1)
    mine = specs[rank::world]
    envs = [lmrl_envs.make(env_id, **(env_kwargs or {})) for _ in range(max(1, min(batch_size, len(mine))))]
    try:
        eps = rollout(envs, policy, specs=mine, workers=workers, progress=progress) if mine else []
    finally:
        for env in envs:
            env.close()
    if world > 1:
        import torch.distributed as dist

        shares: list[list[Episode]] = [[] for _ in range(world)]
        dist.all_gather_object(shares, eps)
        eps = [shares[i % world][i // world] for i in range(len(specs))]
    result = summarize(env_id, eps)
    return (result, eps) if return_episodes else result
