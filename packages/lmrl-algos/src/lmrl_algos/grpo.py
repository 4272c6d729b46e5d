"""GRPO, RLOO and GiGPO (online): group-relative advantages, no critic; one implementation, three defaults.

Each round plays ``n_rollouts = groups x group_size`` episodes: the G = `group_size` episodes of a group start
from the same state (the same env seed) and sample independently. With R_i the return of episode i of a group:

* ``--advantage grpo`` (GRPO, DeepSeekMath): ``A_i = (R_i - mean R) / (std R + 1e-6)``, std with n - 1 (0 when
  the group's returns are all equal);
* ``--advantage rloo`` (RLOO): ``A_i = R_i - mean_{j != i} R_j``, the leave-one-out baseline, not scaled.

GiGPO (arXiv 2505.10978) adds a step-level advantage: the steps of a group's episodes whose history before the
action is the same text (the same texts from ``context_start``: the state the policy saw, its "anchor state")
form a step group, across episodes and within one (a revisited state); each step's discounted return from that
step, ``R_k = sum_{t >= k} gamma^(t - k) r_t`` (gamma per action, no bootstrap), is compared within its step
group by the same estimator (0 in a group of one). Every token of action k of episode i gets

    A = A_i + step_weight * A_step(i, k)

(``gigpo``: step_weight 1; ``grpo`` / ``rloo``: 0, the episode advantage alone). The round is scored once with
the model (old log-probs) and, when ``kl_coef > 0``, with a frozen copy of the initial model (pi_ref); then
`epochs` passes of minibatches minimise, averaged over the minibatch's action tokens,

    -min(ratio A, clip(ratio, 1 - clip, 1 + clip) A) + kl_coef * (exp(d) - d - 1),   d = log pi_ref - log pi

with ratio = pi / pi_old of the sampled token: the clipped surrogate and the k3 estimator of KL(pi || pi_ref) in
the loss (as GRPO), where PPO puts its KL in the reward. The tokens are the ids the policy sampled
(``build_mdp(..., use_action_tokens=True)``). None of the three is in the LMRL-Gym paper.

Sampling: `LMPolicy` seeds an episode's stream from the policy seed and the episode's env seed, which a group
shares; here episode i of the round samples from stream ``env_seed * group_size + member`` instead (passed to
`LMPolicy.begin_episode`), so a group's episodes differ while its env states agree, and the episodes depend on
neither the rollout batch nor the number of processes.

Example:
    $ lmrl-algos train gigpo --env maze-fo-v0 --init runs/bc --out runs/gigpo --preset maze --steps 50

    >>> group_advantages([3.0, 0.0, 0.0], "rloo")
    [3.0, -1.5, -1.5]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import torch

import lmrl_envs
from lmrl_algos.bc import action_positions
from lmrl_algos.common.config import ConfigError, OnlineConfig
from lmrl_algos.common.mdp import action_tokens_of, build_mdp, collate, encode_pieces
from lmrl_algos.common.online import OnlineRun
from lmrl_algos.common.trainer import batch_indices
from lmrl_algos.mc import gather
from lmrl_algos.policy import LMPolicy

__all__ = ["GRPOConfig", "GiGPOConfig", "RLOOConfig", "action_advantages", "clipped_updates", "group_advantages",
           "grpo_loss", "step_returns", "token_logp", "train"]

ADVANTAGES = ("grpo", "rloo")
"""The values of ``--advantage``."""


@dataclass(frozen=True)
class GRPOConfig(OnlineConfig):
    """GRPO: G rollouts per start state, episode advantage (R - mean) / std within the group, clipped ratio, KL."""

    group_size: int = 8
    """Episodes per group (G): they share the env seed (start state) and sample independently; --n-rollouts must be
    a multiple of it (groups per round = n_rollouts / G)."""
    advantage: str = "grpo"
    """How a return is compared within its group: grpo ((R - mean) / (std + 1e-6)) or rloo (R - mean of the
    others)."""
    step_weight: float = 0.0
    """Weight of GiGPO's step-level advantage (steps from the same history text across the group, compared by
    their discounted returns from that step); 0: off."""
    gamma: float = 0.95
    """Discount per action (env step) of the step-level returns (GiGPO: 0.95); unused when --step-weight is 0."""
    epochs: int = 1
    """Passes over each round's data (minibatches of --batch-size segments)."""
    clip: float = 0.2
    """Policy ratio clip range."""
    kl_coef: float = 0.01
    """Weight of the k3 KL estimate to the initial policy in the loss (0: off, and no reference copy is kept)."""

    def validate(self) -> None:
        super().validate()
        if self.group_size < 2:
            raise ConfigError(f"--group-size must be >= 2 (a group compares its episodes), got {self.group_size}")
        if self.n_rollouts % self.group_size:
            raise ConfigError(f"--n-rollouts ({self.n_rollouts}) must be a multiple of --group-size "
                              f"({self.group_size})")
        if self.advantage not in ADVANTAGES:
            raise ConfigError(f"--advantage must be one of {', '.join(ADVANTAGES)}, got {self.advantage!r}")
        if self.epochs < 1:
            raise ConfigError("--epochs must be >= 1")
        for name in ("step_weight", "clip", "kl_coef"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 0")


@dataclass(frozen=True)
class RLOOConfig(GRPOConfig):
    """RLOO: GRPO with the leave-one-out baseline R - mean of the group's other returns (no std)."""

    advantage: str = "rloo"


@dataclass(frozen=True)
class GiGPOConfig(GRPOConfig):
    """GiGPO: GRPO's episode advantage + step_weight x a step advantage among the group's steps from the same history."""

    step_weight: float = 1.0


NAMES = {GRPOConfig: "grpo", RLOOConfig: "rloo", GiGPOConfig: "gigpo"}
"""Config class -> algorithm name."""


def group_advantages(returns: Sequence[float], kind: str) -> list[float]:
    """Each return relative to its group: grpo ``(R - mean) / (std + 1e-6)`` (std with n - 1), rloo ``R - mean of
    the others``; 0 for a group of one.

    Example:
        >>> [round(a, 4) for a in group_advantages([2.0, 0.0, 1.0], "grpo")]
        [1.0, -1.0, 0.0]
    """
    n = len(returns)
    if n < 2:
        return [0.0] * n
    total = sum(returns)
    if kind == "rloo":
        return [r - (total - r) / (n - 1) for r in returns]
    mean = total / n
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1))
    return [(r - mean) / (std + 1e-6) for r in returns]


