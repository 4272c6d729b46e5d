"""The shared training machinery: data and model set-up, and the offline loop (bc, %bc, mc, ilql).

An offline algorithm is a small `OfflineAlgorithm` subclass: which heads it needs, which episodes
it keeps, its loss on a batch, and what it does after an optimiser step. Everything else (checks,
tokenisation, data order, DDP, bf16, checkpoints, resume, logging, evaluation during training with
``--eval-every``: `common.evaluation`) lives here once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import random
import time
from pathlib import Path
from typing import Any

import torch

from lmrl_algos import checkpoint
from lmrl_algos.common.config import RESUMABLE, ConfigError, TrainConfig
from lmrl_algos.common.distributed import agree, init_distributed, resolve_device
from lmrl_algos.common.evaluation import TrainingEvaluator
from lmrl_algos.common.logging import MetricsLogger
from lmrl_algos.common.mdp import Segment, build_mdp, collate
from lmrl_algos.models import (
    LMWithHeads,
    add_lora,
    check_dtype_device,
    is_peft,
    load_adapter,
    load_model,
    load_pretrained,
)
from lmrl_envs import DatasetError, Episode, read_episodes

__all__ = ["LORA_ALGORITHMS", "OfflineAlgorithm", "TrainingError", "batch_indices", "canonical_env_id", "check_finite",
           "check_lora", "check_out", "load_episodes", "run_offline", "setup_model"]

LORA_ALGORITHMS = ("bc", "filtered_bc", "online_filtered_bc")
"""The algorithms that train LoRA adapters (``--lora-r``). MC and ILQL keep a frozen behaviour copy and a target
network of the whole model, and PPO a whole reference model, in their checkpoints; they may start (``--init``) from
a LoRA checkpoint, whose adapter is then merged into the model they train in full."""


class TrainingError(RuntimeError):
    """Training cannot go on (the loss became nan or inf); the message names the step and the kept checkpoint."""


def canonical_env_id(env: str) -> str:
    """``maze-fo`` -> ``maze-fo-v0`` via the registry; unregistered ids are kept as given."""
    try:
        from lmrl_envs import spec

        return spec(env).id
    except (KeyError, ValueError):
        return env


def load_episodes(cfg: TrainConfig) -> list[Episode]:
    """Read --data and check it is non-empty and recorded on --env."""
    if not cfg.data:
        raise ConfigError("--data is required: a JSONL file of lmrl_envs.Episode records")
    path = Path(cfg.data)
    if not path.is_file():
        raise ConfigError(f"--data {path}: no such file (generate one with `lmrl-data generate`)")
    try:
        episodes = list(read_episodes(path))
    except DatasetError as e:
        raise ConfigError(f"--data: {e}") from None
    if not episodes:
        raise ConfigError(f"--data {path}: the file holds no episodes")
    env = canonical_env_id(cfg.env)
    bad = {ep.env_id for ep in episodes} - {env}
    if bad:
        raise ConfigError(f"--data {path} holds episodes of {sorted(bad)} but --env is {env}; pass the matching --env")
    return episodes


def _same_setting(name: str, started: Any, now: Any) -> bool:
    """Whether a config value equals the one a run was started with (env ids canonical, paths absolute)."""
    if name == "env":
        return canonical_env_id(started) == canonical_env_id(now)
    if name in ("data", "init", "model") and started and now:
        if name == "model" and not (os.path.isdir(started) or os.path.isdir(now)):
            return started == now  # "tiny" or a Hub id, not a path
        return os.path.abspath(started) == os.path.abspath(now)
    return started == now


def check_out(cfg: TrainConfig, algo: str) -> None:
    """Check --out against --resume before any work.

    A fresh run needs an --out without a checkpoint. A resumed run needs one written by the same algorithm
    with the same settings, except the `RESUMABLE` fields (--steps, --time-budget, --device, ...); a
    mismatch is refused by flag name.
    """
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a directory")
    checkpoint.recover(out)
    found = (out / "checkpoint").exists()
    if found and not cfg.resume:
        raise ConfigError(f"--out {out} already holds a checkpoint; pass --resume to continue it or use a new --out")
    if not cfg.resume:
        return
    if not found:
        raise ConfigError(f"--resume: no checkpoint in {out}; leave out --resume to start the run")
    try:
        state = checkpoint.read_state(out)
    except checkpoint.CheckpointError as e:
        raise ConfigError(f"--resume: {e}") from None
    if state["algo"] != algo:
        raise ConfigError(f"--resume: {out} holds a {state['algo']} run, not {algo}; resume it with "
                          f"`lmrl-algos train {state['algo']} ... --resume`, or train {algo} in a new --out "
                          f"(--init {out} starts from its model)")
    started = state["config"]
    changed = [f"--{f.name.replace('_', '-')} {getattr(cfg, f.name)!r} (started with {started.get(f.name, f.default)!r})"
               for f in dataclasses.fields(cfg) if f.name not in (*RESUMABLE, "out")  # the run directory may move
               and not _same_setting(f.name, started.get(f.name, f.default), getattr(cfg, f.name))]
    if cfg.lr_schedule != "constant" and cfg.steps != started.get("steps"):
        changed.append(f"--steps {cfg.steps} (started with {started.get('steps')}; --lr-schedule {cfg.lr_schedule} "
                       "decays over --steps, so they cannot change)")
    if changed:
        allowed = ", ".join("--" + name.replace("_", "-") for name in RESUMABLE if name != "resume")
        raise ConfigError(f"--resume: {out} was started with other settings: {'; '.join(changed)}. Pass the values "
                          f"it was started with (only {allowed} may change on --resume), or use a new --out")


def check_lora(cfg: TrainConfig, algo: str) -> None:
    """Refuse ``--lora-r`` for an algorithm that cannot train adapters (`LORA_ALGORITHMS`)."""
    if cfg.lora_r and algo not in LORA_ALGORITHMS:
        raise ConfigError(f"--lora-r: {algo} trains the whole model (it keeps full copies of it: a frozen behaviour "
                          f"model, a target or reference network); LoRA is supported by {', '.join(LORA_ALGORITHMS)}. "
                          f"Leave out --lora-r; --init may still be a LoRA checkpoint (its adapter is merged)")


def setup_model(cfg: TrainConfig, head_kwargs: dict[str, Any], texts: list[str] | None, device) -> tuple:
    """Build ``(LMWithHeads, tokenizer)`` from --resume checkpoint, --init checkpoint or --model (and apply
    --cpu-threads, --dtype, --lora-r and --gradient-checkpointing). A checkpoint is verified first
    (`checkpoint.verify`: whole, finite weights).

    LoRA: --resume continues the checkpoint's adapter; an --init checkpoint's adapter is merged into its model
    (a LoRA run then adds fresh adapters, a full run trains the merged model)."""
    from transformers import AutoTokenizer

    if cfg.cpu_threads:
        torch.set_num_threads(cfg.cpu_threads)
    check_dtype_device(cfg.dtype, device)
    env = canonical_env_id(cfg.env)
    source = Path(cfg.out) / "checkpoint" if cfg.resume else (Path(cfg.init) if cfg.init else None)
    if source is None:
        lm, tok = load_model(cfg.model, texts, seed=cfg.seed, dtype=cfg.dtype)
        return LMWithHeads(_adapt(lm, cfg), **head_kwargs).to(device), tok
    flag = "--resume" if cfg.resume else "--init"
    try:
        ckpt = checkpoint.verify(source)
        state = checkpoint.read_state(ckpt)
        if state["env_id"] != env:
            raise ConfigError(f"{flag} {source}: checkpoint is for {state['env_id']}, but --env is {env}")
        tok = AutoTokenizer.from_pretrained(ckpt / "model")
        lm = load_pretrained(ckpt / "model", cfg.dtype)
        if (ckpt / checkpoint.ADAPTER).is_dir():
            lm = load_adapter(lm, ckpt / checkpoint.ADAPTER, trainable=cfg.resume)
            if not cfg.resume:
                lm = lm.merge_and_unload()
    except (checkpoint.CheckpointError, OSError) as e:
        raise ConfigError(f"{flag}: {e}") from None
    model = LMWithHeads(_adapt(lm, cfg), **head_kwargs).to(device)
    if (ckpt / "heads.safetensors").exists():  # --init: the heads this algorithm shares with it; --resume: all
        from safetensors.torch import load_file

        heads = load_file(ckpt / "heads.safetensors", device=str(device))
        own = model.head_state_dict()
        model.load_state_dict({k: v for k, v in heads.items() if k in own and own[k].shape == v.shape}, strict=False)
    return model, tok


def _adapt(lm: torch.nn.Module, cfg: TrainConfig) -> torch.nn.Module:
    """Add fresh LoRA adapters (--lora-r, unless `lm` has them) and turn on --gradient-checkpointing."""
    if cfg.lora_r and not is_peft(lm):
        lm = add_lora(lm, r=cfg.lora_r, alpha=cfg.lora_alpha, dropout=cfg.lora_dropout,
                      target_modules=cfg.lora_target_modules)
    if cfg.gradient_checkpointing:
        hf = lm.get_base_model() if is_peft(lm) else lm
        # non-reentrant: the adapters get gradients although the (frozen) embeddings' outputs need none
        if hasattr(hf, "activation_checkpointing_enable"):  # transformers >= 5 (the old name is deprecated)
            hf.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            hf.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return lm


def check_finite(losses: list[torch.Tensor], step: int, out: Path, saved: int | None, log: MetricsLogger) -> None:
    """Raise `TrainingError` if one of `losses` (those of the steps up to `step`) is nan or inf.

    Called before the loop logs, evaluates or saves, so a diverged model is never written; `saved`
    is the step of the checkpoint on disk (None: none yet). `log` is closed first (its progress bar
    ends its line before the error is printed).
    """
    if not losses:
        return
    finite = torch.isfinite(torch.stack([x.float() for x in losses]))
    if bool(finite.all()):
        return
    log.close()
    first = int((~finite).nonzero()[0])
    bad = step - len(losses) + 1 + first
    kept = (f"the last good checkpoint (step {saved}) is kept in {out / 'checkpoint'}" if saved is not None
            else "no checkpoint was written")
    raise TrainingError(f"the loss became {float(losses[first])} at step {bad}; training stopped and {kept}. "
                        "Train again in a new --out with a lower --lr (or --grad-clip), or check the data and the "
                        "checkpoint it started from")


def batch_indices(n: int, seed: int, position: int, size: int) -> list[int]:
    """`size` indices of a stream of per-epoch permutations of range(n), from stream `position`."""
    out = []
    while len(out) < size:
        epoch, offset = divmod(position, n)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch)).tolist()
        take = perm[offset:offset + size - len(out)]
        out += take
        position += len(take)
    return out


class OfflineAlgorithm:
    """Hooks of an offline algorithm; subclasses set `name`, `config_cls` and implement `loss`."""

    name = "offline"
    config_cls = TrainConfig

    def head_kwargs(self, cfg) -> dict[str, Any]:
        return {}

    def select(self, episodes: list[Episode], cfg) -> list[Episode]:
        return episodes

    def setup(self, model: LMWithHeads, cfg) -> None:
        """Called once the model exists (e.g. ILQL builds its target network)."""

    def loss(self, model, batch: dict[str, torch.Tensor], cfg, denom: float) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def after_step(self, model: LMWithHeads, cfg) -> None:
        """Called after each optimiser step (e.g. Polyak averaging)."""

    def decoding_model(self, model: LMWithHeads) -> torch.nn.Module:
        """The module the policy decodes with when the run is evaluated (``--eval-every``); default `model`.

        An algorithm whose policy is not the trained model itself (e.g. a frozen behaviour copy plus
        target Q heads) returns that module here.
        """
        return model

    def extra_state(self) -> dict[str, torch.Tensor]:
        return {}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        pass


def _autocast(device: torch.device, cfg: TrainConfig):
    if device.type == "cuda" and cfg.bf16 and cfg.dtype == "fp32":  # weights loaded in bf16/fp16 need no autocast
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """The multiple of --lr used by optimiser step `step` (0-based): linear warm-up over --warmup-steps, then
    constant, or a cosine from 1 to 0 over the remaining steps up to --steps.

    Example:
        >>> cfg = TrainConfig(env="maze-fo", out="x", steps=10, warmup_steps=2, lr_schedule="cosine")
        >>> [round(lr_factor(s, cfg), 2) for s in (0, 1, 2, 6, 9)]
        [0.5, 1.0, 1.0, 0.5, 0.04]
    """
    warm = cfg.warmup_steps
    if step < warm:
        return (step + 1) / warm
    if cfg.lr_schedule == "constant":
        return 1.0
    done = (step - warm) / max(1, cfg.steps - warm)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, done)))


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig):
    """AdamW (0.9, 0.95, eps 1e-8) with the learning rate of `lr_factor` (warm-up, then --lr-schedule)."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    return opt, sched


