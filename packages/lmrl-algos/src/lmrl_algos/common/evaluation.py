"""Evaluation during training (``--eval-every N``): play episodes with the current model, log ``eval/*``.

Both training loops use it: `run_offline` (bc, filtered_bc, mc, ilql) after every N-th optimiser step
and `OnlineRun` (ppo, online_filtered_bc) after every N-th round, and both once more at the end of the
run (unless its last step was just evaluated). Each evaluation plays ``--eval-episodes`` episodes of
the run's env and logs, at that step, through the run's `MetricsLogger` (``metrics.jsonl``):

* ``eval/return``: mean undiscounted return; ``eval/return_stderr``: its standard error (0 for one episode);
* ``eval/success``: fraction of successful episodes; ``eval/length``: mean number of actions.

Protocol, the same at every call so that a learning curve compares like with like:

* Episodes: seeds ``1_000_000 + 100_000 * seed + i`` (``i < --eval-episodes``): the same episodes at
  every call, never the seeds of a dataset (those start at 0). Played by `lmrl_envs.rollout` on
  ``min(--eval-episodes, 32)`` envs of their own.
* Decoding: sampled at temperature 1 from the policy's own generator, seeded with ``seed`` at every
  call; the task's decoding from its record (`lmrl_algos.presets.decoding`; Maze re-ranks the 4 moves, other
  tasks generate freely up to ``"\\n"``); the algorithm's value-guided decoding
  (`lmrl_algos.policy.VALUE_TERMS` and the config's ``beta``). Offline algorithms decode with
  ``OfflineAlgorithm.decoding_model(model)``, online ones with the trained model.
* Training is unaffected: the model runs in eval mode and gets its mode back; the global torch,
  Python and NumPy random states are saved and restored, so a run with evaluation ends with the
  same weights as one without (tested). Under ``torchrun`` only rank 0 evaluates (no collective
  runs inside, so the other ranks simply wait at their next one). The time spent counts towards
  ``--time-budget``.

Example:
    >>> import lmrl_envs
    >>> from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer
    >>> tok = build_tiny_tokenizer(["move up\\n", "Count:\\n"], vocab_size=300)
    >>> m = evaluate_model(LMWithHeads(build_tiny_model(tok)), tok, "maze-fo", algo="bc", episodes=2)
    >>> sorted(m)
    ['eval/length', 'eval/return', 'eval/return_stderr', 'eval/success']
"""

from __future__ import annotations

import contextlib
import math
import random
import statistics

import torch

import lmrl_envs
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.logging import MetricsLogger
from lmrl_algos.policy import VALUE_TERMS, LMPolicy
from lmrl_algos.presets import decoding

__all__ = ["EVAL_SEED_OFFSET", "TrainingEvaluator", "eval_seed", "evaluate_model", "summarize"]

EVAL_SEED_OFFSET = 1_000_000
"""Evaluation episode seeds start here (as in lmrl-eval): never the seeds of a dataset."""

MAX_BATCH = 32
"""Envs stepped together by one evaluation."""


def eval_seed(seed: int) -> int:
    """The first episode seed of the evaluations of a run with `seed`: ``1_000_000 + 100_000 * seed``."""
    return EVAL_SEED_OFFSET + 100_000 * seed


def summarize(episodes: list[lmrl_envs.Episode]) -> dict[str, float]:
    """The ``eval/*`` metrics of finished episodes.

    Example:
        >>> ep = lmrl_envs.Episode("toy", 0, ["o\\n", "a\\n"], [False, True], [-2.0], [0], terminated=True)
        >>> summarize([ep, ep])
        {'eval/return': -2.0, 'eval/return_stderr': 0.0, 'eval/success': 1.0, 'eval/length': 1.0}
    """
    if not episodes:
        raise ValueError("no episodes to summarise")
    returns = [ep.total_return for ep in episodes]
    n = len(returns)
    return {"eval/return": statistics.fmean(returns),
            "eval/return_stderr": statistics.stdev(returns) / math.sqrt(n) if n > 1 else 0.0,
            "eval/success": sum(ep.success for ep in episodes) / n,
            "eval/length": sum(ep.length for ep in episodes) / n}


@contextlib.contextmanager
def _global_rng_untouched(device: torch.device):
    """Restore the global torch (CPU and `device`), Python and NumPy random states on exit."""
    py_state = random.getstate()
    try:
        import numpy as np
    except ImportError:  # numpy is optional here
        np = None
    np_state = np.random.get_state() if np is not None else None
    devices = [torch.cuda.current_device() if device.index is None else device.index] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices):
            yield
    finally:
        random.setstate(py_state)
        if np is not None:
            np.random.set_state(np_state)