def step_returns(rewards: Sequence[float], gamma: float) -> list[float]:
    """The discounted return from each step: ``R_k = r_k + gamma R_{k+1}``.

    Example:
        >>> step_returns([0.0, -1.0, -1.0], 0.5)
        [-0.75, -1.5, -1.0]
    """
    out, g = [0.0] * len(rewards), 0.0
    for k in range(len(rewards) - 1, -1, -1):
        g = rewards[k] + gamma * g
        out[k] = g
    return out


def action_advantages(episodes: Sequence[lmrl_envs.Episode], *, group_size: int, kind: str, step_weight: float,
                      gamma: float) -> list[list[float]]:
    """The advantage of each action of each episode (module docstring): episode advantage within its group
    (``episodes[g * group_size:(g + 1) * group_size]``) plus `step_weight` x the step advantage within its step
    group (the group's steps with the same history texts before the action)."""
    if len(episodes) % group_size:
        raise ValueError(f"{len(episodes)} episodes do not split into groups of {group_size}")
    out: list[list[float]] = []
    for g in range(0, len(episodes), group_size):
        group = episodes[g:g + group_size]
        ep_adv = group_advantages([ep.total_return for ep in group], kind)
        advs = [[a] * len(ep.rewards) for a, ep in zip(ep_adv, group, strict=True)]
        if step_weight:
            steps: dict[tuple[str, ...], list[tuple[int, int, float]]] = {}
            for i, ep in enumerate(group):
                rets = step_returns(ep.rewards, gamma)
                for k, (s, a) in enumerate(zip(ep.context_start, ep.action_indices, strict=True)):
                    steps.setdefault(tuple(ep.texts[s:a]), []).append((i, k, rets[k]))
            for members in steps.values():
                for (i, k, _), adv in zip(members, group_advantages([r for *_, r in members], kind), strict=True):
                    advs[i][k] += step_weight * adv
        out += advs
    return out


