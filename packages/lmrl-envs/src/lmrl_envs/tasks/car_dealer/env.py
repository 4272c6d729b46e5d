"""`CarDealerEnv`: the agent sells a car to a simulated buyer (see the package docstring)."""

from __future__ import annotations

import math
from typing import Any

from lmrl_envs.core import StepResult, TextEnv
from lmrl_envs.tasks.car_dealer.buyer import STRETCH, BuyerReply, RuleBuyer
from lmrl_envs.tasks.car_dealer.lm_buyer import LMBuyer
from lmrl_envs.tasks.car_dealer.profile import (
    BUDGETS,
    MAX_PRICE,
    MIN_PRICE,
    BuyerProfile,
    Outcome,
    compute_reward,
    format_decision,
    profile_from_dict,
    sample_profile,
)

__all__ = ["CarDealerEnv", "INITIAL_STR", "MAX_TURNS"]

INITIAL_STR = "Start\n"
MAX_TURNS = 20
"""Default most seller lines per episode (the original: 50 texts, about 25 seller lines)."""


def _rules_reward_range(mode: str) -> tuple[float, float]:
    """Exact bounds of the rule buyer's rewards from its price limits.

    A sale has ``price <= msrp`` and ``price <= 1.1 * budget``, so ``price / ((budget + msrp) / 2)``
    is at most 2.2 / 2.1; a refusal gives ``1 - budget / msrp`` with ``MIN_PRICE <= msrp <= MAX_PRICE``.
    """
    best = [int(b * STRETCH) for b in BUDGETS]
    if mode == "revenue":
        return 0.0, max(best) / 1000.0
    sale = max(compute_reward(b, Outcome(True, p, p)) for b, p in zip(BUDGETS, best))
    low = compute_reward(max(BUDGETS), Outcome(False, MIN_PRICE))
    high = compute_reward(min(BUDGETS), Outcome(False, MAX_PRICE))
    return min(low, 0.0), max(sale, high, 0.0)


class CarDealerEnv(TextEnv):
    """Car Dealer: the agent is the seller; the buyer is a rule-based simulator or a language model.

    Args:
        buyer: ``"rules"`` (default, deterministic), ``"hf:/path/to/model"`` (a local Hugging Face
            buyer with the original prompt) or an object with ``generate(prompt, max_new_tokens)``.
        reward_mode: ``"fancy"`` (the original's default) or ``"revenue"`` (``buy_price / 1000``).
        max_turns: the most seller lines; after the last one the buyer must decide.
        buyer_kwargs: passed to `lmrl_envs.partners.load_partner` for ``"hf:"`` buyers
            (e.g. ``{"do_sample": True, "device": "cuda"}``).

    Example:
        >>> env = CarDealerEnv()
        >>> env.reset(seed=0)[0]
        'Start\\n'
        >>> obs, reward, terminated, truncated, info = env.step("Hi! What kind of car are you looking for?")
        >>> obs.endswith("\\n"), reward, terminated
        (True, 0.0, False)
    """

    max_steps = MAX_TURNS
    option_keys = frozenset({"buyer"})
    reward_range = _rules_reward_range("fancy")

    def __init__(self, buyer: Any = "rules", reward_mode: str = "fancy", max_turns: int = MAX_TURNS,
                 buyer_kwargs: dict[str, Any] | None = None):
        super().__init__()
        if reward_mode not in ("fancy", "revenue"):
            raise ValueError(f"reward_mode must be 'fancy' or 'revenue', got {reward_mode!r}")
        if not isinstance(max_turns, int) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive int, got {max_turns!r}")
        self.reward_mode = reward_mode
        self.max_steps = max_turns
        if isinstance(buyer, str) and buyer == "rules":
            self._partner = None
            self.reward_range = _rules_reward_range(reward_mode)
        else:
            from lmrl_envs.partners import load_partner

            if isinstance(buyer, str) and not buyer.startswith("hf:"):
                raise ValueError(f"buyer must be 'rules', 'hf:/path/to/model' or an object with .generate(); got {buyer!r}")
            self._partner = load_partner(buyer, **(buyer_kwargs or {}))
            # a model can name any MSRP >= $1 and any price
            self.reward_range = (-(max(BUDGETS) - 1) / 1.0, math.inf) if reward_mode == "fancy" else (0.0, math.inf)
        self.profile: BuyerProfile | None = None
        self.outcome: Outcome | None = None
        self._buyer: RuleBuyer | LMBuyer | None = None

    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        self.profile = profile_from_dict(options["buyer"]) if "buyer" in options else sample_profile(self.rng)
        self.outcome = None
        if self._partner is None:
            self._buyer = RuleBuyer(self.profile, self.rng, self.max_steps)
        else:
            reseed = getattr(self._partner, "reseed", None)
            if callable(reseed):
                reseed(self.rng.randrange(2**31))
            self._buyer = LMBuyer(self._partner, self.profile, self.max_steps)
        return INITIAL_STR, {"buyer": self.profile.as_dict()}

    def _step(self, action: str) -> StepResult:
        reply: BuyerReply = self._buyer.respond(action)
        info: dict[str, Any] = {"invalid": True} if reply.invalid else {}
        if reply.outcome is None and not reply.ended:
            return StepResult(reply.text + "\n", 0.0, info=info)
        info["buyer"] = self.profile.as_dict()
        if reply.outcome is None:
            info.update(success=False, decision=None)
            return StepResult(reply.text + "\n", 0.0, terminated=True, info=info)
        o = self.outcome = reply.outcome
        info.update(success=o.accepted, decision={"car_bought": o.accepted, "msrp": o.msrp, "buy_price": o.buy_price})
        obs = (reply.text + " " if reply.text else "") + format_decision(o) + "\n"
        return StepResult(obs, compute_reward(self.profile.budget, o, self.reward_mode), terminated=True, info=info)
