"""The shared training machinery: data and model set-up, and the offline loop (bc, %bc, mc, ilql).

An offline algorithm is a small `OfflineAlgorithm` subclass: which heads it needs, which episodes
it keeps, its loss on a batch, and what it does after an optimiser step. Everything else (checks,
tokenisation, data order, DDP, bf16, checkpoints, resume, logging, evaluation during training with
``--eval-every``: `common.evaluation`, callbacks: `lmrl_algos.callbacks`) lives here once.

The Python API (`lmrl_algos.train`) may give the run an in-memory model and tokenizer instead of
``--model`` / ``--init``, episodes instead of ``--data``, and callbacks; `check_inputs` refuses the
contradictory combinations, `setup_model` prepares a given model as it prepares a loaded one, and the
checkpoint is the same (its ``state.json`` notes under ``in_memory`` what was given, the episodes with a
digest that a ``--resume`` must match).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from lmrl_algos import checkpoint
from lmrl_algos.callbacks import CallbackList
from lmrl_algos.common.config import RESUMABLE, ConfigError, TrainConfig
from lmrl_algos.common.distributed import agree, init_distributed, resolve_device
from lmrl_algos.common.evaluation import TrainingEvaluator
from lmrl_algos.common.logging import MetricsLogger
from lmrl_algos.common.mdp import Segment, build_mdp, collate
from lmrl_algos.models import (
    LMWithHeads,
    ModelError,
    add_lora,
    check_dtype_device,
    is_peft,
    load_model,
    ready_model,
    torch_dtype,
)
from lmrl_envs import DatasetError, Episode, read_episodes

__all__ = ["LORA_ALGORITHMS", "OfflineAlgorithm", "TrainingError", "adopt_model", "autocast_context", "batch_indices",
           "canonical_env_id", "check_finite", "check_inputs", "check_lora", "check_out", "episodes_digest", "in_memory_inputs",
           "load_episodes", "run_offline", "setup_model"]

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


def load_episodes(cfg: TrainConfig, episodes: Iterable[Episode] | None = None) -> list[Episode]:
    """Read --data, or take `episodes` (the Python API's in-memory data), and check it is non-empty and recorded
    on --env."""
    env = canonical_env_id(cfg.env)
    if episodes is not None:
        episodes = list(episodes)
        wrong = next((ep for ep in episodes if not isinstance(ep, Episode)), None)
        if wrong is not None:
            raise ConfigError(f"episodes=: expected lmrl_envs.Episode records, got a {type(wrong).__name__}")
        if not episodes:
            raise ConfigError("episodes=: no episodes given")
        bad = {ep.env_id for ep in episodes} - {env}
        if bad:
            raise ConfigError(f"episodes= holds episodes of {sorted(bad)} but the config's env is {env}; "
                              "pass the matching env")
        return episodes
    if not cfg.data:
        raise ConfigError("--data is required: a JSONL file of lmrl_envs.Episode records (from Python, "
                          "train(config, episodes=...) takes them in memory)")
    path = Path(cfg.data)
    if not path.is_file():
        raise ConfigError(f"--data {path}: no such file (generate one with `lmrl-data generate`)")
    try:
        episodes = list(read_episodes(path))
    except DatasetError as e:
        raise ConfigError(f"--data: {e}") from None
    if not episodes:
        raise ConfigError(f"--data {path}: the file holds no episodes")
    bad = {ep.env_id for ep in episodes} - {env}
    if bad:
        raise ConfigError(f"--data {path} holds episodes of {sorted(bad)} but --env is {env}; pass the matching --env")
    return episodes


def episodes_digest(episodes: Iterable[Episode]) -> str:
    """sha256 of the episodes' JSONL lines, in order: what a resumed run's in-memory episodes must match."""
    h = hashlib.sha256()
    for ep in episodes:
        h.update(ep.to_json().encode("utf-8") + b"\n")
    return h.hexdigest()


def check_inputs(cfg: TrainConfig, model, tokenizer, episodes) -> None:
    """Refuse the Python API's contradictory inputs (`lmrl_algos.train`) before any work.

    `model` and `tokenizer` go together and replace --model / --init: refused with --init, with a --model other
    than the default, and with --resume (the checkpoint's model and tokenizer are the run's: resume without
    them). `episodes` replace --data: refused with --data.
    """
    if (model is None) != (tokenizer is None):
        given, missing = ("model", "tokenizer") if tokenizer is None else ("tokenizer", "model")
        raise ConfigError(f"{given}= needs {missing}= as well: pass an in-memory causal LM and its tokenizer together")
    if model is not None:
        from transformers import PreTrainedModel

        if not isinstance(model, PreTrainedModel) or model.get_output_embeddings() is None:
            hint = (" (a peft model: pass its base model and set lora_r, or merge it first with merge_and_unload())"
                    if is_peft(model) else "")
            raise ConfigError(f"model= must be a transformers causal LM (a PreTrainedModel with an LM head, e.g. "
                              f"from AutoModelForCausalLM.from_pretrained), got {type(model).__name__}{hint}")
        if cfg.init:
            raise ConfigError(f"model= and init={cfg.init!r} both give the starting weights; set init=None to train "
                              "the given model, or leave out model= and tokenizer= to start from the checkpoint")
        if cfg.resume:
            raise ConfigError(f"model= with resume=True: the run continues from {Path(cfg.out) / 'checkpoint'}, whose "
                              "model and tokenizer replace the given ones; leave out model= and tokenizer= to resume "
                              "(the checkpoint holds them), or set resume=False and a new out to train the given model")
        default = next(f.default for f in dataclasses.fields(TrainConfig) if f.name == "model")
        if cfg.model != default:
            raise ConfigError(f"model= and model={cfg.model!r} in the config both name the model; leave the "
                              f"config's model at its default ({default!r}) when passing model=")
    if episodes is not None:
        if cfg.data:
            raise ConfigError(f"episodes= and data={cfg.data!r} both give the episodes; set data=None to train on the "
                              "given episodes")
        if isinstance(episodes, (str, os.PathLike)):
            raise ConfigError(f"episodes= takes lmrl_envs.Episode records, got the path {str(episodes)!r}; pass a "
                              "file as the config's data instead")


def in_memory_inputs(cfg: TrainConfig, model, episodes: list[Episode] | None) -> dict[str, Any]:
    """What the Python API gave the run, for the checkpoint's ``state.json`` (``in_memory``): the model's class and
    the episodes' count and `episodes_digest`; on --resume merged with what the run was started with, whose
    in-memory episodes must be given again, the same (`ConfigError` otherwise)."""
    given: dict[str, Any] = {}
    if model is not None:
        given["model"] = type(model).__name__
    if episodes is not None:
        given["episodes"] = {"count": len(episodes), "sha256": episodes_digest(episodes)}
    if not cfg.resume:
        return given
    started = checkpoint.read_state(cfg.out).get("in_memory", {})
    before = started.get("episodes")
    if before and given.get("episodes") != before:
        now = f"{len(episodes)} other episodes" if episodes is not None else "none"
        raise ConfigError(f"resume: {cfg.out} was started with {before['count']} in-memory episodes (sha256 "
                          f"{before['sha256'][:12]}...), got {now}; pass the same episodes, in the same order, as "
                          "episodes=, or train into a new out")
    return {**started, **given}


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


def setup_model(cfg: TrainConfig, head_kwargs: dict[str, Any], texts: list[str] | None, device, *,
                model=None, tokenizer=None) -> tuple:
    """Build ``(LMWithHeads, tokenizer)`` from --resume checkpoint, --init checkpoint, --model, or the in-memory
    `model` and `tokenizer` (`adopt_model`; the Python API, `check_inputs`), and apply --cpu-threads, --dtype,
    --lora-r and --gradient-checkpointing. A checkpoint is read by `checkpoint.load` (verified first: whole, finite
    weights; its errors become `ConfigError` naming the flag). A given model is used itself, not a copy: it is
    trained in place.

    LoRA: --resume continues the checkpoint's adapter; an --init checkpoint's adapter is merged into its model
    (a LoRA run then adds fresh adapters, a full run trains the merged model)."""
    if cfg.cpu_threads:
        torch.set_num_threads(cfg.cpu_threads)
    check_dtype_device(cfg.dtype, device)
    source = Path(cfg.out) / "checkpoint" if cfg.resume else (Path(cfg.init) if cfg.init else None)
    if source is None:
        if model is None:
            lm, tok = load_model(cfg.model, texts, seed=cfg.seed, dtype=cfg.dtype)
        else:
            lm, tok = adopt_model(model, tokenizer, cfg.dtype)
        built = LMWithHeads(_adapt(lm, cfg), **head_kwargs).to(device)
        if model is not None:
            _broadcast_from_main(built)
        return built, tok
    flag = "--resume" if cfg.resume else "--init"
    try:  # --init: the heads this algorithm shares with the checkpoint; --resume: all of them
        loaded = checkpoint.load(source, device=device, dtype=cfg.dtype, env_id=canonical_env_id(cfg.env),
                                 head_kwargs=head_kwargs, keep_adapter=cfg.resume, adapt=lambda lm: _adapt(lm, cfg))
    except (checkpoint.CheckpointError, OSError) as e:
        raise ConfigError(f"{flag}: {e}") from None
    return loaded.model, loaded.tokenizer


def adopt_model(lm, tok, dtype: str = "fp32") -> tuple:
    """An in-memory causal LM and its tokenizer made ready as `load_model` makes a loaded one: a pad token (added,
    and the embeddings resized, when the tokenizer has none), ``"\\n"`` a single token, weights in `dtype`
    (``fp32 | bf16 | fp16``). Changes `lm` and `tok` in place; `ConfigError` saying what to fix otherwise."""
    try:
        ready_model(lm, tok)
    except ModelError as e:
        raise ConfigError(f"tokenizer=: {e}") from None
    rows = lm.get_input_embeddings().weight.shape[0]
    if rows < len(tok):
        raise ConfigError(f"tokenizer= has {len(tok)} tokens but model='s embeddings only {rows} rows; call "
                          "model.resize_token_embeddings(len(tokenizer)) first")
    return lm.to(torch_dtype(dtype)), tok


def _broadcast_from_main(model: torch.nn.Module) -> None:
    """Under torchrun, give every process rank 0's weights of a given model (each process built its own: the
    online ranks stay identical only if they start so, and the value methods copy pi_beta before DDP syncs)."""
    import torch.distributed as td

    if td.is_available() and td.is_initialized() and td.get_world_size() > 1:
        for t in model.state_dict().values():
            td.broadcast(t, src=0)


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


def autocast_context(device: torch.device, cfg: TrainConfig):
    """The context the trainers' forward passes and losses run in (--bf16): bf16 autocast on CUDA with --dtype fp32,
    else none (on the CPU, and for weights loaded in bf16 or fp16). The offline loop wraps each loss in it, the online
    trainers each round's update (`common.online`).

    Example:
        >>> cfg = TrainConfig(env="maze-fo", out="x")
        >>> type(autocast_context(torch.device("cpu"), cfg)).__name__
        'nullcontext'
    """
    if device.type == "cuda" and cfg.bf16 and cfg.dtype == "fp32":
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


def run_offline(algo: OfflineAlgorithm, cfg: TrainConfig, *, model=None, tokenizer=None,
                episodes: Iterable[Episode] | None = None, callbacks: Iterable[object] = ()) -> Path:
    """Train `algo` on --data; returns the checkpoint directory.

    `model`, `tokenizer`, `episodes` and `callbacks`: the Python API's inputs (see `lmrl_algos.train`).
    """
    cfg.validate()
    check_inputs(cfg, model, tokenizer, episodes)
    hooks = CallbackList(callbacks)
    out = Path(cfg.out)
    check_out(cfg, algo.name)
    check_lora(cfg, algo.name)
    dist = init_distributed(cfg.device)
    hooks.enabled = dist.is_main
    device = resolve_device(cfg.device, dist)
    seed_everything(cfg.seed)
    data = load_episodes(cfg, episodes)
    given = in_memory_inputs(cfg, model, data if episodes is not None else None)
    episodes = algo.select(data, cfg)
    if not episodes:
        raise ConfigError(f"{algo.name}: no episodes left after filtering; check the data or the filter flags")
    texts = [t for ep in episodes for t in ep.texts]
    model, tok = setup_model(cfg, algo.head_kwargs(cfg), texts, device, model=model, tokenizer=tokenizer)
    max_length = min(cfg.max_length, getattr(model.lm.config, "n_positions", cfg.max_length))
    segments = build_mdp(episodes, tok, gamma=cfg.gamma, max_length=max_length)
    algo.setup(model, cfg)
    opt, sched = make_optimizer(model, cfg)
    step, position, elapsed = 0, 0, 0.0
    if cfg.resume:
        try:
            state = checkpoint.restore(out, optimizer=opt, device=device)
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
                "elapsed": elapsed, "scheduler": sched.state_dict(), **({"in_memory": given} if given else {})})
        if dist.enabled:
            torch.distributed.barrier()

    log = MetricsLogger(out, total=cfg.steps, initial=step, enabled=dist.is_main, desc=algo.name,
                        report_to=cfg.report_to, config={"algo": algo.name, **cfg.to_dict()})
    evaluator = TrainingEvaluator(cfg, algo.name, env, tok, device, log, main=dist.is_main, max_length=max_length)
    tokens, total_tokens, t_log, losses = 0, 0, time.time(), []
    t_session = t_saved = time.time()
    t0 = time.time() - elapsed
    stopped = False
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
        with autocast_context(device, cfg):
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
        log_due = step % cfg.log_every == 0 or step == cfg.steps
        stop = False
        if log_due:
            check_finite(losses, step, out, saved, log)
            now = time.time()
            metrics.update({"losses/total": loss.detach(), "charts/lr": sched.get_last_lr()[0],
                            "charts/tokens_per_s": tokens / max(now - t_log, 1e-9), "charts/epoch": position / len(segments)})
            stop = hooks.on_step(step, log.log(step, metrics))
            tokens, t_log = 0, now
        out_of_time, save_by_time, stopped = agree(
            dist, device, cfg.time_budget is not None and elapsed >= cfg.time_budget,
            cfg.save_minutes > 0 and time.time() - t_saved >= 60 * cfg.save_minutes, stop)
        last = step == cfg.steps or out_of_time or stopped
        eval_due = evaluator.due(step) or (last and evaluator.final_due(step))
        save_due = step % cfg.save_every == 0 or last or save_by_time
        if (eval_due or save_due) and not log_due:
            check_finite(losses, step, out, saved, log)
        if log_due or eval_due or save_due:
            del losses[:-cfg.log_every]  # checked; the last --log-every are kept for the summary
        # before the save: the rows up to a checkpoint's step are all in metrics.jsonl when it is written
        stop = hooks.on_eval(step, evaluator.evaluate(step, algo.decoding_model(model))) if eval_due else False
        if evaluator.scheduled(step) and not last and agree(dist, device, stop)[0]:  # every rank: rank 0 may stop
            last = stopped = save_due = True
        if save_due:
            save()
            saved, t_saved = step, time.time()
        if last:
            break
    recent = [float(x) for x in losses[-cfg.log_every:]] or [math.nan]
    early = " (stopped by a callback)" if stopped and step < cfg.steps else ""
    log.summary(f"{algo.name}: {step} steps{early} in {elapsed:.1f}s on "
                f"{device} ({len(episodes)} episodes, {len(segments)} segments), "
                f"{total_tokens / max(time.time() - t_session, 1e-9):.0f} tokens/s, "
                f"final loss {sum(recent) / len(recent):.4f}, checkpoint {out / 'checkpoint'}")
    log.close()
    return out / "checkpoint"