def grpo_loss(logp, old_logp, adv, mask, *, clip, kl_coef=0.0, ref_logp=None, denom):
    """Clipped surrogate + ``kl_coef`` x k3 KL to pi_ref on equal-shape tensors (B, T) or (N,); returns
    ``(loss, parts)``.

    Example:
        >>> one = torch.ones(2)
        >>> loss, _ = grpo_loss(torch.log(torch.tensor([0.5, 0.5])), torch.log(torch.tensor([0.25, 0.5])),
        ...                     torch.tensor([1.0, -1.0]), one, clip=0.2, denom=2.0)
        >>> round(loss.item(), 4)                   # (-min(2, 1.2) + 1) / 2
        -0.1
    """
    ratio = torch.exp(logp - old_logp)
    pg = torch.maximum(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip))
    loss = (pg * mask).sum() / denom
    n = mask.sum().clamp(min=1)
    parts = {"losses/policy": loss.item(),
             "charts/clip_frac": float((((ratio.detach() - 1).abs() > clip).float() * mask).sum() / n),
             "charts/approx_kl": float(((old_logp - logp.detach()) * mask).sum() / n)}
    if kl_coef:
        d = ref_logp - logp
        kl = ((torch.exp(d) - d - 1) * mask).sum() / denom
        loss = loss + kl_coef * kl
        parts["losses/kl"] = kl.item()
    return loss, parts


