"""A language-model buyer with the original LMRL-Gym prompt (for a fine-tuned buyer model).

The buyer-side prompt is the original's: ``"Start\\n"``, the profile line, then every line of the
conversation stripped and ending with ``"\\n"``. The model continues it (at most 127 new tokens); the
reply is cut at its first newline. A decision line anywhere in the reply ends the episode. After the
last allowed seller turn the buyer is re-prompted with its reply followed by ``"Output: Decision="``.

Example:
    >>> from lmrl_envs.tasks.car_dealer.profile import BuyerProfile
    >>> class Echo:
    ...     def generate(self, prompt, max_new_tokens):
    ...         return "Deal. Output: Decision=Accept MSRP=$40,000 Buy Price=$38,000\\nmore"
    >>> b = LMBuyer(Echo(), BuyerProfile("polite", "a Ford", "truck", ("sunroof",), 50000))
    >>> b.respond("Hello\\n")
    BuyerReply(text='Deal.', outcome=Outcome(accepted=True, msrp=40000, buy_price=38000), invalid=False, ended=True)
"""

from __future__ import annotations

from lmrl_envs.tasks.car_dealer.buyer import BuyerReply
from lmrl_envs.tasks.car_dealer.profile import BuyerProfile, Outcome, buyer_info_str, parse_decision

__all__ = ["LMBuyer", "MAX_NEW_TOKENS", "REPROMPT", "MAX_LM_AMOUNT"]

MAX_NEW_TOKENS = 127
"""New tokens per buyer reply (the original: ``max_new_tokens=128-1``)."""
REPROMPT = "Output: Decision="
"""Appended to the buyer's last reply at the turn limit to force a decision (as the original)."""
MAX_LM_AMOUNT = 10**9
"""Dollar amounts above this in a model's decision line make it unparsable (keeps rewards finite)."""

START = "Start\n"


class LMBuyer:
    """Buyer driven by any object with ``generate(prompt, max_new_tokens) -> str``.

    Args:
        partner: the model (see `lmrl_envs.partners.load_partner`).
        profile: the hidden buyer profile written into the prompt.
        max_turns: after this many seller lines the buyer must decide.
    """

    def __init__(self, partner, profile: BuyerProfile, max_turns: int = 20):
        self.partner = partner
        self.profile = profile
        self.max_turns = max_turns
        self.lines: list[str] = []
        self.turns = 0

    def prompt(self) -> str:
        """The buyer-side prompt for the next buyer reply."""
        return START + buyer_info_str(self.profile) + "".join(line + "\n" for line in self.lines)

    def _generate(self, prompt: str) -> str:
        out = self.partner.generate(prompt, MAX_NEW_TOKENS)
        return str(out).split("\n", 1)[0]

    @staticmethod
    def _parse(line: str) -> tuple[Outcome | None, str]:
        outcome, rest = parse_decision(line)
        if outcome is not None and max(outcome.msrp, outcome.buy_price or 0) > MAX_LM_AMOUNT:
            return None, line
        return outcome, rest

    def respond(self, action: str) -> BuyerReply:
        """Feed one seller line, return the buyer's reply (and decision, if any)."""
        self.turns += 1
        invalid = not any(ch.isalnum() for ch in action)
        self.lines.append(action.strip())
        prompt = self.prompt()
        line = self._generate(prompt)
        outcome, rest = self._parse(line)
        if outcome is not None:
            return BuyerReply(rest.strip(), outcome, invalid, ended=True)
        reply = line.strip()
        self.lines.append(reply)
        if self.turns < self.max_turns:
            return BuyerReply(reply, None, invalid)
        # Turn limit: re-prompt "...<reply>Output: Decision=" (the original). Its continuation lacks
        # the "Output: Decision=" prefix, which the original then failed to match; we put it back.
        cont = self._generate(prompt + line + REPROMPT)
        outcome, _ = self._parse(REPROMPT + cont)
        return BuyerReply(reply, outcome, invalid, ended=True)
