"""The deterministic rule-based buyer of Car Dealer.

The buyer keeps a negotiation state (the car under discussion, its MSRP, the current price, the
features the seller confirmed, patience), reads each seller line with `parse_seller`, and answers in
character. It buys when a price is on the table that it can pay and the car fits its preferences.

Purchase rules (the three buyer backgrounds of the original's data generation, mapped onto the
personalities):

- discount hunters (abusive, insulting, toxic) "never buy unless given a discount": when everything
  else fits they demand one, and walk away if the next seller line does not lower the price;
- picky buyers (polite, respectful, talkative) "only buy if it meets all specifications": the body
  type must be confirmed, the brand must not differ, and every preferred feature must be confirmed;
- impatient buyers (angry, rude, sarcastic, uncommunicative) have little patience (5-6 turns).

Everyone else (and the checks above) uses the fit score ``(type + brand + features) / 3`` with
type/brand 1 if matching, 0.5 if not said, 0 if different (a different body type is always refused)
and features = fraction of preferred features confirmed; the car fits when the score is >= 0.5.
The price must be at most the MSRP and at most the budget, or 10% over budget when at least half of
the preferred features are confirmed.

Example:
    >>> import random
    >>> from lmrl_envs.tasks.car_dealer.profile import BuyerProfile
    >>> b = RuleBuyer(BuyerProfile("respectful", "a Honda", "sedan", ("sunroof",), 30000), random.Random(0))
    >>> b.respond("Hi! What is your budget?\\n").text
    'My budget is $30,000.'
    >>> b.respond("This Honda sedan has a sunroof and costs $31,000.\\n").outcome
    Outcome(accepted=True, msrp=31000, buy_price=31000)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from lmrl_envs.tasks.car_dealer.parser import SellerUtterance, parse_seller
from lmrl_envs.tasks.car_dealer.profile import MAX_PRICE, MIN_PRICE, BuyerProfile, Outcome, typical_msrp

__all__ = ["BuyerReply", "NegotiationState", "RuleBuyer", "PATIENCE", "MAX_UTTERANCE_CHARS", "STRETCH"]

DISCOUNT_HUNTERS = frozenset({"abusive", "insulting", "toxic"})
PICKY = frozenset({"polite", "respectful", "talkative"})
GUARDED = frozenset({"insulting", "toxic", "uncommunicative"})
"""Refuse to tell their budget the first time they are asked."""
PATIENCE = {
    "abusive": 8, "angry": 5, "insulting": 8, "polite": 14, "respectful": 14, "rude": 6, "sarcastic": 6,
    "talkative": 16, "toxic": 8, "uncommunicative": 5,
}
"""Seller turns a buyer tolerates: each turn costs 1, gibberish or an absurd price 1 more."""
MAX_UTTERANCE_CHARS = 1000
"""Longer seller lines are not read ("too long")."""
STRETCH = 1.10
"""Budget multiplier allowed when at least half of the preferred features are confirmed."""

_TYPE_NOUN = {"luxury": "luxury car", "electric": "electric car"}
_VOWEL_ARTICLE = ("a", "e", "i", "o", "u")
_FEATURE_NOUN = {
    "backup camera": "a backup camera", "navigation system": "a navigation system", "sunroof": "a sunroof",
}
_PREFIX = {
    "abusive": ["Listen, pal.", "Don't waste my time.", "Ugh, you again.", ""],
    "angry": ["Ugh!", "This is so frustrating.", "Come on!", ""],
    "insulting": ["Do you even know what you're selling?", "Wow, you're bad at this.", "Seriously, amateur hour.", ""],
    "polite": ["Thank you.", "Thanks for your help.", "", ""],
    "respectful": ["Thank you for asking.", "I appreciate it.", "", ""],
    "rude": ["Whatever.", "Get to the point.", "Hurry up.", ""],
    "sarcastic": ["Oh, wonderful.", "Wow, how helpful.", "Oh great, a salesman.", ""],
    "talkative": ["Oh, how lovely!", "Well, let me tell you.", "Oh, thanks for asking!", ""],
    "toxic": ["You salespeople are all the same.", "Typical.", "Unbelievable.", ""],
    "uncommunicative": [""],
}
_TALK = [
    "My old car finally gave out last month.", "My neighbor just bought a new car and loves it.",
    "I drive my kids to soccer practice a lot.", "I do a lot of highway driving for work.",
]


def _type_noun(t: str) -> str:
    return _TYPE_NOUN.get(t, t)


def _with_article(noun: str) -> str:
    return ("an " if noun.lower().startswith(_VOWEL_ARTICLE) or noun == "SUV" else "a ") + noun


def _feature_list(features: list[str]) -> str:
    items = [_FEATURE_NOUN.get(f, f) for f in features]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class NegotiationState:
    """What the buyer knows about the car on offer and how the talk is going."""

    patience: int
    turns: int = 0
    brand: str | None = None
    types: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    msrp: int | None = None
    price: int | None = None
    discount_given: bool = False
    demanded_discount: bool = False
    budget_refused: bool = False


@dataclass(frozen=True)
class BuyerReply:
    """One buyer line (no newline, no decision line) and the decision if the buyer made one.

    `ended` without an `outcome` happens only with a language-model buyer that never produced a
    parsable decision line (the episode then ends with reward 0, as in the original).
    """

    text: str
    outcome: Outcome | None = None
    invalid: bool = False
    ended: bool = False


class RuleBuyer:
    """Rule-based buyer; `respond(seller_line)` returns a `BuyerReply`.

    Args:
        profile: the hidden buyer profile.
        rng: the env's generator (chooses among wordings only).
        max_turns: after this many seller lines the buyer decides.
    """

    def __init__(self, profile: BuyerProfile, rng: random.Random, max_turns: int = 20):
        self.profile = profile
        self.rng = rng
        self.max_turns = max_turns
        self.state = NegotiationState(patience=PATIENCE[profile.personality])

    # ------------------------------------------------------------------ the turn
    def respond(self, action: str) -> BuyerReply:
        s, p = self.state, self.profile
        s.turns += 1
        s.patience -= 1
        text = action.strip()
        invalid = not any(ch.isalnum() for ch in text)
        parts: list[tuple[str, str]] = []
        if invalid:
            s.patience -= 1
            parts.append(("What? You didn't say anything.", "What?"))
        elif len(text) > MAX_UTTERANCE_CHARS:
            s.patience -= 1
            parts.append(("That's way too much to read. Keep it short.", "Too long."))
        else:
            u = parse_seller(text)
            if not u.understood:
                s.patience -= 1
                parts.append(("I have no idea what you're talking about.", "What?"))
            else:
                parts.extend(self._apply(u))
                outcome = self._negotiate(u, parts)
                if outcome is not None:
                    return outcome
        if s.patience <= 0:
            polite = p.personality in PICKY
            bye = "I'm sorry, but this isn't working for me. Goodbye." if polite else "I've had enough. I'm leaving."
            return BuyerReply(self._say([(bye, "Bye.")], decorate=not polite), self._decide(False), invalid)
        if s.turns >= self.max_turns:
            accept = self._assess() is None and (p.personality not in DISCOUNT_HUNTERS or s.discount_given)
            line = ("Alright, I'll take it at that price.", "Fine, I'll take it.") if accept else (
                "We're going in circles. I'll pass.", "No.")
            return BuyerReply(self._say([line]), self._decide(accept), invalid)
        if not parts:
            parts.append(self._nudge())
        return BuyerReply(self._say(parts), None, invalid)

    # ------------------------------------------------------------------ state update
    def _apply(self, u: SellerUtterance) -> list[tuple[str, str]]:
        s = self.state
        new_car = (u.brand is not None and s.brand is not None and u.brand != s.brand) or (
            bool(u.types) and bool(s.types) and not set(u.types) & set(s.types)
        )
        if new_car:
            s.brand, s.types, s.features, s.missing = None, [], set(), set()
            s.msrp = s.price = None
            s.discount_given = False
        if u.brand is not None:
            s.brand = u.brand
        for t in u.types:
            if t not in s.types:
                s.types = (s.types + [t])[-2:]
        s.features = (s.features | set(u.features)) - set(u.missing)
        s.missing = (s.missing | set(u.missing)) - set(u.features)

        def ok(a: int | None) -> bool:
            return a is not None and MIN_PRICE <= a <= MAX_PRICE

        if ok(u.msrp):
            s.msrp = u.msrp
            if s.price is None and not ok(u.offer):
                s.price = u.msrp
        discount = u.percent_off is not None or u.dollars_off is not None
        if ok(u.offer):
            if (s.price is not None and u.offer < s.price) or discount:
                s.discount_given = True
            s.price = u.offer
            if s.msrp is None:
                s.msrp = u.offer  # the first asking price is the sticker price
        elif discount:
            base = s.price if s.price is not None else s.msrp
            if base is None:
                return [("A discount off of what? You haven't told me a price.", "Off what price?")]
            new = base
            if u.percent_off is not None:
                new = int(round(base * (1 - u.percent_off / 100)))
            if u.dollars_off is not None and u.dollars_off < new:
                new -= u.dollars_off
            if new < base:
                s.price, s.discount_given = max(MIN_PRICE, new), True
        return []

    def _fit(self) -> tuple[float, float, float]:
        p, s = self.profile, self.state
        type_s = 1.0 if p.car_type in s.types else (0.5 if not s.types else 0.0)
        brand_s = 1.0 if s.brand == p.brand_name else (0.5 if s.brand is None else 0.0)
        feat = len(s.features & set(p.features)) / len(p.features)
        return type_s, brand_s, feat

    def _assess(self) -> str | None:
        """None when the buyer would buy the car on the table at its price, else the objection."""
        p, s = self.profile, self.state
        if s.price is None or not (s.brand or s.types):
            return "no_offer"
        type_s, brand_s, feat = self._fit()
        if type_s == 0:
            return "type"
        if p.personality in PICKY:
            if brand_s == 0:
                return "brand"
            if type_s < 1:
                return "type_unknown"
            if feat < 1:
                return "features"
        elif (type_s + brand_s + feat) / 3 < 0.5:
            return "brand" if brand_s == 0 else "features"
        if s.msrp is not None and s.price > s.msrp:
            return "above_msrp"
        if s.price > p.budget * (STRETCH if feat >= 0.5 else 1.0):
            return "price"
        return None

    def _decide(self, accept: bool) -> Outcome:
        s, p = self.state, self.profile
        msrp = s.msrp
        if msrp is None:
            msrp = typical_msrp(s.brand or p.brand_name, s.types[0] if s.types else p.car_type)
        return Outcome(True, msrp, s.price) if accept else Outcome(False, msrp)

    # ------------------------------------------------------------------ what to say
    def _negotiate(self, u: SellerUtterance, parts: list[tuple[str, str]]) -> BuyerReply | None:
        s, p = self.state, self.profile
        if u.asks_car:
            parts.append(self._want_car())
        if u.asks_features and not (u.asks_car and p.personality != "uncommunicative"):
            parts.append((f"I'd like {_feature_list(list(p.features))}.", ", ".join(p.features).capitalize() + "."))
        if u.asks_budget:
            parts.append(self._budget_answer())
        reason = self._assess()
        if reason is None:
            if p.personality in DISCOUNT_HUNTERS and not s.discount_given:
                if s.demanded_discount:
                    return BuyerReply(self._say([("No discount, no deal.", "No.")]), self._decide(False))
                s.demanded_discount = True
                parts.append(("I'm not paying full price. Give me a discount.", "Discount?"))
                return None
            line = ("That works for me. I'll take it.", "Fine. Deal.")
            if p.personality in PICKY:
                line = ("That sounds great, I'll take it!", "Deal.")
            return BuyerReply(self._say(parts + [line]), self._decide(True))
        if reason == "no_offer":
            if s.brand or s.types:
                parts.append(("How much is it?", "Price?"))
            elif not (u.asks_car or u.asks_features or u.asks_budget):
                parts.append(self._want_car())
            return None
        parts.append(self._objection(reason))
        return None

    def _want_car(self) -> tuple[str, str]:
        p = self.profile
        car = f"{p.brand} {_type_noun(p.car_type)}"
        return f"I'm looking for {car} with {_feature_list(list(p.features))}.", car[0].upper() + car[1:] + "."

    def _budget_answer(self) -> tuple[str, str]:
        s, p = self.state, self.profile
        if p.personality in GUARDED and not s.budget_refused:
            s.budget_refused = True
            return "Why would I tell you my budget? Show me a car first.", "Not telling."
        return f"My budget is ${p.budget:,}.", f"${p.budget:,}."

    def _objection(self, reason: str) -> tuple[str, str]:
        s, p = self.state, self.profile
        want_type = _with_article(_type_noun(p.car_type))
        if reason == "type":
            return f"I want {want_type}, not {_with_article(_type_noun(s.types[-1]))}.", f"I want {want_type}."
        if reason == "type_unknown":
            return f"Is it {want_type}? That's what I need.", f"Is it {want_type}?"
        if reason == "brand":
            return f"I was really hoping for {p.brand}.", f"I want {p.brand}."
        if reason == "features":
            lacking = [f for f in p.features if f not in s.features]
            gone = [f for f in lacking if f in s.missing]
            if gone and len(gone) == len(lacking):
                return f"Without {_feature_list(gone)} it's not for me.", "Not without " + gone[0] + "."
            ask = [f for f in lacking if f not in s.missing][0]
            return f"Does it have {_FEATURE_NOUN.get(ask, ask)}?", f"{ask.capitalize()}?"
        if reason == "above_msrp":
            return f"${s.price:,} is above the sticker price of ${s.msrp:,}!", "Above sticker."
        # reason == "price"
        absurd = s.price > 2 * p.budget
        if absurd:
            s.patience -= 1
        head = "Are you kidding me? " if absurd else ""
        if p.personality in GUARDED:
            return head + "That's way too expensive.", "Too expensive."
        return f"{head}${s.price:,} is too expensive. My budget is ${p.budget:,}.", f"Too much. ${p.budget:,} max."

    def _nudge(self) -> tuple[str, str]:
        s = self.state
        if s.brand or s.types:
            return "So what's the price?", "Price?"
        return self._want_car()

    def _say(self, parts: list[tuple[str, str]], decorate: bool = True) -> str:
        personality = self.profile.personality
        if personality == "uncommunicative":
            return " ".join(short for _, short in parts[:2])
        body = " ".join(full for full, _ in parts)
        prefix = self.rng.choice(_PREFIX[personality]) if decorate else ""
        if personality == "talkative":
            body = body + " " + self.rng.choice(_TALK)
        return f"{prefix} {body}".strip()
