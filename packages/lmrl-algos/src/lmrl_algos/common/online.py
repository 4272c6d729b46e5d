"""What the online trainers (ppo, online %bc, grpo, archer) share: set-up, rollouts in real envs, round checkpoints.

One round = collect episodes with the current sampling policy via `lmrl_envs.rollout`, then update.
Round r plays the episode seeds ``seed * 1_000_003 + r * n_rollouts + i`` and samples with generator
seed ``seed + r``, so a resumed run replays exactly the rounds it would have played.

Under ``torchrun`` (several processes) the rollouts, the expensive part, are sharded: rank k plays
every world-th episode of the round (sampling seed ``seed + r + 7919 k``), and the episodes are
gathered so that every rank holds the whole round in seed order. The update is then the same
computation on every rank, from the same weights on the same data; the gradients are still averaged
over the ranks before each optimiser step, so the ranks stay identical even where backward kernels are
not bitwise deterministic (GPU atomics): every rank applies the same all-reduced gradient. Rank 0 writes
checkpoints and logs. With one process the run is unchanged.

A training loop is ``while not run.done: episodes = run.collect(); ...update...; run.end_round(metrics)``.
The update (every forward pass of the model, and of copies of it such as PPO's reference policy, from the end of
`collect` to the start of `end_round`) runs under ``--bf16`` autocast as the offline trainers' losses do
(`common.trainer.autocast_context`: bf16 on CUDA with --dtype fp32); rollouts and evaluations do not.
`end_round` logs the round at step r (rounds done), then, with ``--eval-every N``, evaluates the model
when r is a positive multiple of N or the last round (`common.evaluation`), then saves when due
(every ``--save-every`` rounds, ``--save-minutes`` after the last save, at the end): every row up to a
checkpoint's round is in metrics.jsonl before the checkpoint is written. The Python API's callbacks
(`lmrl_algos.callbacks`) get each round's row (``on_step``) and each evaluation (``on_eval``); one that
asks to stop ends the run after that round, evaluated and saved as at the end of ``--time-budget``.

The policy keeps its KV cache across turns and records the token ids it generated per action
(``info["behaviour"]["action_tokens"]``); the trainers build their MDP with
``use_action_tokens=True``, so they train on exactly the sampled tokens.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

import lmrl_envs
from lmrl_algos import checkpoint
from lmrl_algos.callbacks import CallbackList
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.distributed import agree, init_distributed, resolve_device
from lmrl_algos.common.evaluation import TrainingEvaluator
from lmrl_algos.common.logging import MetricsLogger
from lmrl_algos.common.trainer import (
    autocast_context,
    canonical_env_id,
    check_finite,
    check_inputs,
    check_lora,
    check_out,
    in_memory_inputs,
    load_episodes,
    make_optimizer,
    seed_everything,
    setup_model,
)
from lmrl_algos.policy import LMPolicy

__all__ = ["OnlineRun", "UpdatePrecision"]


class UpdatePrecision:
    """The context of an online run's forward passes (`lmrl_algos.models.LMWithHeads.forward_context`): while
    `updating`, `common.trainer.autocast_context` (--bf16: bf16 autocast on CUDA with --dtype fp32), else none.

    `OnlineRun` sets `updating` from the end of `collect` to the start of `end_round`: a round's scoring and losses
    run as the offline trainers' losses do, its rollouts and evaluations unchanged. A copy of the model made with
    `copy.deepcopy` (PPO's reference policy) shares the switch.
    """

    def __init__(self, device: torch.device, cfg):
        self.device, self.cfg = device, cfg
        self.updating = False
        """Whether a round's update is running."""

    def __call__(self):
        return autocast_context(self.device, self.cfg) if self.updating else contextlib.nullcontext()

    def __deepcopy__(self, memo):
        return self


class OnlineRun:
    """Model, optimiser, envs, logger and resume state of an online run.

    `model`, `tokenizer`, `episodes` and `callbacks`: the Python API's inputs (see `lmrl_algos.train`); the
    episodes take the place of --data (the tiny model's tokenizer texts, PPO's ``--bc-weight`` batches, ArCHer's
    warm start).
    """

    def __init__(self, name: str, cfg, head_kwargs: dict, *, model=None, tokenizer=None,
                 episodes: Iterable[lmrl_envs.Episode] | None = None, callbacks: Iterable[object] = ()):
        cfg.validate()
        check_inputs(cfg, model, tokenizer, episodes)
        self.callbacks = CallbackList(callbacks)
        self.name, self.cfg, self.head_kwargs = name, cfg, head_kwargs
        self.out = Path(cfg.out)
        check_out(cfg, name)
        check_lora(cfg, name)
        if not (cfg.init or cfg.data or cfg.resume or model is not None or episodes is not None):
            raise ConfigError(f"{name}: pass --init (a BC checkpoint) or --data (to build --model tiny's tokenizer); "
                              "in Python, model= and tokenizer= (or episodes=) do too")
        self.dist = init_distributed(cfg.device)
        self.callbacks.enabled = self.dist.is_main
        self.device = resolve_device(cfg.device, self.dist)
        seed_everything(cfg.seed)
        self.env_id = canonical_env_id(cfg.env)
        try:
            self.envs = [lmrl_envs.make(self.env_id) for _ in range(cfg.rollout_batch)]
        except Exception as e:
            raise ConfigError(f"--env {cfg.env}: cannot make the environment ({e})") from None
        self.episodes = load_episodes(cfg, episodes) if cfg.data or episodes is not None else []
        self.in_memory = in_memory_inputs(cfg, model, self.episodes if episodes is not None else None)
        texts = [t for ep in self.episodes for t in ep.texts] or None
        self.model, self.tok = setup_model(cfg, head_kwargs, texts, self.device, model=model, tokenizer=tokenizer)
        self.precision = UpdatePrecision(self.device, cfg)
        self.model.forward_context = self.precision
        self.opt, self.sched = make_optimizer(self.model, cfg)
        self.round, self.elapsed, self.resumed = 0, 0.0, {}
        if cfg.resume:
            try:
                self.resumed = checkpoint.restore(self.out, optimizer=self.opt, device=self.device)
            except checkpoint.CheckpointError as e:
                raise ConfigError(f"--resume: {e}") from None
            self.sched.load_state_dict(self.resumed["scheduler"])
            self.round, self.elapsed = self.resumed["round"], self.resumed["elapsed"]
        self.saved = self.round if cfg.resume else None
        """The round of the checkpoint on disk (None: none yet)."""
        self.stopped = False
        """Whether a callback stopped the run."""
        self.round_env_steps = 0
        """Environment steps (actions) of the last `collect`, logged as ``charts/env_steps``."""
        self.t0 = time.time() - self.elapsed
        self.t_saved = time.time()
        self.done = self.round >= cfg.steps or agree(self.dist, self.device, self.out_of_time())[0]
        """Whether the run has played its last round (--steps or --time-budget)."""
        self.log = MetricsLogger(self.out, total=cfg.steps, initial=self.round, enabled=self.dist.is_main, desc=name,
                                 report_to=cfg.report_to, config={"algo": name, **cfg.to_dict()})
        self.evaluator = TrainingEvaluator(cfg, name, self.env_id, self.tok, self.device, self.log,
                                           main=self.dist.is_main)

    def frozen_reference(self) -> tuple[torch.nn.Module, Callable[[], dict[str, torch.Tensor]]]:
        """The run's KL reference (PPO, GRPO, ArCHer): a frozen copy of the starting model, restored from the
        checkpoint's ``ref.*`` extra tensors on --resume. Returns it and the function giving those tensors for
        `end_round`."""
        ref = copy.deepcopy(self.model).requires_grad_(False).eval()
        if self.resumed.get("extra"):
            ref.load_state_dict({k.removeprefix("ref."): v for k, v in self.resumed["extra"].items()
                                 if k.startswith("ref.")})
        return ref, lambda: {"ref." + k: v for k, v in ref.state_dict().items()}

    def round_specs(self) -> list[lmrl_envs.EpisodeSpec]:
        """This round's episodes: --n-rollouts fresh env seeds (a subclass may repeat seeds, e.g. GRPO's groups)."""
        return lmrl_envs.specs_from_seeds(self.cfg.n_rollouts, self.cfg.seed * 1_000_003 + self.round * self.cfg.n_rollouts)

    def rollout_policy(self, specs: list[lmrl_envs.EpisodeSpec], mine: list[int]) -> LMPolicy:
        """The sampling policy that plays ``specs[i] for i in mine`` on this rank."""
        cfg = self.cfg
        return LMPolicy(self.model, self.tok, device=self.device, greedy=False, max_length=cfg.max_length,
                        max_new_tokens=cfg.max_new_tokens, seed=cfg.seed + self.round + 7919 * self.dist.rank,
                        record_tokens=True)

    def collect(self) -> list[lmrl_envs.Episode]:
        """Play this round's episodes (`round_specs`, sharded over the ranks) with the current model, sampling;
        every rank gets them all, in spec order. The update that follows runs under --bf16 autocast until
        `end_round`."""
        self.precision.updating = False
        rank, world = self.dist.rank, self.dist.world
        specs = self.round_specs()
        mine = list(range(rank, len(specs), world))
        policy = self.rollout_policy(specs, mine)
        self.model.eval()
        eps = lmrl_envs.rollout(self.envs, policy, specs=[specs[i] for i in mine]) if mine else []
        self.model.train()
        if world > 1:  # every rank gets the whole round, in seed order
            import torch.distributed as td

            shares: list[list[lmrl_envs.Episode]] = [[] for _ in range(world)]
            td.all_gather_object(shares, eps)
            eps = [shares[i % world][i // world] for i in range(len(specs))]
        self.precision.updating = True
        self.round_env_steps = sum(ep.length for ep in eps)
        return eps

    def optimizer_step(self, loss: torch.Tensor, model: torch.nn.Module | None = None,
                       optimizer: torch.optim.Optimizer | None = None) -> None:
        """Backward, clip the gradient norm (``--grad-clip``), optimiser and scheduler step; a nan or inf loss
        stops the run (`TrainingError`) before it touches the weights. Under torchrun the gradients are averaged
        over the ranks first (module docstring).

        `model` and `optimizer`: another network of the run with its own optimiser (ArCHer's critic), stepped the
        same way but without a scheduler; by default the run's model, optimiser and scheduler.
        """
        check_finite([loss.detach()], self.round + 1, self.out, self.saved, self.log)
        model, optimizer, sched = (self.model, self.opt, self.sched) if model is None else (model, optimizer, None)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.dist.enabled:
            import torch.distributed as td

            for p in model.parameters():
                if p.grad is not None:
                    td.all_reduce(p.grad)
                    p.grad /= self.dist.world
        if self.cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.cfg.grad_clip)
        optimizer.step()
        if sched is not None:
            sched.step()

    def end_round(self, metrics: dict, extra: Callable[[], dict[str, torch.Tensor] | None] | None = None) -> None:
        """Close a round: log `metrics` at its step, evaluate and save when due (module docstring), set `done`.

        `extra`: gives the algorithm's tensors saved beside the model (PPO: its reference policy; ArCHer: its
        critic and replay buffer); called only when a checkpoint is written.
        """
        cfg, evaluator = self.cfg, self.evaluator
        self.precision.updating = False
        self.round += 1
        metrics = {**metrics, "charts/env_steps": self.round_env_steps}  # this round's; summed over rounds in plots
        stop = self.callbacks.on_step(self.round, self.log.log(self.round, metrics))
        self.log.advance()
        out_of_time, save_by_time, self.stopped = agree(
            self.dist, self.device, self.out_of_time(),
            cfg.save_minutes > 0 and time.time() - self.t_saved >= 60 * cfg.save_minutes, stop)
        self.done = self.round >= cfg.steps or out_of_time or self.stopped
        eval_due = evaluator.due(self.round) or (self.done and evaluator.final_due(self.round))
        stop = self.callbacks.on_eval(self.round, evaluator.evaluate(self.round, self.model)) if eval_due else False
        if evaluator.scheduled(self.round) and not self.done and agree(self.dist, self.device, stop)[0]:
            self.done = self.stopped = True  # asked by rank 0's callbacks, agreed by every rank
        if self.round % cfg.save_every == 0 or self.done or save_by_time:
            self.save(extra)

    def save(self, extra: Callable[[], dict[str, torch.Tensor] | None] | None = None) -> None:
        self.elapsed = time.time() - self.t0
        self.saved, self.t_saved = self.round, time.time()
        if self.dist.is_main:  # every rank holds the same weights (see the module docstring)
            self._write(extra() if extra is not None else None)
        if self.dist.enabled:  # as the offline save: a rank that left while rank 0 still wrote aborted at exit
            torch.distributed.barrier()  # under gloo ("terminate called without an active exception")

    def _write(self, extra: dict[str, torch.Tensor] | None) -> None:
        checkpoint.save(self.out, model=self.model, tokenizer=self.tok, optimizer=self.opt, extra=extra, state={
            "algo": self.name, "env_id": self.env_id, "config": self.cfg.to_dict(), "head_kwargs": self.head_kwargs,
            "step": self.round, "position": 0, "epoch": 0, "round": self.round, "elapsed": self.elapsed,
            "scheduler": self.sched.state_dict(), **({"in_memory": self.in_memory} if self.in_memory else {})})

    def out_of_time(self) -> bool:
        return self.cfg.time_budget is not None and time.time() - self.t0 >= self.cfg.time_budget

    def finish(self, summary: str) -> Path:
        self.precision.updating = False
        early = " (stopped by a callback)" if self.stopped and self.round < self.cfg.steps else ""
        self.log.summary(f"{self.name}: {self.round} rounds{early} in {time.time() - self.t0:.1f}s on {self.device}; "
                         f"{summary}; checkpoint {self.out / 'checkpoint'}")
        self.log.close()
        return self.out / "checkpoint"
