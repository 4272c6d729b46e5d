"""Facts and sentences of the rule-based oracle: predicate evaluation, open answers, the leak check."""

from __future__ import annotations

from typing import Any

from lmrl_envs.tasks.guess_my_city import lexicon as lx
from lmrl_envs.tasks.guess_my_city.cities import COUNTRIES, City, fold

__all__ = ["REFUSAL", "core", "holds", "leaks", "open_answer"]

REFUSAL = "I can't tell you that; you have to guess.\n"

_REGION_NAMES = tuple(sorted({f" {k} " for k in (*lx.CONTINENTS, *lx.REGIONS) if " " in k}, key=len, reverse=True))


def leaks(text: str, city: City, allowed: str = "") -> bool:
    """True when `text` names the city or its country (any alias) and `allowed` does not.

    Example:
        >>> from lmrl_envs.tasks.guess_my_city.cities import find_city
        >>> leaks("It is in Brazil.", find_city("Rio")), leaks("It is hot.", find_city("Rio"))
        (True, False)
    """
    folded, ok = f" {fold(text)} ", f" {fold(allowed)} "
    for region in _REGION_NAMES:  # "North America" does not name the USA (alias "America")
        folded = folded.replace(region, " ")
    country = COUNTRIES[city.country]
    return any(
        f" {fold(n)} " in folded and f" {fold(n)} " not in ok for n in (*city.names, country.name, *country.aliases)
    )


def core(name: str, drop: tuple[str, ...]) -> str:
    words = [w for w in fold(name).split() if w not in drop]
    return " ".join(words)


def holds(city: City, kind: str, v: Any) -> bool:
    country = COUNTRIES[city.country]
    if kind == "country":
        return city.country in v
    if kind == "continent":
        conts = set(city.continents)
        return (
            bool(conts & v)
            or ("America*" in v and bool(conts & {"North America", "South America"}))
            or ("Eurasia*" in v and bool(conts & {"Europe", "Asia"}))
        )
    if kind == "region":
        regions = set(city.all_regions) | set(city.continents)
        return bool(regions & v) or ("Far East*" in v and bool(regions & {"East Asia", "Southeast Asia"}))
    if kind == "language":
        return bool(set(city.languages) & v)
    if kind == "sport":
        return bool(set(city.sports) & v)
    if kind == "religion":
        return bool(set(country.religions) & v)
    if kind == "province":
        return fold(city.province) in v
    if kind == "river":
        return fold(city.river) in v if v != {True} else bool(city.river)
    if kind == "water":
        return bool({fold(w) for w in city.water} & v)
    if kind == "landmark":
        return bool({core(lm, ("the",)) for lm in city.landmarks} & v)
    if kind == "food":
        foods = [f" {fold(f)} " for f in city.foods]
        return any(f" {x} " in f for x in v for f in foods)
    if kind == "landmark_noun":
        text = " ".join(fold(lm) for lm in city.landmarks)
        return any(any(s in text for s in lx.LANDMARK_NOUNS[n]) for n in v)
    if kind == "eu":
        return country.eu
    if kind in ("monarchy", "communist"):
        return kind in country.tags
    if kind == "island":
        return city.on_island
    if kind == "city_state":
        return fold(city.name) == fold(city.country)
    if kind == "culture":
        return bool({core(x, ("the",)) for x in city.culture} & v)
    if kind == "coastal":
        return city.coastal in v
    flags = {
        "capital": city.capital,
        "near_water": city.coastal or bool(city.river),
        "hot": city.hot,
        "snow": city.snow,
        "humid": city.climate in ("tropical", "subtropical"),
        "rainy": city.climate in ("tropical", "subtropical", "oceanic"),
        "temperate": city.climate in ("subtropical", "oceanic", "mediterranean", "highland"),
        "highland": city.climate == "highland"
        or any(w in fold(lm).split() for lm in city.landmarks for w in ("mountain", "mount", "hill", "volcano")),
        "tropics": abs(city.lat) <= 23.44,
        "equator": abs(city.lat) <= 10,
        "spicy": any(s in fold(f) for f in city.foods for s in lx.SPICY_FOODS),
    }
    if kind in flags:
        return flags[kind] in v
    if kind == "climate":
        return city.climate in v
    if kind == "lat":
        return ("S" if city.lat < 0 else "N") in v
    if kind == "lon":
        return ("W" if city.lon < 0 else "E") in v
    if kind == "pop_ge":
        return city.population >= max(v)
    if kind == "pop_lt":
        return city.population < min(v)
    raise KeyError(f"unknown predicate {kind!r}")


