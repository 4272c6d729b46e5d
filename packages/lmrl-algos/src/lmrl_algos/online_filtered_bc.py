"""Online %BC: rounds of rollouts in the real env, keep the best fraction, BC on them.

Example:
    $ lmrl-algos train online_filtered_bc --env maze-fo-v0 --init runs/bc --out runs/obc --steps 20
"""

from __future__ import annotations

from dataclasses import dataclass

from lmrl_algos.bc import bc_loss
from lmrl_algos.common.config import ConfigError, OnlineConfig
from lmrl_algos.common.mdp import build_mdp, collate
from lmrl_algos.common.online import OnlineRun
from lmrl_algos.common.trainer import batch_indices
from lmrl_envs import filter_episodes

__all__ = ["OnlineFilteredBCConfig", "train"]


@dataclass(frozen=True)
class OnlineFilteredBCConfig(OnlineConfig):
    """Online %BC (reference: 128 rollouts per round, keep top 30 %, lr 1e-4, batch 128, 100 rounds)."""

    keep_fraction: float = 0.3
    """Keep this fraction of each round's episodes, by return."""
    success_only: bool = False
    """Keep only successful episodes instead (reference: endgames)."""
    bc_steps: int = 8
    """BC optimiser steps on the kept episodes per round."""

    def validate(self) -> None:
        super().validate()
        if not 0 < self.keep_fraction <= 1:
            raise ConfigError(f"--keep-fraction must be in (0, 1], got {self.keep_fraction}")
        if self.bc_steps < 1:
            raise ConfigError("--bc-steps must be >= 1")


def train(cfg: OnlineFilteredBCConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train online %BC; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    run = OnlineRun("online_filtered_bc", cfg, {},
                    model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
    metrics: dict = {}
    while not run.done:
        episodes = run.collect()
        kept = filter_episodes(episodes, top_fraction=cfg.keep_fraction, success_only=cfg.success_only)
        returns = [ep.total_return for ep in episodes]
        metrics = {"charts/return": sum(returns) / len(returns), "charts/kept": len(kept),
                   "charts/success": sum(ep.success for ep in episodes) / len(episodes)}
        if kept:
            segments = build_mdp(kept, run.tok, gamma=cfg.gamma, max_length=cfg.max_length, use_action_tokens=True)
            for s in range(cfg.bc_steps):
                chosen = [segments[i] for i in batch_indices(len(segments), cfg.seed + run.round, s * cfg.batch_size,
                                                             cfg.batch_size)]
                batch = {k: v.to(run.device) for k, v in collate(chosen, run.tok.pad_token_id).items()}
                denom = max(1.0, float(batch["mask"].sum()))
                out = run.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
                loss = bc_loss(out["logits"][:, :-1], batch["targets"], batch["mask"], denom)
                run.optimizer_step(loss)
            metrics["losses/bc"] = loss.item()
        run.end_round(metrics)
    return run.finish(f"last round return {metrics.get('charts/return', float('nan')):.3f}")
