"""ILQL: twin Q heads and a V head on one trunk, Polyak target network, expectile value loss.

For an action token t (prediction frame), with y = r_t + gamma * V(next action token) (detached;
"next" skips observation tokens and crosses into the next chain segment, 0 at the episode end):

    L = 0.5 (Q1 - y)^2 + 0.5 (Q2 - y)^2                           (Bellman)
      + |tau - 1[u < 0]| u^2,   u = min(Q1_target, Q2_target) - V   (expectile regression of V)
      + cql_weight * (CE(Q1 logits, a) + CE(Q2 logits, a))            (CQL-style regulariser)
     [+ bc_weight * CE(LM logits, a)                                  (optional, off by default)]

summed over action tokens and divided by their number. The target network (trunk + Q/V heads)
follows the online one by Polyak averaging after every step. Decoding, as in the reference
(`ilql/gpt2/score_fn.py`): ``log pi_beta + beta (min(Q1_target, Q2_target) - V_target)``, pi_beta a
frozen copy of the --init (BC) model (`common.value`). The reference reads V from the online
network; the target network's V (its Polyak average) is used here so that decoding runs two
networks, not three (V is the same for every action of a state, so it only shifts the scores).

Example:
    >>> import torch
    >>> z = torch.zeros(1, 1, 2)
    >>> loss, parts = ilql_loss(z, z, z, z, torch.tensor([[0.0]]), torch.tensor([[0.0]]), torch.tensor([[0]]),
    ...     torch.tensor([[1.0]]), torch.tensor([[1.0]]), gamma=0.9, tau=0.7, cql_weight=0.0, denom=1.0)
    >>> loss.item()                              # 0.5 * 1 + 0.5 * 1 (Bellman) + 0 (expectile)
    1.0
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from lmrl_algos.bc import action_positions, bc_loss
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.mdp import next_prefix_values
from lmrl_algos.common.trainer import run_offline
from lmrl_algos.common.value import ValueAlgorithm, ValueConfig
from lmrl_algos.mc import gather

__all__ = ["ILQL", "ILQLConfig", "expectile_loss", "ilql_loss", "next_values", "train"]

TARGET = "target."
"""Prefix of the target network's tensors in a checkpoint's ``extra.safetensors``."""


@dataclass(frozen=True)
class ILQLConfig(ValueConfig):
    """ILQL (reference maze script: lr 1e-4, tau 0.95 / table 0.99?, cql 0-0.5, gamma 0.99, beta 8-16)."""

    tau: float = 0.7
    """Expectile of the V regression (0.5 = mean; towards 1 = max over data actions)."""
    polyak: float = 0.005
    """Target network update: target <- (1 - polyak) target + polyak online, every step."""

    def validate(self) -> None:
        super().validate()
        if not 0 < self.tau < 1:
            raise ConfigError(f"--tau must be in (0, 1), got {self.tau}")
        if not 0 < self.polyak <= 1:
            raise ConfigError(f"--polyak must be in (0, 1], got {self.polyak}")


def expectile_loss(u: torch.Tensor, tau: float) -> torch.Tensor:
    """``|tau - 1[u < 0]| * u^2`` elementwise."""
    return torch.where(u < 0, 1 - tau, tau) * u**2


def next_values(v: torch.Tensor, next_idx: torch.Tensor, boot: torch.Tensor, has_next: torch.Tensor) -> torch.Tensor:
    """V of the next action token for each position: ``v[b, next_idx]``, or the next segment's
    bootstrap value `boot[b]` where next_idx < 0 (0 if the segment ends its episode)."""
    inside = v.gather(1, next_idx.clamp(min=0))
    tail = torch.where(has_next, boot, torch.zeros_like(boot)).unsqueeze(1).expand_as(v)
    return torch.where(next_idx >= 0, inside, tail)


def ilql_loss(q1_logits, q2_logits, tq1_logits, tq2_logits, v, v_next, targets, rewards, mask, *,
              gamma, tau, cql_weight, denom):
    """ILQL loss (without the BC term) on prediction-frame tensors (B, T[, V]) or on selected
    positions (N[, V]); returns ``(loss, parts)`` with detached 0-d tensor parts. The CQL term is
    computed only when its weight is not 0."""
    q1, q2 = gather(q1_logits, targets), gather(q2_logits, targets)
    with torch.no_grad():
        y = rewards + gamma * v_next.float()
        tq = torch.minimum(gather(tq1_logits, targets), gather(tq2_logits, targets))
    v = v.float()
    q_loss = ((0.5 * (q1 - y) ** 2 + 0.5 * (q2 - y) ** 2) * mask).sum() / denom
    v_loss = (expectile_loss(tq - v, tau) * mask).sum() / denom
    loss = q_loss + v_loss
    n = mask.sum().clamp(min=1)
    parts = {"losses/q": q_loss.detach(), "losses/v": v_loss.detach(),
             "values/q_mean": (q1.detach() * mask).sum() / n, "values/v_mean": (v.detach() * mask).sum() / n}
    if cql_weight:
        cql = bc_loss(q1_logits, targets, mask, denom) + bc_loss(q2_logits, targets, mask, denom)
        loss, parts["losses/cql"] = loss + cql_weight * cql, cql.detach()
    return loss, parts


class ILQL(ValueAlgorithm):
    name = "ilql"
    config_cls = ILQLConfig

    def __init__(self):
        super().__init__()
        self.target = None

    def head_kwargs(self, cfg):
        return {"n_q": 2, "v_head": True, "mlp": cfg.mlp_heads}

    def setup(self, model, cfg):
        super().setup(model, cfg)
        self.target = copy.deepcopy(model).requires_grad_(False).eval()

    def value_network(self, model):
        return self.target

    def loss(self, model, batch, cfg, denom):
        # trunk forwards: online (with grad), target, and the next segments' prefixes (for V at their
        # last token); the heads run only at the positions the loss reads
        m, sel = batch["mask"].bool(), action_positions(batch)
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], select=sel)
        with torch.no_grad():
            tout = self.target(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], select=sel)
            boot = next_prefix_values(getattr(model, "module", model), batch)  # V at each next segment's prefix
            v_grid = torch.zeros_like(batch["mask"])
            v_grid[m] = out["v"].detach().float()
            v_next = next_values(v_grid, batch["next_idx"], boot, batch["has_next"])[m]
        loss, parts = ilql_loss(out["q"][0], out["q"][1], tout["q"][0], tout["q"][1], out["v"], v_next,
                                batch["targets"][m], batch["rewards"][m], batch["mask"][m],
                                gamma=cfg.gamma, tau=cfg.tau, cql_weight=cfg.cql_weight, denom=denom)
        if cfg.bc_weight:
            bc = bc_loss(out["logits"], batch["targets"][m], batch["mask"][m], denom)
            loss = loss + cfg.bc_weight * bc
            parts["losses/bc"] = bc.detach()
        return loss, parts

    @torch.no_grad()
    def after_step(self, model, cfg):
        # target <- (1 - polyak) target + polyak online, one fused op over all tensors
        torch._foreach_lerp_(list(self.target.parameters()), [p.detach() for p in model.parameters()], cfg.polyak)

    def extra_state(self):
        return {**super().extra_state(), **{TARGET + k: v for k, v in self.target.state_dict().items()}}

    def load_extra_state(self, tensors):
        super().load_extra_state(tensors)
        self.target.load_state_dict({k.removeprefix(TARGET): v for k, v in tensors.items() if k.startswith(TARGET)})


def train(config: ILQLConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train ILQL; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    return run_offline(ILQL(), config, model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
