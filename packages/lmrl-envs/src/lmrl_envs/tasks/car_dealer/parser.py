"""A small rule-based parser of car-sale utterances: prices, discounts, brands, body types, features, intents.

Example:
    >>> u = parse_seller("This Toyota SUV has heated seats. MSRP is $40,000, but I can do 36k. Deal?")
    >>> u.brand, u.types, u.features, u.msrp, u.offer, u.closing
    ('Toyota', ('SUV',), ('heated seats',), 40000, 36000, True)
    >>> parse_money("$45,000, 45k or 45000 dollars")
    [45000, 45000, 45000]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SellerUtterance", "find_brands", "find_features", "find_types", "parse_money", "parse_seller"]

_MONEY = re.compile(
    r"(?P<dollar>\$)?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<mult>k|grand|thousand|million|m)\b)?"
    r"(?:\s?(?P<unit>dollars?|bucks|usd)\b)?",
    re.IGNORECASE,
)
_MULT = {"k": 1_000, "grand": 1_000, "thousand": 1_000, "million": 1_000_000, "m": 1_000_000}
_PERCENT = re.compile(r"(\d{1,2}(?:\.\d+)?)\s?(?:%|percent\b)", re.IGNORECASE)
_MSRP_CUE = re.compile(
    r"(msrp|list price|sticker|retail|originally|normally|usually|regular(ly)? price|valued at|worth|full price)\W*(\w+\W+){0,4}$",
    re.IGNORECASE,
)
_BUDGET_CUE = re.compile(r"budget\W*(\w+\W+){0,3}$", re.IGNORECASE)
_OFF_AFTER = re.compile(r"^\s*(off|discount|rebate|cheaper|less|savings?)\b", re.IGNORECASE)
_OFF_BEFORE = re.compile(r"\b(discount of|rebate of|save|saving|savings of|reduce it by|lower it by)\W*$", re.IGNORECASE)
_NEGATION = re.compile(r"\b(no|not|without|doesn't|does not|don't|lacks?|isn't|missing)\b(\W+\w+){0,3}\W*$", re.IGNORECASE)

_BRAND_WORDS = {
    "Volkswagen": r"volkswagen|vw", "Lexus": r"lexus", "Ford": r"ford", "Mazda": r"mazda", "Hyundai": r"hyundai",
    "Toyota": r"toyota", "Mercedes-Benz": r"mercedes(?:-benz)?|benz", "BMW": r"bmw", "Audi": r"audi",
    "Subaru": r"subaru", "Honda": r"honda", "Porsche": r"porsche", "Tesla": r"tesla",
}
_TYPE_WORDS = {
    "luxury": r"luxury|luxurious", "sedan": r"sedans?", "convertible": r"convertibles?|cabriolet",
    "truck": r"trucks?|pickups?|pick-ups?", "electric": r"electric|ev|evs", "SUV": r"suvs?|crossovers?",
}
_FEATURE_WORDS = {
    "backup camera": r"back-?up cam(?:era)?s?|rear(?:view|-view)? cam(?:era)?s?|reverse cam(?:era)?s?",
    "navigation system": r"navigation|nav system|gps",
    "heated seats": r"heated (?:front )?seats?|seat heaters?",
    "leather seats": r"leather",
    "third-row seating": r"third[- ]row|3rd[- ]row|seven[- ]seat(?:s|er)?|7[- ]seat(?:s|er)?",
    "blind spot monitoring": r"blind[- ]spot",
    "sunroof": r"sun ?roof|moon ?roof|panoramic roof",
    "Apple CarPlay": r"car ?play",
}


def _compile(words: dict[str, str]) -> list[tuple[str, re.Pattern]]:
    return [(k, re.compile(rf"\b(?:{v})\b", re.IGNORECASE)) for k, v in words.items()]


_BRANDS, _TYPES, _FEATURES = _compile(_BRAND_WORDS), _compile(_TYPE_WORDS), _compile(_FEATURE_WORDS)

_Q_BUDGET = re.compile(r"budget|price range|how much (?:are you|can you|do you|would you|were you)|afford|spend", re.I)
_Q_FEATURES = re.compile(r"features?|must-haves?|options|amenities|what do you need|anything else", re.I)
_Q_CAR = re.compile(
    r"what (?:kind|type|sort|make|brand) of|which (?:brand|make|model|type)|what (?:car|vehicle)|looking for|"
    r"what can i (?:help|do|show)|how can i help|interested in\?",
    re.I,
)
_CLOSING = re.compile(
    r"\bdeal\b|take it|buy it|sign|shall we|ready to (?:buy|purchase|go)|want it|sound good|what do you say|"
    r"how does that sound|purchase|sold\b",
    re.I,
)
_COMMON = re.compile(
    r"\b(hi|hello|hey|the|a|an|is|are|you|your|i|we|it|this|that|car|price|have|can|do|what|how|yes|no|ok|okay|"
    r"great|sure|please|thanks|thank|sorry|for|with|and|of|to|in|on|my|me|good|nice|day|today|welcome|buy|sell|"
    r"looking|help|model|new|used|drive|offer|sale|vehicle)\b",
    re.I,
)


@dataclass(frozen=True)
class SellerUtterance:
    """What the buyer understands of one seller line.

    Attributes:
        brand: the first brand named (``"Toyota"``), or None.
        types: body types named, in order.
        features: features said to be present; `missing` the ones said to be absent.
        msrp: the last amount cued as MSRP/list/sticker price.
        offer: the last other car price (an asking price or offer).
        percent_off: a percentage discount (``10.0`` for "10% off").
        dollars_off: a dollar discount ("$2,000 off").
        asks_budget, asks_features, asks_car: the seller asks about budget / features / wanted car.
        closing: the seller tries to close ("Do we have a deal?").
        understood: False when nothing recognisable was said (gibberish).
    """

    brand: str | None = None
    types: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    msrp: int | None = None
    offer: int | None = None
    percent_off: float | None = None
    dollars_off: int | None = None
    asks_budget: bool = False
    asks_features: bool = False
    asks_car: bool = False
    closing: bool = False
    understood: bool = True


def _money_matches(text: str) -> list[tuple[int, int, int]]:
    """(amount, start, end) of every amount that is money: with "$", "k"/"thousand" or "dollars"."""
    out = []
    for m in _MONEY.finditer(text):
        if not (m["dollar"] or m["mult"] or m["unit"]):
            continue
        if m["mult"] and m["mult"].lower() == "m" and not m["dollar"]:
            continue  # "5 m" is more likely metres than millions
        value = float(m["num"].replace(",", "")) * _MULT.get((m["mult"] or "").lower(), 1)
        if value >= 1e12:
            continue
        out.append((int(round(value)), m.start(), m.end()))
    return out


def parse_money(text: str) -> list[int]:
    """Every dollar amount in `text`, in order: "$45,000", "45k", "$4.5k", "45000 dollars", "45 grand".

    Example:
        >>> parse_money("It was $52,500; now $4.5k off, so 48 grand. Year 2021, 10% off.")
        [52500, 4500, 48000]
    """
    return [a for a, _, _ in _money_matches(text)]


def _find(patterns: list[tuple[str, re.Pattern]], text: str) -> list[tuple[str, int]]:
    hits = sorted((m.start(), k) for k, p in patterns for m in p.finditer(text))
    seen, out = set(), []
    for pos, k in hits:
        if k not in seen:
            seen.add(k)
            out.append((k, pos))
    return out


def find_brands(text: str) -> list[str]:
    """Brands named in `text`, in order of first mention (names without article)."""
    return [k for k, _ in _find(_BRANDS, text)]


def find_types(text: str) -> list[str]:
    """Body types named in `text`, in order of first mention."""
    return [k for k, _ in _find(_TYPES, text)]


def find_features(text: str) -> list[str]:
    """Features named in `text`, in order of first mention (negated or not)."""
    return [k for k, _ in _find(_FEATURES, text)]


def parse_seller(text: str) -> SellerUtterance:
    """Parse one seller line (see `SellerUtterance`)."""
    msrp = offer = dollars_off = None
    prev_end = 0
    for amount, start, end in _money_matches(text):
        before, after = text[max(prev_end, start - 40) : start], text[end : end + 20]
        prev_end = end
        if _OFF_AFTER.match(after) or _OFF_BEFORE.search(before):
            dollars_off = amount
        elif _BUDGET_CUE.search(before):
            continue
        elif _MSRP_CUE.search(before):
            msrp = amount
        else:
            offer = amount
    percent = None
    for m in _PERCENT.finditer(text):
        value = float(m.group(1))
        if 0 < value < 100:
            percent = value
    features, missing = [], []
    for name, pos in _find(_FEATURES, text):
        clause = re.split(r"[.;!?]", text[max(0, pos - 40) : pos])[-1]
        (missing if _NEGATION.search(clause) else features).append(name)
    brands, types = find_brands(text), find_types(text)
    question = "?" in text
    asks_budget = (question and bool(_Q_BUDGET.search(text))) or (offer is None and bool(re.search(r"\bbudget\b", text, re.I)))
    asks_features = question and bool(_Q_FEATURES.search(text))
    asks_car = question and bool(_Q_CAR.search(text))
    closing = bool(_CLOSING.search(text))
    understood = bool(
        brands or types or features or missing or msrp or offer or dollars_off or percent
        or asks_budget or asks_features or asks_car or closing or _COMMON.search(text)
    )
    return SellerUtterance(
        brand=brands[0] if brands else None,
        types=tuple(types),
        features=tuple(features),
        missing=tuple(missing),
        msrp=msrp,
        offer=offer,
        percent_off=percent,
        dollars_off=dollars_off,
        asks_budget=asks_budget,
        asks_features=asks_features,
        asks_car=asks_car,
        closing=closing,
        understood=understood,
    )
