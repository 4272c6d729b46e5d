"""The original's three scripted seller styles, as history -> utterance policies.

- ``"discount"``: loves to give discounts, never talks about features;
- ``"features"``: never gives discounts, talks a lot about features;
- ``"concise"``: never discounts, never mentions features, very concise.

A seller reads everything it needs (the wanted car, features, budget, its own last quote) back from
the seller-side history, so it keeps no state: `seller_utterance(style, history, rng)` is a pure
function of its arguments and `ScriptedSeller(style, seed)` seeds one generator per call from the seed
and the history text (same seed and history, same line).

Example:
    >>> from lmrl_envs.tasks.car_dealer import CarDealerEnv
    >>> env, seller = CarDealerEnv(), ScriptedSeller("concise", seed=0)
    >>> _ = env.reset(seed=3)
    >>> seller.act_one(env.history)
    'Hi. What car do you want?\\n'
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lmrl_envs.core import Text
from lmrl_envs.tasks.car_dealer.parser import find_brands, find_features, find_types, parse_money, parse_seller
from lmrl_envs.tasks.car_dealer.profile import BRANDS, FEATURES, TYPES, typical_msrp

__all__ = ["SELLER_STYLES", "ScriptedSeller", "seller_utterance"]

SELLER_STYLES = ("discount", "features", "concise")
_ARTICLE = {b.split(" ", 1)[1]: b for b in BRANDS}
_TYPE_NOUN = {"luxury": "luxury car", "electric": "electric car"}


@dataclass
class _View:
    """What a seller knows, read from the history."""

    turn: int = 0
    brand: str | None = None
    car_type: str | None = None
    features: list[str] = field(default_factory=list)
    budget: int | None = None
    asked_car: int = 0
    asked_budget: int = 0
    asked_features: int = 0
    msrp: int | None = None
    price: int | None = None
    offered_type: str | None = None
    offered_brand: str | None = None
    last_buyer: str = ""
    pitched: bool = False

    @property
    def needs_offer(self) -> bool:
        """No price on the table yet, or the buyer asked for another type or brand than offered."""
        return bool(self.price is None or (self.car_type and self.offered_type != self.car_type)
                    or (self.brand and self.offered_brand != self.brand))


def _lines(history: Sequence[Text] | str) -> list[tuple[bool, str]]:
    if isinstance(history, str):
        parts = history.split("\n")[1:-1]
        return [(i % 2 == 0, p) for i, p in enumerate(parts)]
    return [(t.is_action, t.text.strip()) for t in list(history)[1:]]


def _read(history: Sequence[Text] | str) -> _View:
    v = _View()
    for is_seller, line in _lines(history):
        if is_seller:
            v.turn += 1
            low = line.lower()
            v.asked_car += "what car" in low or "looking for" in low or "car type" in low
            v.asked_budget += "budget" in low
            v.asked_features += "features" in low
            v.pitched = v.pitched or "come with" in low
            u = parse_seller(line)
            if u.msrp is not None:
                v.msrp = u.msrp
            if u.offer is not None:
                v.price = u.offer
            if u.types:
                v.offered_type = u.types[-1]
            if u.brand:
                v.offered_brand = u.brand
            continue
        v.last_buyer = line
        brands, types = find_brands(line), find_types(line)
        if brands:
            v.brand = brands[0]
        if types:
            v.car_type = types[0]
        for f in find_features(line):
            if f not in v.features:
                v.features.append(f)
        amounts = parse_money(line)
        if amounts and ("budget" in line.lower() or "max" in line.lower() or re.fullmatch(r"\$[\d,]+\.", line)):
            v.budget = amounts[-1]
    return v


def _car(v: _View, rng: random.Random) -> tuple[str, str]:
    brand = v.brand or v.offered_brand or rng.choice(BRANDS).split(" ", 1)[1]
    car_type = v.car_type or v.offered_type or rng.choice(TYPES)
    return brand, car_type


def _name(brand: str, car_type: str) -> str:
    return f"{_ARTICLE[brand]} {_TYPE_NOUN.get(car_type, car_type)}"


def _round(x: float, step: int = 500) -> int:
    return int(round(x / step)) * step


def _gather(v: _View, concise: bool) -> str | None:
    """Ask for the wanted car and the budget (twice at most each)."""
    if v.car_type is None and v.asked_car < 2:
        return "What car do you want?" if concise else "What kind of car are you looking for?"
    if v.budget is None and v.asked_budget < 2:
        return "Budget?" if concise else "What's your budget?"
    return None


def _discount(v: _View, rng: random.Random) -> str:
    if v.turn == 0:
        return "Hi there! " + rng.choice(["What kind of car are you looking for?", "What are you looking for today?"])
    ask = _gather(v, concise=False)
    if ask:
        return ask
    brand, car_type = _car(v, rng)
    if v.needs_offer:
        base = v.budget or typical_msrp(brand, car_type)
        msrp = _round(base * rng.uniform(1.1, 1.35), 1000)
        price = _round(msrp * 0.9)
        return (f"I have {_name(brand, car_type)} with an MSRP of ${msrp:,}, and I can take 10% off for you, "
                f"so ${price:,}. How does that sound?")
    floor = _round((v.msrp or v.price) * 0.7)
    if v.price <= floor:
        return f"${v.price:,} is my absolute best price. Do we have a deal?"
    pct = rng.choice([5, 8, 10])
    price = max(floor, _round(v.price * (1 - pct / 100)))
    return rng.choice([
        f"Okay, I can take another {pct}% off: ${price:,}. Do we have a deal?",
        f"Tell you what, I'll knock it down to ${price:,}. Deal?",
    ])


def _features(v: _View, rng: random.Random) -> str:
    if v.turn == 0:
        return "Welcome! What kind of car are you looking for, and which features matter most to you?"
    if not v.features and v.asked_features < 1:
        return "What features are you looking for in your next car?"
    ask = _gather(v, concise=False)
    if ask:
        return ask
    brand, car_type = _car(v, rng)
    extras = [f for f in FEATURES if f not in v.features]
    if v.price is None and not v.pitched:
        listed = v.features + rng.sample(extras, k=min(2, len(extras)))
        return (f"Great choice! Our {brand} {_TYPE_NOUN.get(car_type, car_type)} models come with {', '.join(listed)}, "
                "and they have excellent safety ratings.")
    if v.needs_offer:
        listed = v.features + rng.sample(extras, k=min(2, len(extras)))
        base = v.budget or typical_msrp(brand, car_type)
        price = _round(base * rng.uniform(0.98, 1.1))
        return f"This {brand} {_TYPE_NOUN.get(car_type, car_type)} comes with {', '.join(listed)}. It's priced at ${price:,}."
    extra = rng.choice(extras) if extras else "excellent safety ratings"
    said = ", ".join(v.features) or "great features"
    return rng.choice([
        f"The price of ${v.price:,} is firm, but remember it has {said}, plus a {extra}. Shall we sign?",
        f"I can't go lower than ${v.price:,}, but with {said} it's worth every penny. Do we have a deal?",
    ])


def _concise(v: _View, rng: random.Random) -> str:
    if v.turn == 0:
        return "Hi. What car do you want?"
    ask = _gather(v, concise=True)
    if ask:
        return ask
    brand, car_type = _car(v, rng)
    if v.needs_offer:
        base = v.budget or typical_msrp(brand, car_type)
        price = _round(base * rng.choice([0.9, 0.95, 1.0, 1.05]))
        return f"{brand} {car_type}, ${price:,}. Deal?"
    return f"${v.price:,}. Final. Deal?"


_STYLES = {"discount": _discount, "features": _features, "concise": _concise}


def seller_utterance(style: str, history: Sequence[Text] | str, rng: random.Random) -> str:
    """The next seller line (with its newline) for a seller-side history.

    Args:
        style: one of `SELLER_STYLES`.
        history: the env's history (tuple of `Text`) or its joined text.
        rng: chooses numbers and wordings.
    """
    if style not in _STYLES:
        raise ValueError(f"seller style must be one of {list(SELLER_STYLES)}, got {style!r}")
    return _STYLES[style](_read(history), rng) + "\n"


class ScriptedSeller:
    """A seller style as a policy function ``histories -> actions`` (usable with `lmrl_envs.rollout`).

    Args:
        style: one of `SELLER_STYLES`.
        seed: with the history text, seeds the generator of each call.
    """

    def __init__(self, style: str, seed: int = 0):
        if style not in _STYLES:
            raise ValueError(f"seller style must be one of {list(SELLER_STYLES)}, got {style!r}")
        self.style, self.seed = style, seed

    def act_one(self, history: Sequence[Text] | str) -> str:
        text = history if isinstance(history, str) else "".join(t.text for t in history)
        return seller_utterance(self.style, history, random.Random(f"{self.style}/{self.seed}/{text}"))

    def __call__(self, histories: Sequence[Sequence[Text] | str]) -> list[str]:
        return [self.act_one(h) for h in histories]