_CLIMATE_TEXT = {
    "tropical": "a hot, humid tropical climate",
    "arid": "a dry, arid climate with little rain",
    "mediterranean": "a Mediterranean climate with dry summers and mild, wet winters",
    "subtropical": "a humid subtropical climate with hot summers",
    "oceanic": "a mild oceanic climate with frequent rain",
    "continental": "a continental climate with warm summers and cold winters",
    "highland": "a mild highland climate, since it lies at high altitude",
}


def _pick(items: tuple[str, ...], city: City, question: str) -> str | None:
    safe = [x for x in items if not leaks(x, city)]
    if not safe:
        return None
    second = bool(set(fold(question).split()) & {"another", "other", "else", "second", "more"})
    return safe[min(int(second), len(safe) - 1)]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def open_answer(city: City, topic: str, question: str = "") -> str:
    """The sentence answering an open question on `topic`; it never names the city or its country."""
    country = COUNTRIES[city.country]
    if topic == "language":
        text = f"People there mostly speak {_join(list(city.languages))}."
    elif topic == "climate":
        text = f"It has {_CLIMATE_TEXT[city.climate]}."
        if city.snow:
            text += " It snows in winter."
        if city.hot and city.climate not in ("tropical",):
            text += " It is hot for much of the year."
    elif topic == "food":
        food = _pick(city.foods, city, question)
        text = f"A famous dish there is {food}." if food else "The local food is famous."
    elif topic == "landmark":
        lm = _pick(city.landmarks, city, question)
        text = f"A famous landmark there is {lm}." if lm else "It has several famous landmarks."
    elif topic == "sport":
        sport = _pick(city.sports, city, question) or "football"
        text = f"{sport[0].upper()}{sport[1:]} is very popular there."
    elif topic == "continent":
        conts = city.continents
        text = f"It is in {conts[0]}." if len(conts) == 1 else f"It lies in both {conts[0]} and {conts[1]}."
    elif topic == "region":
        region, conts = city.all_regions[0], " and ".join(city.continents)
        text = f"It is in {region}." if region in conts or region == "Oceania" else f"It is in {region}, in {conts}."
    elif topic == "population":
        text = f"Its metropolitan area has {city.population_bucket} people."
    elif topic == "river":
        river = city.river if city.river and not leaks(city.river, city) else ""
        if river:
            text = f"It lies on the {river}."
        else:
            text = "It lies on a river." if city.river else "It is not on a major river."
    elif topic == "coast":
        water = _pick(city.water, city, "") if city.water else None
        if water:
            text = f"It is on the coast of the {water}."
        else:
            text = "It is on the coast." if city.water else "It is inland, not on the coast."
    elif topic == "hemisphere":
        ew = "western" if city.lon < 0 else "eastern"
        text = f"It is in the {city.hemisphere} and {ew} hemispheres."
    elif topic == "religion":
        rel = country.religions
        if not rel:
            text = "Religion plays a small public role there."
        elif len(rel) == 1:
            text = f"Most people there follow {rel[0]}."
        else:
            text = f"The main religions there are {_join(list(rel))}."
    elif topic == "famous":
        lm, food = _pick(city.landmarks, city, question), _pick(city.foods, city, question)
        culture = _pick(city.culture, city, question) if city.culture else None
        text = f"It is known for {culture + ', ' if culture else ''}{lm or 'its landmarks'} and {food or 'its food'}."
    else:
        return REFUSAL
    return text + "\n"
