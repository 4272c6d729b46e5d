"""MC Returns: a vocabulary-sized Q head on the shared trunk regressed onto discounted returns-to-go.

Loss per action token (divided by the number of action tokens):
``0.5 (Q(s, a) - G)^2 + cql_weight * CE(Q logits, a) [+ bc_weight * CE(LM logits, a)]``, where G is
the discounted return-to-go over action tokens (`common.mdp`). Decoding: ``log pi_beta + beta * Q``
with pi_beta a frozen copy of the --init (BC) model, as in the reference (`common.value`).

Example:
    >>> import torch
    >>> q = torch.zeros(1, 1, 2); q[0, 0, 1] = 1.0         # Q(s, a=1) = 1, return 3
    >>> loss, parts = mc_loss(q, torch.zeros(1, 1, 2), torch.tensor([[1]]), torch.tensor([[1.0]]),
    ...                       torch.tensor([[3.0]]), denom=1.0, cql_weight=0.0, bc_weight=0.0)
    >>> loss.item()
    2.0
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmrl_algos.bc import action_positions, bc_loss
from lmrl_algos.common.trainer import run_offline
from lmrl_algos.common.value import ValueAlgorithm, ValueConfig

__all__ = ["MC", "MCConfig", "gather", "mc_loss", "train"]


@dataclass(frozen=True)
class MCConfig(ValueConfig):
    """MC Returns (reference maze: lr 1e-4, batch 128, beta 8-16, gamma 0.99, cql 0-0.5)."""


def gather(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``logits[b, t, targets[b, t]]`` as (B, T) floats."""
    return logits.float().gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def mc_loss(q_logits, lm_logits, targets, mask, returns, *, denom, cql_weight, bc_weight):
    """MC Returns loss on prediction-frame tensors (B, T[, V]) or selected positions (N[, V]).

    Returns ``(loss, parts)``; parts are detached 0-d tensors (no device sync until logged). A term
    whose weight is 0 is not computed.
    """
    q = gather(q_logits, targets)
    mse = (0.5 * (q - returns) ** 2 * mask).sum() / denom
    loss, parts = mse, {"losses/q": mse.detach(),
                        "values/q_mean": (q.detach() * mask).sum() / mask.sum().clamp(min=1)}
    if cql_weight:
        cql = bc_loss(q_logits, targets, mask, denom)
        loss, parts["losses/cql"] = loss + cql_weight * cql, cql.detach()
    if bc_weight:
        bc = bc_loss(lm_logits, targets, mask, denom)
        loss, parts["losses/bc"] = loss + bc_weight * bc, bc.detach()
    return loss, parts


class MC(ValueAlgorithm):
    name = "mc"
    config_cls = MCConfig

    def head_kwargs(self, cfg):
        return {"n_q": 1, "mlp": cfg.mlp_heads}

    def loss(self, model, batch, cfg, denom):
        m = batch["mask"].bool()
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], select=action_positions(batch))
        return mc_loss(out["q"][0], out["logits"], batch["targets"][m], batch["mask"][m], batch["returns"][m],
                       denom=denom, cql_weight=cfg.cql_weight, bc_weight=cfg.bc_weight)


def train(config: MCConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train MC Returns; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    return run_offline(MC(), config, model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
