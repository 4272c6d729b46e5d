"""Behaviour cloning: next-token cross-entropy on the agent's action tokens only.

Example:
    >>> import torch
    >>> logits = torch.zeros(1, 2, 4)           # uniform over 4 tokens
    >>> round(float(bc_loss(logits, torch.tensor([[1, 2]]), torch.tensor([[1.0, 0.0]]), 1.0)), 4)
    1.3863
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lmrl_algos.common.config import TrainConfig
from lmrl_algos.common.trainer import OfflineAlgorithm, run_offline

__all__ = ["BC", "BCConfig", "action_positions", "bc_loss", "train"]


@dataclass(frozen=True)
class BCConfig(TrainConfig):
    """Behaviour cloning (the reference's BC: lr 1e-4, batch 128, gpt2-small for the text games)."""


def bc_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, denom: float) -> torch.Tensor:
    """Sum over masked positions of -log p(target), divided by `denom` (the number of action tokens).

    Args:
        logits: (B, T, V) model outputs in the prediction frame (position t predicts targets[:, t]),
            or (N, V) outputs at N selected positions.
        targets: (B, T) or (N,) next tokens. mask: same shape, 1 on action tokens. denom: normaliser.
    """
    logits = logits.float()
    nll = F.cross_entropy(logits.transpose(1, 2) if logits.dim() == 3 else logits, targets, reduction="none")
    return (nll * mask).sum() / denom


def action_positions(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """(B, T) bool, token frame: the positions whose outputs predict an action token.

    ``model(..., select=action_positions(batch))`` returns outputs in the order of
    ``batch["mask"].bool()``, so ``batch["targets"][batch["mask"].bool()]`` are their targets.
    """
    sel = torch.zeros_like(batch["input_ids"], dtype=torch.bool)
    sel[:, :-1] = batch["mask"].bool()
    return sel


class BC(OfflineAlgorithm):
    name = "bc"
    config_cls = BCConfig

    def loss(self, model, batch, cfg, denom):
        m = batch["mask"].bool()
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], select=action_positions(batch))
        loss = bc_loss(out["logits"], batch["targets"][m], batch["mask"][m], denom)
        return loss, {"losses/bc": loss.detach()}


def train(config: BCConfig):
    """Train BC; returns the checkpoint directory."""
    return run_offline(BC(), config)