def evaluate_model(model: torch.nn.Module, tokenizer, env_id: str, *, algo: str, episodes: int = 32, seed: int = 0,
                   device: str | torch.device = "cpu", beta: float = 0.0, support_p: float = 1.0,
                   max_length: int = 256, max_new_tokens: int = 32, envs: list[lmrl_envs.TextEnv] | None = None) -> dict[str, float]:
    """Play `episodes` episodes of `env_id` with `model` under the protocol of the module docstring.

    Args:
        model: the `LMWithHeads` to decode with; put in eval mode, and back in its previous mode after.
        tokenizer: its tokenizer.
        env_id: the env to play (its task record picks the decoding: `lmrl_algos.presets.decoding`).
        algo: the algorithm name (``"bc"``, ``"ilql"``, ...): its value term in `VALUE_TERMS`.
        episodes: how many episodes (seeds ``eval_seed(seed) + i``).
        seed: the run's seed (episode seeds and the sampling generator's seed).
        device: where the model lives.
        beta: weight of the value term (value-guided algorithms).
        support_p: value-guided free generation stays in pi_beta's top-p nucleus (`LMPolicy`).
        max_length, max_new_tokens: the policy's context limit and per-turn token budget.
        envs: the envs to play on (default: ``min(episodes, 32)`` new ones).

    Returns:
        ``{"eval/return", "eval/return_stderr", "eval/success", "eval/length"}`` (see `summarize`).
    """
    device = torch.device(device)
    if envs is None:
        envs = [lmrl_envs.make(env_id) for _ in range(min(episodes, MAX_BATCH))]
    was_training = model.training
    try:
        with _global_rng_untouched(device):
            policy = LMPolicy(model, tokenizer, device=device, greedy=False, temperature=1.0,
                              max_new_tokens=max_new_tokens, max_length=max_length,
                              value_term=VALUE_TERMS.get(algo, "none"), beta=beta, support_p=support_p, seed=seed,
                              **decoding(env_id))
            eps = lmrl_envs.rollout(envs, policy, specs=lmrl_envs.specs_from_seeds(episodes, eval_seed(seed)))
    finally:
        model.train(was_training)
    return summarize(eps)


class TrainingEvaluator:
    """Evaluates a training run every ``--eval-every`` steps and at its end, logging ``eval/*``.

    The loop asks `due` after each step (and `final_due` at its end) and then calls `evaluate` with
    the module to decode with, so that module is only built when an evaluation runs.

    Args:
        cfg: the run's config (``eval_every``, ``eval_episodes``, ``seed``, ``beta``, ``max_new_tokens``).
        algo: the algorithm name (picks the value term).
        env_id: the run's env.
        tokenizer: the model's tokenizer.
        device: where the model lives.
        log: the run's metrics sink.
        main: whether this process evaluates (rank 0); other ranks skip every call.
        max_length: the policy's context limit (default ``cfg.max_length``).
    """

    def __init__(self, cfg, algo: str, env_id: str, tokenizer, device, log: MetricsLogger, *, main: bool = True,
                 max_length: int | None = None):
        self.cfg, self.algo, self.env_id, self.tok, self.device, self.log = cfg, algo, env_id, tokenizer, device, log
        self.every = cfg.eval_every or 0
        self.active = self.every > 0 and main
        self.max_length = max_length or cfg.max_length
        self.last_step: int | None = None
        """The step of the last evaluation (None: none yet)."""
        self.envs: list[lmrl_envs.TextEnv] = []
        if self.active:
            try:
                self.envs = [lmrl_envs.make(env_id) for _ in range(min(cfg.eval_episodes, MAX_BATCH))]
            except Exception as e:
                raise ConfigError(f"--eval-every: cannot make the environment {env_id} ({e})") from None

    def scheduled(self, step: int) -> bool:
        """Whether the run evaluates after `step` (a positive multiple of ``--eval-every``), on every process
        alike: the steps where the other ranks wait for rank 0's evaluation (and its ``on_eval`` callbacks)."""
        return self.every > 0 and step > 0 and step % self.every == 0

    def due(self, step: int) -> bool:
        """Whether this process evaluates after `step`: `scheduled`, and this is the main process."""
        return self.active and self.scheduled(step)

    def final_due(self, step: int) -> bool:
        """Whether this process evaluates at the end of the run, at `step` (unless it was just evaluated)."""
        return self.active and self.last_step != step

    def evaluate(self, step: int, model: torch.nn.Module) -> dict[str, float] | None:
        """Evaluate `model` now and log the metrics at `step`; None on ranks that do not evaluate."""
        if not self.active:
            return None
        cfg = self.cfg
        metrics = evaluate_model(model, self.tok, self.env_id, algo=self.algo, episodes=cfg.eval_episodes,
                                 seed=cfg.seed, device=self.device, beta=getattr(cfg, "beta", 0.0),
                                 support_p=getattr(cfg, "support_p", 1.0), max_length=self.max_length, max_new_tokens=getattr(cfg, "max_new_tokens", 32),
                                 envs=self.envs)
        self.log.log(step, metrics)
        self.last_step = step
        return metrics