class _GroupPolicy(LMPolicy):
    """`LMPolicy` whose episodes sample from the streams given in spec order, not from their env seeds (which the
    episodes of a group share). `lmrl_envs.rollout` starts the specs in order, calling `begin_episode` as each
    starts; the seed it passes is checked against the expected one."""

    def __init__(self, *args, streams: Sequence[tuple[int, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self._streams = deque(streams)

    def begin_episode(self, slot: int, seed: int, env=None) -> None:
        expected, stream = self._streams.popleft()
        if seed != expected:
            raise RuntimeError(f"episode with env seed {seed} started where {expected} was expected: lmrl_envs.rollout "
                               "no longer starts the specs in order")
        super().begin_episode(slot, stream, env)


class _GroupRun(OnlineRun):
    """`OnlineRun` whose rounds are groups: G episodes per env seed, sampling streams distinct within a group."""

    def round_specs(self) -> list[lmrl_envs.EpisodeSpec]:
        """This round's groups: G episodes each of seeds ``seed * 1_000_003 + round * groups + g``."""
        cfg = self.cfg
        groups = cfg.n_rollouts // cfg.group_size
        first = cfg.seed * 1_000_003 + self.round * groups
        return [lmrl_envs.EpisodeSpec(first + g) for g in range(groups) for _ in range(cfg.group_size)]

    def rollout_policy(self, specs: list[lmrl_envs.EpisodeSpec], mine: list[int]) -> LMPolicy:
        """A policy whose sampling stream is the episode's seed and its member index, so a group's episodes differ."""
        cfg = self.cfg
        streams = [(specs[i].seed, specs[i].seed * cfg.group_size + i % cfg.group_size) for i in mine]
        return _GroupPolicy(self.model, self.tok, device=self.device, greedy=False, max_length=cfg.max_length,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed, record_tokens=True, streams=streams)


def token_logp(model, batch) -> torch.Tensor:
    """log pi of each action token of the batch, (N,) in the order of ``batch["mask"].bool()``."""
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], select=action_positions(batch))
    return gather(torch.log_softmax(out["logits"].float(), -1), batch["targets"][batch["mask"].bool()])


def clipped_updates(run: OnlineRun, segs: list, rows: list[dict[str, torch.Tensor]], ref, pad: int) -> dict:
    """The round's policy update (GRPO, ArCHer): ``--epochs`` passes over the segments in minibatches of
    ``--batch-size``, each minimising `grpo_loss` with the old log-probs (``rows[i]["logp"]``), per-token
    advantages (``"adv"``) and, when `ref` is not None, the reference's log-probs (``"ref"``) of segment i.
    Returns the last minibatch's loss parts."""
    cfg, parts = run.cfg, {}
    for epoch in range(cfg.epochs):
        order = batch_indices(len(segs), cfg.seed + run.round, epoch * len(segs), len(segs))
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            batch = {k: v.to(run.device) for k, v in collate([segs[j] for j in idx], pad).items()}
            old, adv = (torch.cat([rows[j][k] for j in idx]) for k in ("logp", "adv"))
            ref_logp = torch.cat([rows[j]["ref"] for j in idx]) if ref is not None else None
            logp = token_logp(run.model, batch)
            loss, parts = grpo_loss(logp, old, adv, torch.ones_like(logp), clip=cfg.clip, kl_coef=cfg.kl_coef,
                                    ref_logp=ref_logp, denom=max(1.0, float(len(logp))))
            run.optimizer_step(loss)
    return parts


def _action_lengths(ep: lmrl_envs.Episode, tok) -> list[int]:
    """Tokens of each action as `build_mdp(..., use_action_tokens=True)` lays them out."""
    ids = action_tokens_of(ep) or encode_pieces(tok, [ep.texts[a] for a in ep.action_indices])
    return [len(p) for p in ids]


def train(cfg: GRPOConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train GRPO, RLOO or GiGPO (the config's class names it); returns the checkpoint directory. The keyword
    arguments: see `lmrl_algos.train`."""
    run = _GroupRun(NAMES[type(cfg)], cfg, {}, model=model, tokenizer=tokenizer, episodes=episodes,
                    callbacks=callbacks)
    ref, extra = run.frozen_reference() if cfg.kl_coef else (None, lambda: None)
    pad = run.tok.pad_token_id
    metrics: dict = {}
    while not run.done:
        episodes = run.collect()
        advs = action_advantages(episodes, group_size=cfg.group_size, kind=cfg.advantage,
                                 step_weight=cfg.step_weight, gamma=cfg.gamma)
        segs = build_mdp(episodes, run.tok, gamma=cfg.gamma, max_length=cfg.max_length, use_action_tokens=True)
        # score: old (and reference) log-probs of each segment's action tokens
        rows: list[dict[str, torch.Tensor]] = []
        with torch.no_grad():
            for i in range(0, len(segs), cfg.batch_size):
                batch = {k: v.to(run.device) for k, v in collate(segs[i:i + cfg.batch_size], pad).items()}
                sizes = batch["mask"].sum(1).long().tolist()
                logp = token_logp(run.model, batch).split(sizes)
                ref_logp = token_logp(ref, batch).split(sizes) if ref is not None else [None] * len(sizes)
                rows += [{"logp": a, "ref": b} for a, b in zip(logp, ref_logp, strict=True)]
        # every token of an action gets the action's advantage; an episode's tokens run through its segments
        token_adv = [torch.tensor([a for a, n in zip(adv, _action_lengths(ep, run.tok), strict=True)
                                   for _ in range(n)]) for adv, ep in zip(advs, episodes, strict=True)]
        offset = [0] * len(episodes)
        for seg, row in zip(segs, rows, strict=True):
            o, n = offset[seg.episode], len(row["logp"])
            row["adv"] = token_adv[seg.episode][o:o + n].to(run.device)
            offset[seg.episode] = o + n
        if offset != [len(t) for t in token_adv]:
            raise RuntimeError("the segments' action tokens do not match the episodes' actions")
        metrics = clipped_updates(run, segs, rows, ref, pad)
        returns = [ep.total_return for ep in episodes]
        groups = [returns[g:g + cfg.group_size] for g in range(0, len(returns), cfg.group_size)]
        metrics.update({"charts/return": sum(returns) / len(returns),
                        "charts/success": sum(ep.success for ep in episodes) / len(episodes),
                        "charts/flat_groups": sum(len(set(g)) == 1 for g in groups) / len(groups),
                        "charts/adv_abs": float(torch.cat(token_adv).abs().mean())})
        if ref is not None:
            d = torch.cat([row["ref"] - row["logp"] for row in rows])
            metrics["charts/kl"] = float((torch.exp(d) - d - 1).mean())
        run.end_round(metrics, extra)
    return run.finish(f"last round return {metrics.get('charts/return', float('nan')):.3f}")