def quiet_transformers() -> None:
    """No per-save progress bars from transformers."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def seed_everything(seed: int) -> None:
    quiet_transformers()
    random.seed(seed)
    torch.manual_seed(seed)


def run_offline(algo: OfflineAlgorithm, cfg: TrainConfig) -> Path:
    """Train `algo` on --data; returns the checkpoint directory."""
    cfg.validate()
    out = Path(cfg.out)
    check_out(cfg, algo.name)
    check_lora(cfg, algo.name)
    dist = init_distributed(cfg.device)
    device = resolve_device(cfg.device, dist)
    seed_everything(cfg.seed)
    episodes = algo.select(load_episodes(cfg), cfg)
    if not episodes:
        raise ConfigError(f"{algo.name}: no episodes left after filtering; check the data or the filter flags")
    texts = [t for ep in episodes for t in ep.texts]
    model, tok = setup_model(cfg, algo.head_kwargs(cfg), texts, device)
    max_length = min(cfg.max_length, getattr(model.lm.config, "n_positions", cfg.max_length))
    segments = build_mdp(episodes, tok, gamma=cfg.gamma, max_length=max_length)
    algo.setup(model, cfg)
    opt, sched = make_optimizer(model, cfg)
    step, position, elapsed = 0, 0, 0.0
    if cfg.resume:
        try:
            state = checkpoint.load_into(out, optimizer=opt, restore_rng=True, device=device)
        except checkpoint.CheckpointError as e:
            raise ConfigError(f"--resume: {e}") from None
        sched.load_state_dict(state["scheduler"])
        step, position, elapsed = state["step"], state["position"], state["elapsed"]
        algo.load_extra_state(state.get("extra", {}))
    saved = step if cfg.resume else None
    train_model = model
    if dist.enabled:
        train_model = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
    env = canonical_env_id(cfg.env)

    def save():
        if dist.is_main:
            checkpoint.save(out, model=model, tokenizer=tok, optimizer=opt, extra=algo.extra_state(), state={
                "algo": algo.name, "env_id": env, "config": cfg.to_dict(), "head_kwargs": algo.head_kwargs(cfg),
                "step": step, "position": position, "epoch": position // len(segments), "round": 0,
                "elapsed": elapsed, "scheduler": sched.state_dict()})
        if dist.enabled:
            torch.distributed.barrier()

    log = MetricsLogger(out, total=cfg.steps, initial=step, enabled=dist.is_main, desc=algo.name,
                        report_to=cfg.report_to, config={"algo": algo.name, **cfg.to_dict()})
    evaluator = TrainingEvaluator(cfg, algo.name, env, tok, device, log, main=dist.is_main, max_length=max_length)
    tokens, total_tokens, t_log, losses = 0, 0, time.time(), []
    t_session = t_saved = time.time()
    t0 = time.time() - elapsed
    model.train()
    while step < cfg.steps:
        idx = batch_indices(len(segments), cfg.seed, position, cfg.batch_size)
        position += cfg.batch_size
        chosen: list[Segment] = [segments[i] for i in idx]
        denom = max(1.0, float(sum(sum(s.action_mask[1:]) for s in chosen))) / dist.world
        local = chosen[dist.rank::dist.world]
        cpu_batch = collate(local, tok.pad_token_id)
        n_tok = int(cpu_batch["attention_mask"].sum()) * dist.world  # counted on the CPU copy: no device sync
        tokens, total_tokens = tokens + n_tok, total_tokens + n_tok
        batch = {k: v.to(device, non_blocking=True) for k, v in cpu_batch.items()}
        with _autocast(device, cfg):
            loss, metrics = algo.loss(train_model, batch, cfg, denom)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            metrics["charts/grad_norm"] = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        algo.after_step(model, cfg)
        step += 1
        losses.append(loss.detach())  # metrics stay tensors until a log step (one sync per log, not per step)
        elapsed = time.time() - t0
        log.advance()
        out_of_time, save_by_time = agree(dist, device, cfg.time_budget is not None and elapsed >= cfg.time_budget,
                                          cfg.save_minutes > 0 and time.time() - t_saved >= 60 * cfg.save_minutes)
        last = step == cfg.steps or out_of_time
        log_due = step % cfg.log_every == 0 or step == cfg.steps
        eval_due = evaluator.due(step) or (last and evaluator.final_due(step))
        save_due = step % cfg.save_every == 0 or last or save_by_time
        if log_due or eval_due or save_due:
            check_finite(losses, step, out, saved, log)
            del losses[:-cfg.log_every]  # checked; the last --log-every are kept for the summary
        if log_due:
            now = time.time()
            metrics.update({"losses/total": loss.detach(), "charts/lr": sched.get_last_lr()[0],
                            "charts/tokens_per_s": tokens / max(now - t_log, 1e-9), "charts/epoch": position / len(segments)})
            log.log(step, metrics)
            tokens, t_log = 0, now
        if eval_due:  # before the save: the rows up to a checkpoint's step are all in metrics.jsonl when it is written
            evaluator.evaluate(step, algo.decoding_model(model))
        if save_due:
            save()
            saved, t_saved = step, time.time()
        if out_of_time:
            break
    recent = [float(x) for x in losses[-cfg.log_every:]] or [math.nan]
    log.summary(f"{algo.name}: {step} steps in {elapsed:.1f}s on {device} ({len(episodes)} episodes, "
                f"{len(segments)} segments), {total_tokens / max(time.time() - t_session, 1e-9):.0f} tokens/s, "
                f"final loss {sum(recent) / len(recent):.4f}, checkpoint {out / 'checkpoint'}")
    log.close()
    return out / "checkpoint"
