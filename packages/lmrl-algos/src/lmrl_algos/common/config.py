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

__all__ = ["DTYPES", "LR_SCHEDULES", "RESUMABLE", "ConfigError", "OnlineConfig", "TrainConfig", "field_docs"]


class ConfigError(ValueError):
    """A flag or config value out of range; the message names the flag."""


LR_SCHEDULES = ("constant", "cosine")
"""The values of ``--lr-schedule`` (`lmrl_algos.common.trainer.make_optimizer`)."""

DTYPES = ("fp32", "bf16", "fp16")
"""The values of ``--dtype`` (`lmrl_algos.models.torch_dtype` maps them to torch dtypes)."""

RESUMABLE = ("resume", "steps", "time_budget", "device", "cpu_threads", "save_every", "save_minutes", "log_every",
             "eval_every", "report_to", "gradient_checkpointing")
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
    """'tiny' (offline 2-layer GPT-2 + tokenizer trained on the data), a local model directory, or a Hugging Face
    Hub id (e.g. gpt2, Qwen/Qwen2.5-0.5B) found in the local Hugging Face cache (HF_HUB_CACHE); nothing is downloaded
    unless LMRL_ALLOW_DOWNLOADS=1 is set and HF_HUB_OFFLINE is not."""
    dtype: str = "fp32"
    """Dtype the model's weights are loaded and trained in: fp32, bf16 or fp16 (fp16: CUDA only, and with --lora-r
    only, whose adapters stay fp32). Not autocast: see --bf16 for that."""
    gradient_checkpointing: bool = False
    """Recompute the transformer blocks' activations in the backward pass (less memory, ~30 % more compute; same
    numbers)."""
    lora_r: int = 0
    """LoRA rank (0: off, every weight is trained). With r > 0 the LM is frozen and rank-r adapters on
    --lora-target-modules are trained (needs `pip install 'lmrl-algos[peft]'`; bc, filtered_bc, online_filtered_bc)."""
    lora_alpha: float = 16.0
    """LoRA scaling numerator (the update is scaled by alpha / r)."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA adapters' input."""
    lora_target_modules: str = "all-linear"
    """Comma-separated module names to adapt (e.g. c_attn,c_proj for GPT-2; q_proj,v_proj for Llama/Qwen), or
    all-linear (every linear layer but the output head)."""
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
    --cpu-threads, --save-every, --save-minutes, --log-every, --eval-every, --report-to and --gradient-checkpointing."""
    lr: float = 1e-4
    """Learning rate (AdamW, betas 0.9/0.95, eps 1e-8)."""
    batch_size: int = 32
    """Sequences (segments) per optimiser step, over all processes."""
    max_length: int = 256
    """Longest token sequence; longer episodes are split into chained segments."""
    warmup_steps: int = 0
    """Linear learning-rate warm-up steps, then --lr-schedule."""
    lr_schedule: str = "constant"
    """The learning rate after warm-up: constant (the reference's) or cosine (decays to 0 at --steps; offline
    trainers only). A regression onto noisy targets (MC's sampled returns) ends near their mean only if the rate
    decays: at a constant rate the last iterate keeps the noise of the last batches. With cosine, --steps is part of
    the schedule and cannot change on --resume."""
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
    report_to: str = "auto"
    """Where metrics and the config go besides OUT/metrics.jsonl (always written): auto (TensorBoard when it is
    installed, else nothing, silently), none, tensorboard (OUT/tb),
    wandb (offline in OUT/wandb unless logged in or WANDB_MODE is set; never prompts) or a comma-separated list
    (tensorboard,wandb). A missing package is a warning naming its pip install."""
    eval_every: int | None = None
    """Evaluate the current model every N optimiser steps (offline) or rounds (online), and at the end: play
    --eval-episodes episodes of --env (sampled decoding, fixed seeds) and log eval/return, eval/return_stderr,
    eval/success and eval/length to metrics.jsonl. None or 0: off."""
    eval_episodes: int = 32
    """Episodes per evaluation of --eval-every (the same seeds at every evaluation)."""
    bf16: bool = True
    """bf16 autocast on CUDA with --dtype fp32 (ignored on CPU and for weights loaded in bf16 or fp16)."""
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
            (self.lr_schedule in LR_SCHEDULES,
             f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}"),
            (self.weight_decay >= 0, "--weight-decay must be >= 0"),
            (self.grad_clip >= 0, "--grad-clip must be >= 0"),
            (0 < self.gamma <= 1, f"--gamma must be in (0, 1], got {self.gamma}"),
            (self.save_every >= 1, "--save-every must be >= 1"),
            (self.save_minutes >= 0, f"--save-minutes must be >= 0 (0: off), got {self.save_minutes}"),
            (self.log_every >= 1, "--log-every must be >= 1"),
            (self.eval_every is None or self.eval_every >= 0, "--eval-every must be >= 0 (0: off)"),
            (self.eval_episodes >= 1, f"--eval-episodes must be >= 1, got {self.eval_episodes}"),
            (self.cpu_threads is None or self.cpu_threads >= 1, "--cpu-threads must be >= 1"),
            (self.dtype in DTYPES, f"--dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}"),
            (self.lora_r >= 0, f"--lora-r must be >= 0 (0: off), got {self.lora_r}"),
            (self.lora_alpha > 0, f"--lora-alpha must be > 0, got {self.lora_alpha}"),
            (0 <= self.lora_dropout < 1, f"--lora-dropout must be in [0, 1), got {self.lora_dropout}"),
            (bool(self.lora_target_modules.strip(", ")), "--lora-target-modules needs module names or all-linear"),
            (self.dtype != "fp16" or self.lora_r > 0,
             "--dtype fp16 trains only LoRA adapters (--lora-r N, kept in fp32): full fp16 training has no loss "
             "scaling and AdamW's eps underflows in fp16; use --dtype bf16 (or fp32)"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)
        from lmrl_algos.common.logging import parse_report_to

        parse_report_to(self.report_to)  # ConfigError naming an unknown backend

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
        if self.lr_schedule != "constant":
            raise ConfigError(f"--lr-schedule {self.lr_schedule}: the online trainers keep a constant rate (their "
                              "number of optimiser steps depends on the rollouts); leave out --lr-schedule")
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
