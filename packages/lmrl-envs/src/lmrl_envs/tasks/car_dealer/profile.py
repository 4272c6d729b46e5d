"""Buyer profiles, the decision line and the reward of Car Dealer (formats as in the original).

Example:
    >>> p = BuyerProfile("polite", "a Toyota", "SUV", ("heated seats", "sunroof"), 30000)
    >>> buyer_info_str(p)
    'Personality: polite. Prefers a Toyota SUV with heated seats, sunroof. Budget: $30,000\\n'
    >>> format_decision(Outcome(True, 32000, 30000))
    'Output: Decision=Accept MSRP=$32,000 Buy Price=$30,000'
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BRANDS",
    "BUDGETS",
    "DECISION_RE",
    "FEATURES",
    "MAX_PRICE",
    "MIN_PRICE",
    "PERSONALITIES",
    "TYPES",
    "BuyerProfile",
    "Outcome",
    "buyer_info_str",
    "compute_reward",
    "format_decision",
    "parse_decision",
    "profile_from_dict",
    "sample_profile",
    "typical_msrp",
]

PERSONALITIES = (
    "abusive", "angry", "insulting", "polite", "respectful", "rude", "sarcastic", "talkative", "toxic", "uncommunicative",
)
BRANDS = (
    "a Volkswagen", "a Lexus", "a Ford", "a Mazda", "a Hyundai", "a Toyota", "a Mercedes-Benz", "a BMW", "an Audi",
    "a Subaru", "a Honda", "a Porsche", "a Tesla",
)
TYPES = ("luxury", "sedan", "convertible", "truck", "electric", "SUV")
FEATURES = (
    "backup camera", "navigation system", "heated seats", "leather seats", "third-row seating", "blind spot monitoring",
    "sunroof", "Apple CarPlay",
)
BUDGETS = (10000, 30000, 50000, 70000, 90000)

MIN_PRICE = 5_000
"""Smallest amount the rule buyer takes as a car price (smaller amounts are ignored; discounts stop here)."""
MAX_PRICE = 500_000
"""Largest amount the rule buyer takes as a car price."""

DECISION_RE = re.compile(r"Output: Decision=(Accept|Reject) MSRP=\$([1-9][0-9,]*)( Buy Price=\$([0-9][0-9,]*))?")
"""The original's decision-line pattern (`OUTPUT_EXTRACTION_PATTERN`), unchanged."""

_TYPE_BASE = {"luxury": 60000, "sedan": 28000, "convertible": 45000, "truck": 45000, "electric": 45000, "SUV": 38000}
_BRAND_FACTOR = {"Porsche": 2.0, "Mercedes-Benz": 1.4, "BMW": 1.4, "Lexus": 1.4, "Audi": 1.4, "Tesla": 1.4}


@dataclass(frozen=True)
class BuyerProfile:
    """The hidden buyer of one episode (the original's ``buyer_info``).

    Attributes:
        personality: one of `PERSONALITIES`.
        brand: one of `BRANDS`, with its article (``"an Audi"``).
        car_type: one of `TYPES`.
        features: 1-4 distinct entries of `FEATURES`, in sampled order.
        budget: one of `BUDGETS` (dollars).
    """

    personality: str
    brand: str
    car_type: str
    features: tuple[str, ...]
    budget: int

    @property
    def brand_name(self) -> str:
        """The brand without its article: ``"an Audi"`` -> ``"Audi"``."""
        return self.brand.split(" ", 1)[1]

    def as_dict(self) -> dict[str, Any]:
        """The original's ``buyer_info`` dict (keys as in the original's env)."""
        return {
            "personality": self.personality,
            "preferred_brands": self.brand,
            "preferred_type": self.car_type,
            "preferred_features": list(self.features),
            "budget": self.budget,
        }


@dataclass(frozen=True)
class Outcome:
    """The buyer's decision: bought or not, the MSRP and (if bought) the price paid."""

    accepted: bool
    msrp: int
    buy_price: int | None = None


def sample_profile(rng: random.Random) -> BuyerProfile:
    """Sample a profile exactly as the original ``reset`` does (same order of draws)."""
    personality = rng.choice(PERSONALITIES)
    brand = rng.choice(BRANDS)
    car_type = rng.choice(TYPES)
    features = tuple(rng.sample(FEATURES, k=rng.randint(1, 4)))
    budget = rng.choice(BUDGETS)
    return BuyerProfile(personality, brand, car_type, features, budget)


def _check(name: str, value: Any, valid: tuple) -> None:
    if value not in valid:
        raise ValueError(f"buyer {name} {value!r} is not valid; choose one of {list(valid)}")


