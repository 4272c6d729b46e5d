"""The fields every trainer shares, the field-docstring reader the CLI uses, and config checks.

Example:
    >>> cfg = TrainConfig(env="maze-fo", data="d.jsonl", out="runs/x", steps=10)
    >>> cfg.validate()
    >>> field_docs(TrainConfig)["steps"].split(".")[0]
    'Optimiser steps (offline) or rounds (online)'
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math
import textwrap
from dataclasses import dataclass
from functools import cache

__all__ = ["RESUMABLE", "ConfigError", "OnlineConfig", "TrainConfig", "field_docs"]


class ConfigError(ValueError):
    """A flag or config value out of range; the message names the flag."""


RESUMABLE = ("resume", "steps", "time_budget", "device", "cpu_threads", "save_every", "save_minutes", "log_every",
             "eval_every")
"""The fields a ``--resume`` may change: how long and where the run goes on, how often it saves, logs and
evaluates. None of them changes what the run computes (another device only rounds differently); every
other field must be the one the run was started with, and the trainers refuse a mismatch by name."""


@dataclass(frozen=True)
class TrainConfig:
    """Fields of every trainer (an algorithm's config subclasses this)."""

    env: str = ""
    """Env id the data comes from and the policy is for (e.g. maze-fo-v0); checked against the data."""
    data: str | None = None
    """JSONL file of lmrl_envs.Episode records (offline training data; online methods: tokenizer texts and BC data)."""
    out: str = ""
    """Output directory: metrics.jsonl, checkpoint/ (the latest and final checkpoint)."""
    model: str = "tiny"
    """'tiny' (offline 2-layer GPT-2 + tokenizer trained on the data) or a local model directory."""
    init: str | None = None
    """Start from this lmrl-algos checkpoint (e.g. a BC run for mc/ilql/ppo); its model and tokenizer."""
    steps: int = 1000
    """Optimiser steps (offline) or rounds (online). Training also stops at --time-budget."""
    time_budget: float | None = None
    """Stop after this many seconds of training (then save); None: no limit."""
    seed: int = 0
    """Seed of model init, data order, sampling and rollouts."""
    device: str = "auto"
    """auto (cuda if available), cpu or cuda."""
    preset: str | None = None
    """Name of a hyper-parameter preset (see `lmrl-algos presets`); explicit flags override it."""
    resume: bool = False
    """Continue the run in --out from its checkpoint (same final weights as an uninterrupted run). The algorithm
    and the settings must be those the run was started with, except --steps (extend it), --time-budget, --device,
    --cpu-threads, --save-every, --save-minutes, --log-every and --eval-every."""
    lr: float = 1e-4
    """Learning rate (AdamW, betas 0.9/0.95, eps 1e-8)."""
    batch_size: int = 32
    """Sequences (segments) per optimiser step, over all processes."""
    max_length: int = 256
    """Longest token sequence; longer episodes are split into chained segments."""
    warmup_steps: int = 0
    """Linear learning-rate warm-up steps, then constant."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    grad_clip: float = 1.0
    """Clip the gradient norm to this (0: off)."""
    gamma: float = 0.99
    """Discount per action token."""
    save_every: int = 500
    """Write a checkpoint every N steps (and always at the end)."""
    save_minutes: float = 5.0
    """Also write a checkpoint when this many minutes passed since the last one, so a kill loses at most that much
    work whatever --save-every is (0: off)."""
    log_every: int = 10
    """Log metrics every N steps."""
    eval_every: int | None = None
    """Evaluate the current model every N optimiser steps (offline) or rounds (online), and at the end: play
    --eval-episodes episodes of --env (sampled decoding, fixed seeds) and log eval/return, eval/return_stderr,
    eval/success and eval/length to metrics.jsonl. None or 0: off."""
    eval_episodes: int = 32
    """Episodes per evaluation of --eval-every (the same seeds at every evaluation)."""
    bf16: bool = True
    """bf16 autocast on CUDA (ignored on CPU)."""
    cpu_threads: int | None = None
    """torch CPU threads (None: torch's default). On a shared machine use 1: more threads than free cores
    slows small models many-fold."""

    def validate(self) -> None:
        """Raise `ConfigError` naming the first out-of-range flag."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"--{f.name.replace('_', '-')} must be a finite number, got {value}")
        checks = [
            (bool(self.env), "--env is required (e.g. --env maze-fo-v0)"),
            (bool(self.out), "--out is required (a directory for checkpoints and metrics)"),
            (self.steps >= 1, f"--steps must be >= 1, got {self.steps}"),
            (self.seed >= 0, f"--seed must be >= 0, got {self.seed}"),
            (self.time_budget is None or self.time_budget > 0, "--time-budget must be > 0 seconds"),
            (self.device in ("auto", "cpu", "cuda"), f"--device must be auto, cpu or cuda, got {self.device!r}"),
            (0 < self.lr <= 1, f"--lr must be in (0, 1], got {self.lr}"),
            (self.batch_size >= 1, f"--batch-size must be >= 1, got {self.batch_size}"),
            (self.max_length >= 8, f"--max-length must be >= 8, got {self.max_length}"),
            (self.warmup_steps >= 0, "--warmup-steps must be >= 0"),
            (self.weight_decay >= 0, "--weight-decay must be >= 0"),
            (self.grad_clip >= 0, "--grad-clip must be >= 0"),
            (0 < self.gamma <= 1, f"--gamma must be in (0, 1], got {self.gamma}"),
            (self.save_every >= 1, "--save-every must be >= 1"),
            (self.save_minutes >= 0, f"--save-minutes must be >= 0 (0: off), got {self.save_minutes}"),
            (self.log_every >= 1, "--log-every must be >= 1"),
            (self.eval_every is None or self.eval_every >= 0, "--eval-every must be >= 0 (0: off)"),
            (self.eval_episodes >= 1, f"--eval-episodes must be >= 1, got {self.eval_episodes}"),
            (self.cpu_threads is None or self.cpu_threads >= 1, "--cpu-threads must be >= 1"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class OnlineConfig(TrainConfig):
    """Fields of the online trainers (rounds of rollouts in the real env)."""

    n_rollouts: int = 128
    """Episodes collected per round."""
    rollout_batch: int = 32
    """Environments stepped together during rollouts."""
    max_new_tokens: int = 32
    """Per-turn token budget when generating actions."""

    def validate(self) -> None:
        super().validate()
        for name in ("n_rollouts", "rollout_batch", "max_new_tokens"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1")


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each dataclass field (over the class and its bases)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass) or klass is object:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body
        for node, nxt in zip(body, body[1:], strict=False):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str)):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs
