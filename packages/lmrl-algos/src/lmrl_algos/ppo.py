"""PPO (online): value head on the policy trunk, token-level GAE over action tokens, KL to the BC policy.

Each round: roll out `n_rollouts` episodes in the real env (`lmrl_envs.rollout`, sampling); score
them with the current policy (log-probs, values) and the frozen initial policy (reference
log-probs); per action token the reward is the env reward (on the action's last token) minus
``kl_coef * (log pi - log pi_ref)``; GAE(gamma, lambda) runs over the episode's action tokens in
order (observation tokens are skipped, and segments of a chain are joined), advantages are whitened
over the round, returns = A + V. Then `epochs` passes of minibatches minimise

    -min(ratio A, clip(ratio, 1 - clip, 1 + clip) A)
    + value_coef * 0.5 max((V - R)^2, (V_old + clip(V - V_old, -value_clip, value_clip) - R)^2)
    + bc_weight * CE on a batch of --data (optional, "keeps the model in distribution").

Actions are trained as the token ids the policy sampled (recorded by `LMPolicy`, used through
``build_mdp(..., use_action_tokens=True)``), not re-tokenised from their text (the reference
re-tokenises, which can differ from the sampled ids and bias the ratio).

Example:
    >>> import torch
    >>> gae(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.5]), gamma=1.0, lam=1.0)[0].tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmrl_algos.bc import bc_loss
from lmrl_algos.common.config import ConfigError, OnlineConfig
from lmrl_algos.common.mdp import build_mdp, collate
from lmrl_algos.common.online import OnlineRun
from lmrl_algos.common.trainer import batch_indices
from lmrl_algos.mc import gather

__all__ = ["PPOConfig", "gae", "ppo_loss", "train"]


@dataclass(frozen=True)
class PPOConfig(OnlineConfig):
    """PPO (reference maze: lr 1e-6, lambda 0.95, gamma 0.99, clip 0.2, KL 0.1?, value coef 0.5)."""

    epochs: int = 4
    """Passes over each round's data."""
    lam: float = 0.95
    """GAE lambda."""
    kl_coef: float = 0.001
    """Weight of the per-token KL penalty to the initial policy in the reward."""
    clip: float = 0.2
    """Policy ratio clip range."""
    value_clip: float = 0.2
    """Value clip range around the rollout's values."""
    value_coef: float = 1.0
    """Weight of the value loss."""
    value_bias: float = -1.0
    """Initial bias of the Linear value head (reference: -1 maze, -4.1 wordle/20Q); its weight starts at 0."""
    bc_weight: float = 0.0
    """Weight of a BC loss on --data batches (0: off)."""

    def validate(self) -> None:
        super().validate()
        if self.epochs < 1:
            raise ConfigError("--epochs must be >= 1")
        if not 0 <= self.lam <= 1:
            raise ConfigError(f"--lam must be in [0, 1], got {self.lam}")
        for name in ("kl_coef", "clip", "value_clip", "value_coef", "bc_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 0")


def gae(rewards: torch.Tensor, values: torch.Tensor, *, gamma: float, lam: float):
    """GAE over one episode's action tokens in order (value after the last one = 0).

    Returns ``(advantages, returns)`` with returns = advantages + values.
    """
    adv = torch.zeros_like(rewards)
    last = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        nxt = values[t + 1] if t + 1 < len(rewards) else 0.0
        delta = rewards[t] + gamma * nxt - values[t]
        last = delta + gamma * lam * last
        adv[t] = last
    return adv, adv + values


def ppo_loss(logp, old_logp, adv, values, old_values, returns, mask, *, clip, value_clip, value_coef, denom):
    """Clipped surrogate + clipped value loss on (B, T) tensors; returns ``(loss, parts)``."""
    ratio = torch.exp(logp - old_logp)
    pg = torch.maximum(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip))
    v_clipped = old_values + (values - old_values).clamp(-value_clip, value_clip)
    vf = 0.5 * torch.maximum((values - returns) ** 2, (v_clipped - returns) ** 2)
    pg_loss, vf_loss = (pg * mask).sum() / denom, (vf * mask).sum() / denom
    n = mask.sum().clamp(min=1)
    return pg_loss + value_coef * vf_loss, {
        "losses/policy": pg_loss.item(), "losses/value": vf_loss.item(),
        "charts/clip_frac": float((((ratio.detach() - 1).abs() > clip).float() * mask).sum() / n),
        "charts/approx_kl": float(((old_logp - logp.detach()) * mask).sum() / n)}


def _logp_values(model, batch):
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    logp = gather(torch.log_softmax(out["logits"][:, :-1].float(), -1), batch["targets"])
    return logp, out["v"][:, :-1].float() if out["v"] is not None else None, out


def train(cfg: PPOConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train PPO; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    run = OnlineRun("ppo", cfg, {"v_head": True, "mlp": False, "v_bias": cfg.value_bias},
                    model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
    ref, extra = run.frozen_reference()
    bc_segments = build_mdp(run.episodes, run.tok, gamma=cfg.gamma, max_length=cfg.max_length) if cfg.bc_weight else []
    pad = run.tok.pad_token_id
    metrics: dict = {}
    while not run.done:
        episodes = run.collect()
        segs = build_mdp(episodes, run.tok, gamma=cfg.gamma, max_length=cfg.max_length, use_action_tokens=True)
        # score the rollouts: old log-probs and values, reference log-probs (one minibatch at a time)
        rows = []
        with torch.no_grad():
            for i in range(0, len(segs), cfg.batch_size):
                batch = {k: v.to(run.device) for k, v in collate(segs[i:i + cfg.batch_size], pad).items()}
                logp, values, _ = _logp_values(run.model, batch)
                ref_logp, _, _ = _logp_values(ref, batch)
                for b in range(batch["mask"].shape[0]):
                    m = batch["mask"][b].bool()
                    rows.append({"logp": logp[b][m], "values": values[b][m], "kl": (logp[b] - ref_logp[b])[m],
                                 "rewards": batch["rewards"][b][m]})
        # GAE per episode over its action tokens (segments joined in chain order)
        by_ep: dict[int, list[int]] = {}
        for j, s in enumerate(segs):
            by_ep.setdefault(s.episode, []).append(j)
        for idx in by_ep.values():
            r = torch.cat([rows[j]["rewards"] - cfg.kl_coef * rows[j]["kl"] for j in idx])
            v = torch.cat([rows[j]["values"] for j in idx])
            adv, ret = gae(r, v, gamma=cfg.gamma, lam=cfg.lam)
            o = 0
            for j in idx:
                n = len(rows[j]["values"])
                rows[j]["adv"], rows[j]["returns"] = adv[o:o + n], ret[o:o + n]
                o += n
        all_adv = torch.cat([row["adv"] for row in rows])
        mean, std = all_adv.mean(), all_adv.std().clamp(min=1e-8) if len(all_adv) > 1 else torch.tensor(1.0)
        for row in rows:
            row["adv"] = (row["adv"] - mean) / std
        # update
        for epoch in range(cfg.epochs):
            order = batch_indices(len(segs), cfg.seed + run.round, epoch * len(segs), len(segs))
            for i in range(0, len(order), cfg.batch_size):
                idx = order[i:i + cfg.batch_size]
                batch = {k: v.to(run.device) for k, v in collate([segs[j] for j in idx], pad).items()}
                m = batch["mask"].bool()
                fields = {k: torch.zeros_like(batch["mask"]) for k in ("old_logp", "old_values", "adv", "returns")}
                for b, j in enumerate(idx):
                    fields["old_logp"][b][m[b]] = rows[j]["logp"]
                    fields["old_values"][b][m[b]] = rows[j]["values"]
                    fields["adv"][b][m[b]] = rows[j]["adv"]
                    fields["returns"][b][m[b]] = rows[j]["returns"]
                logp, values, _ = _logp_values(run.model, batch)
                loss, metrics = ppo_loss(logp, fields["old_logp"], fields["adv"], values, fields["old_values"],
                                         fields["returns"], batch["mask"], clip=cfg.clip, value_clip=cfg.value_clip,
                                         value_coef=cfg.value_coef, denom=max(1.0, float(batch["mask"].sum())))
                if cfg.bc_weight and bc_segments:
                    pos = (run.round * cfg.epochs + epoch) * len(order) + i
                    bb = collate([bc_segments[k] for k in batch_indices(len(bc_segments), cfg.seed, pos,
                                                                         cfg.batch_size)], pad)
                    bb = {k: v.to(run.device) for k, v in bb.items()}
                    out = run.model(input_ids=bb["input_ids"], attention_mask=bb["attention_mask"])
                    bc = bc_loss(out["logits"][:, :-1], bb["targets"], bb["mask"], max(1.0, float(bb["mask"].sum())))
                    loss = loss + cfg.bc_weight * bc
                    metrics["losses/bc"] = bc.item()
                run.optimizer_step(loss)
        returns = [ep.total_return for ep in episodes]
        metrics.update({"charts/return": sum(returns) / len(returns),
                        "charts/success": sum(ep.success for ep in episodes) / len(episodes),
                        "charts/kl": float(torch.cat([row["kl"] for row in rows]).mean())})
        run.end_round(metrics, extra)
    return run.finish(f"last round return {metrics.get('charts/return', float('nan')):.3f}")
