"""What the value-based offline methods (MC Returns, ILQL) share: their config and the frozen behaviour LM.

The reference's form (``LLM_RL/algorithms/{mc_returns,ilql}``, ``value_rl_base``): the run starts
from a BC checkpoint; a frozen copy of that BC model is pi_beta, whose logits are the base of
value-guided decoding (``log pi_beta + beta * value term``); the shared trunk and the value heads
are trained by the value losses only. `ValueAlgorithm` keeps that copy (saved in the checkpoint's
``extra.safetensors`` as ``behaviour.*``, so resume and `lmrl_algos.load_policy` find it) and decodes
with `lmrl_algos.models.ValueGuidedLM`.

``--frozen-behaviour false`` selects the older single-model form: the LM head of the trained trunk
is pi_beta, kept a behaviour policy by a BC loss on the same trunk (``--bc-weight`` > 0). One model
is cheaper, but the BC loss then shapes the features the value heads read (on the tiny model it
was three times the Q loss) and pi_beta drifts with them.

Example:
    >>> cfg = ValueConfig(env="maze-fo", data="d.jsonl", out="o", frozen_behaviour=False, bc_weight=0.0)
    >>> cfg.validate()
    Traceback (most recent call last):
    ...
    lmrl_algos.common.config.ConfigError: --frozen-behaviour false needs --bc-weight > 0 ...
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from lmrl_algos.common.config import ConfigError, TrainConfig
from lmrl_algos.common.trainer import OfflineAlgorithm
from lmrl_algos.models import LMWithHeads, ValueGuidedLM

__all__ = ["ValueAlgorithm", "ValueConfig"]

BEHAVIOUR = "behaviour."
"""Prefix of the frozen behaviour LM's tensors in a checkpoint's ``extra.safetensors``."""


@dataclass(frozen=True)
class ValueConfig(TrainConfig):
    """Fields of the value-based methods (MC Returns, ILQL)."""

    beta: float = 8.0
    """Decoding weight of the value term added to log pi_beta (saved with the checkpoint for `load_policy`)."""
    support_p: float = 1.0
    """Decoding in free generation: the value term only re-weighs the tokens of pi_beta's top-p nucleus
    (1: the whole vocabulary, as the reference; see `lmrl_algos.policy.LMPolicy`; saved with the checkpoint)."""
    cql_weight: float = 0.0
    """Weight of the CQL-style cross-entropy on the Q logits (logsumexp Q - Q(a))."""
    frozen_behaviour: bool = True
    """pi_beta is a frozen copy of the --init (BC) model and the trunk learns from the value losses only
    (the reference's form). False: the trained trunk's own LM head is pi_beta (needs --bc-weight > 0)."""
    bc_weight: float = 0.0
    """Weight of a BC cross-entropy on the trained trunk's LM head (0: off; the reference has none)."""
    mlp_heads: bool = True
    """Q/V heads are 2-layer MLPs (n_embd -> n_embd -> out, ReLU) instead of Linear layers."""

    def validate(self) -> None:
        super().validate()
        for name in ("beta", "cql_weight", "bc_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 0")
        if not 0 < self.support_p <= 1:
            raise ConfigError(f"--support-p must be in (0, 1], got {self.support_p}")
        if not self.frozen_behaviour and self.bc_weight <= 0:
            raise ConfigError("--frozen-behaviour false needs --bc-weight > 0 (the trained LM head is then pi_beta, "
                              "and only the BC loss keeps it one); or keep --frozen-behaviour true")


class ValueAlgorithm(OfflineAlgorithm):
    """An offline algorithm that decodes with ``log pi_beta + beta * value term`` (see the module doc)."""

    def __init__(self):
        self.behaviour: torch.nn.Module | None = None

    def setup(self, model: LMWithHeads, cfg) -> None:
        if cfg.frozen_behaviour:  # on --resume, `load_extra_state` then puts the saved pi_beta back
            self.behaviour = copy.deepcopy(model.lm).requires_grad_(False).eval()

    def value_network(self, model: LMWithHeads) -> LMWithHeads:
        """The network whose Q/V heads guide decoding (ILQL: its target network)."""
        return model

    def decoding_model(self, model: LMWithHeads) -> torch.nn.Module:
        values = self.value_network(model)
        return values if self.behaviour is None else ValueGuidedLM(self.behaviour, values)

    def extra_state(self) -> dict[str, torch.Tensor]:
        if self.behaviour is None:
            return {}
        return {BEHAVIOUR + k: v for k, v in self.behaviour.state_dict().items()}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        own = {k.removeprefix(BEHAVIOUR): v for k, v in tensors.items() if k.startswith(BEHAVIOUR)}
        if self.behaviour is not None:
            if not own:
                raise ConfigError("--resume: the checkpoint holds no frozen behaviour model (it was trained with "
                                  "--frozen-behaviour false); resume it with --frozen-behaviour false")
            self.behaviour.load_state_dict(own)
