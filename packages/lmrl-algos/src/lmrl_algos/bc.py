"""Behaviour cloning: next-token cross-entropy on the agent's action tokens.

With ``non_action_weight`` w > 0 the loss also predicts the environment's text:
``BC loss (per action token) + w * mean next-token loss over the observation tokens``. The actions'
targets are unchanged (pi_beta is still the data's action distribution); the extra term teaches a
model trained from scratch to read its observations. On Maze FO the behaviour policy's moves depend
little on the cell (37 % towards the goal, 21 % each other way), so a tiny model trained on the
actions alone keyed on the wall text and ignored the position, and so did every value network
initialised from it; predicting the walls from the position makes it read the position.

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

from lmrl_algos.common.config import ConfigError, TrainConfig
from lmrl_algos.common.trainer import OfflineAlgorithm, run_offline

__all__ = ["BC", "BCConfig", "action_positions", "bc_loss", "train"]


@dataclass(frozen=True)
class BCConfig(TrainConfig):
    """Behaviour cloning (the reference's BC: lr 1e-4, batch 128, gpt2-small for the text games)."""

    non_action_weight: float = 0.0
    """Weight of a next-token loss on the environment's text (the non-action tokens) beside the
    actions' BC loss; the reference's ``bc_loss(non_action_weight=...)``, 0 in its scripts. A model
    trained from scratch learns to read its observations from it, as a pretrained LM already does
    (see the module docstring)."""

    def validate(self) -> None:
        super().validate()
        if not self.non_action_weight >= 0:
            raise ConfigError(f"--non-action-weight must be >= 0, got {self.non_action_weight}")


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
        if not cfg.non_action_weight:
            m = batch["mask"].bool()
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                        select=action_positions(batch))
            loss = bc_loss(out["logits"], batch["targets"][m], batch["mask"][m], denom)
            return loss, {"losses/bc": loss.detach()}
        # every real next token: actions (BC, per action token) and observations (mean over them)
        valid = batch["attention_mask"][:, 1:].bool()
        sel = torch.zeros_like(batch["input_ids"], dtype=torch.bool)
        sel[:, :-1] = valid
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], select=sel)
        nll = F.cross_entropy(out["logits"].float(), batch["targets"][valid], reduction="none")
        act = batch["mask"][valid]
        bc = (nll * act).sum() / denom
        other = (nll * (1 - act)).sum() / (1 - act).sum().clamp(min=1)
        return bc + cfg.non_action_weight * other, {"losses/bc": bc.detach(), "losses/non_action": other.detach()}


def train(config: BCConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train BC; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    return run_offline(BC(), config, model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
