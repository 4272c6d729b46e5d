"""Batched evaluation with the paper's protocol per task, and the metrics every report shows.

Protocol (`protocol_specs`):

| task | episodes | what varies |
|---|---|---|
| maze-fo, maze-po | 32 from each of the 25 start cells (800) | start cell, seed |
| endgames | one game per position of the fixed evaluation set | position |
| everything else | N seeded episodes (default 256; paper: Wordle 4096, Chess 1000) | seed |

Evaluation seeds start at `EVAL_SEED_OFFSET` so they never coincide with the seeds `lmrl-data`
uses for datasets (which start at 0).

Example:
    >>> from lmrl_eval.evaluate import evaluate
    >>> from lmrl_envs.tasks.maze import shortest_path_policy
    >>> r = evaluate("maze-fo", shortest_path_policy, episodes=25)
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
from lmrl_eval.normalize import constants_for, task_name

__all__ = ["EVAL_SEED_OFFSET", "EvalResult", "decoding_metrics", "describe_decoding", "evaluate", "move_accuracy",
           "protocol_specs", "summarize"]

EVAL_SEED_OFFSET = 1_000_000
"""Evaluation episode seeds are ``EVAL_SEED_OFFSET + seed * 100_000 + i``."""

DEFAULT_EPISODES = {"maze-fo": 800, "maze-po": 800, "wordle": 4096, "chess": 1000}
"""The paper's episode counts where it states them; other tasks default to 256."""


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
    """The episodes of the paper's evaluation protocol for a task (see the module table).

    Args:
        env_id: the task.
        episodes: total episodes (None: the paper's count). For the maze this is rounded up to a
            multiple of 25 so every start cell is used equally; for endgames it is capped at the size
            of the fixed position set.
        seed: evaluation seed, >= 0 (different seeds give different episode seeds, same protocol).

    Raises:
        ValueError: `episodes` < 1 or `seed` < 0.
    """
    if episodes is not None and episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes} (None: the protocol's count)")
    if seed < 0:
        raise ValueError(f"the evaluation seed must be >= 0, got {seed} (seeds below 0 reach the datasets' episodes)")
    name = task_name(lmrl_envs.spec(env_id).id)
    base = EVAL_SEED_OFFSET + seed * 100_000
    if name in ("maze-fo", "maze-po"):
        from lmrl_envs.tasks.maze import start_cells

        cells = start_cells()
        per_cell = max(1, math.ceil((episodes or DEFAULT_EPISODES[name]) / len(cells)))
        return [EpisodeSpec(base + i * len(cells) + j, {"init_position": tuple(cell)})
                for i in range(per_cell) for j, cell in enumerate(cells)]
    if name == "endgames":
        from lmrl_envs.tasks.chess import eval_positions

        n = len(eval_positions())
        n = min(n, episodes) if episodes else n
        return [EpisodeSpec(base + i, {"position_index": i}) for i in range(n)]
    n = episodes or DEFAULT_EPISODES.get(name, 256)
    return [EpisodeSpec(base + i) for i in range(n)]


def move_accuracy(env_id: str, policy: Any) -> tuple[int, int] | None:
    """The paper's second Maze metric: on how many of the 25 start cells the policy's first move is
    a shortest-path move (`lmrl_envs.tasks.maze.optimal_actions`). None for other tasks.

    The reference measures it with greedy decoding (``ReRankerPolicy``, `maze/ilql/train_ilql.py`):
    pass a greedy policy. Each cell is one fresh episode (slots 0..24 of one batch).

    Example:
        >>> from lmrl_envs.tasks.maze import shortest_path_policy
        >>> move_accuracy("maze-fo", shortest_path_policy), move_accuracy("wordle", shortest_path_policy)
        ((25, 25), None)
    """
    if task_name(lmrl_envs.spec(env_id).id) not in ("maze-fo", "maze-po"):
        return None
    from lmrl_envs.tasks.maze import optimal_actions, start_cells

    cells = start_cells()
    histories = []
    for cell in cells:
        env = lmrl_envs.make(env_id)
        env.reset(seed=0, options={"init_position": cell})
        histories.append(tuple(env.history))
    slots = list(range(len(cells)))
    act = getattr(policy, "act", None)
    moves = act(histories, slots) if act is not None else policy(histories)
    for slot in slots:
        if hasattr(policy, "end_episode"):
            policy.end_episode(slot)
    return sum(m in optimal_actions(c) for m, c in zip(moves, cells, strict=True)), len(cells)


def decoding_metrics(env_id: str, policy: Any) -> dict[str, Any]:
    """What a language-model policy's numbers need beside them: ``decode`` (greedy, temperature,
    rerank) and, on the Maze, ``move_accuracy`` measured greedily (the policy's own decoding is
    restored after). ``{}`` for a policy without these settings (scripted, human).

    Example:
        >>> from lmrl_envs.tasks.maze import shortest_path_policy
        >>> decoding_metrics("maze-fo", shortest_path_policy)
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