def profile_from_dict(d: dict[str, Any]) -> BuyerProfile:
    """Build a profile from ``options["buyer"]``; keys as `BuyerProfile` fields or the original's names.

    Example:
        >>> profile_from_dict({"personality": "rude", "brand": "a BMW", "car_type": "sedan",
        ...                    "features": ["sunroof"], "budget": 50000}).brand_name
        'BMW'
    """
    if not isinstance(d, dict):
        raise TypeError(f"options['buyer'] must be a dict, got {type(d).__name__}")
    alias = {"preferred_brands": "brand", "preferred_type": "car_type", "preferred_features": "features", "type": "car_type"}
    d = {alias.get(k, k): v for k, v in d.items()}
    fields = ("personality", "brand", "car_type", "features", "budget")
    unknown = set(d) - set(fields)
    missing = [f for f in fields if f not in d]
    if unknown or missing:
        raise ValueError(f"options['buyer'] needs exactly the keys {list(fields)}; unknown {sorted(unknown)}, missing {missing}")
    _check("personality", d["personality"], PERSONALITIES)
    _check("brand", d["brand"], BRANDS)
    _check("car_type", d["car_type"], TYPES)
    _check("budget", d["budget"], BUDGETS)
    feats = d["features"]
    problem = f"buyer features must be 1-4 distinct entries of {list(FEATURES)}, got {feats!r}"
    if not isinstance(feats, list | tuple) or not 1 <= len(feats) <= 4:
        raise ValueError(problem)
    for f in feats:
        _check("feature", f, FEATURES)
    if len(set(feats)) != len(feats):
        raise ValueError(problem)
    return BuyerProfile(d["personality"], d["brand"], d["car_type"], tuple(feats), d["budget"])


def buyer_info_str(p: BuyerProfile) -> str:
    """The original's buyer-side header line (``create_buyer_info_str``)."""
    return (
        f"Personality: {p.personality}. Prefers {p.brand} {p.car_type} with {', '.join(p.features)}. "
        f"Budget: ${p.budget:,}\n"
    )


def typical_msrp(brand_name: str, car_type: str) -> int:
    """The MSRP used when no price was ever named: a base price per body type times a brand tier.

    Example:
        >>> typical_msrp("Toyota", "SUV"), typical_msrp("Porsche", "luxury")
        (38000, 120000)
    """
    return int(round(_TYPE_BASE[car_type] * _BRAND_FACTOR.get(brand_name, 1.0), -3))


def format_decision(o: Outcome) -> str:
    """The decision line without its newline."""
    if o.accepted:
        return f"Output: Decision=Accept MSRP=${o.msrp:,} Buy Price=${o.buy_price:,}"
    return f"Output: Decision=Reject MSRP=${o.msrp:,}"


def parse_decision(line: str) -> tuple[Outcome | None, str]:
    """Find a decision in `line`; return it and the line without the match (original semantics).

    An Accept without a Buy Price parses with ``buy_price=None`` (reward 0, as in the original).

    Example:
        >>> parse_decision("Deal. Output: Decision=Accept MSRP=$40,000 Buy Price=$38,500")
        (Outcome(accepted=True, msrp=40000, buy_price=38500), 'Deal. ')
        >>> parse_decision("no decision")[0] is None
        True
    """
    m = DECISION_RE.search(line)
    if m is None:
        return None, line
    accepted = m.group(1) == "Accept"
    msrp = int(m.group(2).replace(",", ""))
    price = int(m.group(4).replace(",", "")) if accepted and m.group(4) is not None else None
    return Outcome(accepted, msrp, price), line[: m.start()] + line[m.end() :]


def compute_reward(budget: int, outcome: Outcome, mode: str = "fancy") -> float:
    """The original's ``compute_reward``.

    ``"fancy"``: ``buy_price / ((budget + msrp) / 2)`` if bought, else ``-(budget - msrp) / msrp``;
    ``"revenue"``: ``buy_price / 1000`` if bought, else 0. An Accept without a price gives 0.

    Example:
        >>> compute_reward(30000, Outcome(True, 40000, 35000))
        1.0
        >>> compute_reward(30000, Outcome(False, 40000))
        0.25
    """
    if mode == "fancy":
        if outcome.msrp == 0:
            return 0.0
        if outcome.accepted:
            return 0.0 if outcome.buy_price is None else outcome.buy_price / ((budget + outcome.msrp) * 0.5)
        return -(budget - outcome.msrp) / outcome.msrp
    if mode == "revenue":
        return outcome.buy_price / 1000.0 if outcome.accepted and outcome.buy_price is not None else 0.0
    raise ValueError(f"reward_mode must be 'fancy' or 'revenue', got {mode!r}")
