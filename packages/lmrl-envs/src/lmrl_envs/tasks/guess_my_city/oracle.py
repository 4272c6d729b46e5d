"""Guess My City oracles: the deterministic rule-based one and the pluggable language-model one.

Both answer ``answer(city, question) -> Reply``. The rule-based oracle folds the question (lower
case, no accents, no punctuation), finds known phrases by longest match (city names and aliases,
countries, demonyms, continents, regions, languages, sports, religions, rivers, seas, landmarks,
dishes) and keywords (capital, coast, hot, snow, hemisphere, population, ...), and then:

* a question naming exactly one city is a **guess** (right when it names the hidden city and any
  country or province it adds is the city's); naming two or more cities is not understood;
* a question starting with a wh-word is **open**: its topic gets a short sentence from the
  knowledge base that never names the city or its country;
* any other question is **yes/no**: every recognised condition must hold for "Yes." (several
  values of one kind, "Asia or Europe", need only one to hold); a negation is read as the
  positive question;
* nothing recognised: "No." with ``understood=False``, as the original answered unknown input.

Example:
    >>> from lmrl_envs.tasks.guess_my_city.cities import find_city
    >>> oracle = RulesOracle()
    >>> oracle.answer(find_city("Paris"), "Do people speak French there?").text
    'Yes.\\n'
    >>> oracle.answer(find_city("Paris"), "What is a famous landmark?").text
    'A famous landmark there is the Eiffel Tower.\\n'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, NamedTuple

from lmrl_envs.tasks.guess_my_city import lexicon as lx
from lmrl_envs.tasks.guess_my_city.answers import REFUSAL, core, holds, leaks, open_answer
from lmrl_envs.tasks.guess_my_city.cities import CITIES, COUNTRIES, City, fold

__all__ = [
    "LM_PROMPT",
    "REFUSAL",
    "LMOracle",
    "Parsed",
    "Reply",
    "RulesOracle",
    "default_oracle",
    "leaks",
    "open_answer",
]

LM_PROMPT = "Answer the question about the city truthfully.\n    object: {word}\n    question: {question}\n    answer: "
"""The original env's oracle prompt (``guess_city/env/oracle.py:get_t5_oracle_prompt``), byte for byte."""


class Reply(NamedTuple):
    """An oracle answer: the observation text and how the question was read."""

    text: str
    understood: bool
    kind: str  # "guess", "yes_no", "open" or "unknown"
    success: bool = False


class Parsed(NamedTuple):
    """A question read independently of the hidden city (cached)."""

    kind: str
    city: int = -1
    places: frozenset = frozenset()
    preds: tuple = ()
    topic: str = ""
    other: bool = False


class RulesOracle:
    """The rule-based oracle over a list of cities (default: the 100 of `CITIES`)."""

    max_phrase = 6

    def __init__(self, cities: list[City] | None = None):
        self.cities = list(cities if cities is not None else CITIES)
        self._phrases: dict[str, list[tuple[str, Any]]] = {}
        self._caps: dict[str, list[tuple[str, Any]]] = {}
        self._build()
        self.parse = lru_cache(maxsize=1 << 16)(self._parse)

    # ------------------------------------------------------------------ phrase table
    def _add(self, phrase: str, kind: str, value: Any) -> None:
        raw = unicodedata.normalize("NFKD", phrase).replace(".", "")
        if len(raw) <= 2 and raw.isupper():  # "LA", "US", "HK": case-sensitive, else they collide with words
            self._caps.setdefault(raw, []).append((kind, value))
            return
        key = fold(phrase)
        if key and (kind, value) not in self._phrases.get(key, []):
            self._phrases.setdefault(key, []).append((kind, value))

    def _build(self) -> None:
        add = self._add
        for i, c in enumerate(self.cities):
            for n in c.names:
                add(n, "city", i)
            if c.province:
                add(c.province, "province", fold(c.province))
            if c.river:
                add(c.river, "river", fold(c.river))
                add(core(c.river, ("river", "the")), "river", fold(c.river))
            for w in c.water:
                add(w, "water", fold(w))
                short = core(w, ("ocean", "the"))
                if short not in ("sea", "mediterranean"):
                    add(short, "water", fold(w))
            for lm in c.landmarks:
                add(core(lm, ("the",)), "landmark", core(lm, ("the",)))
            for f in c.foods:
                add(f, "food", fold(f))
            for x in c.culture:
                add(core(x, ("the",)), "culture", core(x, ("the",)))
        keywords = set().union(*(s.split() for s in self._keyword_table()))
        for c in self.cities:
            for f in c.foods:
                for w in fold(f).split():
                    if len(w) >= 4 and w not in lx.FOOD_STOPWORDS and w not in keywords and w not in self._phrases:
                        add(w, "food", w)
        for country in COUNTRIES.values():
            for n in (country.name, *country.aliases):
                add(n, "country", country.name)
            for d in country.demonyms:
                add(d, "demonym", (country.name,))
        add("Korean", "demonym", ("South Korea", "North Korea"))
        add("Mediterranean", "water", "mediterranean sea")
        add("Mediterranean", "climate", "mediterranean")
        for n in lx.OTHER_COUNTRIES.split(";"):
            add(n.strip(), "country", "?" + n.strip())
        for d in lx.OTHER_DEMONYMS.split(";"):
            add(d.strip(), "demonym", ("?",))
        for table, kind in (
            (lx.CONTINENTS, "continent"),
            (lx.REGIONS, "region"),
            (lx.LANGUAGES, "language"),
            (lx.SPORTS, "sport"),
            (lx.RELIGIONS, "religion"),
        ):
            for k, v in table.items():
                add(k, kind, v)
        for k in ("european union", "eu", "EU"):
            add(k, "eu", True)
        for k in (
            "amazon",
            "mississippi",
            "rhine",
            "volga",
            "mekong",
            "euphrates",
            "zambezi",
            "indus",
            "orinoco",
            "parana",
            "colorado river",
            "elbe",
            "loire",
            "rio grande",
            "st lawrence",
        ):
            add(k, "river", "?" + k)
        for k in ("red sea", "persian gulf", "north sea", "caribbean sea", "arctic ocean", "arabian gulf"):
            add(k, "water", "?" + k)
        for k in ("west coast", "east coast"):
            add(k, "coastal", True)
        for k in ("city state", "city country"):
            add(k, "city_state", True)
        for k in ("island nation", "island country"):
            add(k, "island", True)

    @staticmethod
    def _keyword_table() -> dict[str, tuple]:
        # fmt: off
        return {
            "capital": ("capital", True), "coast": ("coastal", True), "coastal": ("coastal", True),
            "ocean": ("coastal", True), "sea": ("coastal", True), "seaside": ("coastal", True),
            "beach": ("coastal", True), "beaches": ("coastal", True), "port": ("coastal", True),
            "harbor": ("coastal", True), "harbour": ("coastal", True), "seaport": ("coastal", True),
            "shore": ("coastal", True), "waterfront": ("coastal", True), "landlocked": ("coastal", False),
            "inland": ("coastal", False), "water": ("near_water", True), "river": ("river", True),
            "rivers": ("river", True), "hot": ("hot", True), "warm": ("hot", True), "heat": ("hot", True),
            "cold": ("snow", True), "snow": ("snow", True), "snowy": ("snow", True), "snows": ("snow", True),
            "freezing": ("snow", True), "chilly": ("snow", True), "frozen": ("snow", True), "icy": ("snow", True),
            "tropical": ("climate", frozenset({"tropical"})), "tropics": ("tropics", True),
            "dry": ("climate", frozenset({"arid"})), "desert": ("climate", frozenset({"arid"})),
            "arid": ("climate", frozenset({"arid"})), "humid": ("humid", True), "humidity": ("humid", True),
            "muggy": ("humid", True), "rain": ("rainy", True), "rainy": ("rainy", True), "rains": ("rainy", True),
            "wet": ("rainy", True), "monsoon": ("rainy", True), "rainfall": ("rainy", True),
            "temperate": ("temperate", True), "mild": ("temperate", True), "continental": ("climate", frozenset({"continental"})),
            "oceanic": ("climate", frozenset({"oceanic"})), "maritime": ("climate", frozenset({"oceanic"})),
            "mountain": ("highland", True), "mountains": ("highland", True), "mountainous": ("highland", True),
            "altitude": ("highland", True), "elevation": ("highland", True), "highland": ("highland", True),
            "highlands": ("highland", True), "plateau": ("highland", True), "megacity": ("pop_ge", 10.0),
            "megalopolis": ("pop_ge", 10.0), "huge": ("pop_ge", 10.0), "enormous": ("pop_ge", 10.0),
            "massive": ("pop_ge", 10.0), "big": ("pop_ge", 0.0), "large": ("pop_ge", 0.0),
            "populous": ("pop_ge", 0.0), "crowded": ("pop_ge", 0.0), "small": ("pop_lt", 0.0),
            "tiny": ("pop_lt", 0.0), "spicy": ("spicy", True), "equator": ("equator", True),
            "island": ("island", True), "islands": ("island", True), "monarchy": ("monarchy", True),
            "king": ("monarchy", True), "queen": ("monarchy", True), "royal": ("monarchy", True),
            "kingdom": ("monarchy", True), "emperor": ("monarchy", True), "communist": ("communist", True),
            "communism": ("communist", True), "socialist": ("communist", True), "largest": ("largest", True),
            "biggest": ("largest", True),
        }
        # fmt: on

    # ------------------------------------------------------------------ parsing
    def _match(self, question: str) -> tuple[list[tuple[str, Any]], list[str]]:
        """Longest-match known phrases; returns (entries, leftover words)."""
        tokens = fold(question).split()
        entries: list[tuple[str, Any]] = []
        rest: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.max_phrase, len(tokens) - i), 0, -1):
                hit = self._phrases.get(" ".join(tokens[i : i + n]))
                if hit:
                    entries.extend((k, v, " ".join(tokens[i : i + n])) for k, v in hit)
                    i += n
                    break
            else:
                rest.append(tokens[i])
                i += 1
        if self._caps:
            raw = unicodedata.normalize("NFKD", question).replace(".", "")
            for word in re.findall(r"[A-Za-z]+", raw):
                for k, v in self._caps.get(word, ()):
                    entries.append((k, v, word))
        return entries, rest

    def _parse(self, question: str) -> Parsed:
        entries, rest = self._match(question)
        words = set(rest) | {p for _, _, p in entries}
        all_tokens = fold(question).split()
        cities = {v for k, v, _ in entries if k == "city"}
        if cities:
            if len(cities) > 1:
                return Parsed("unknown", other=True)
            places = frozenset(v for k, v, _ in entries if k in ("country", "province"))
            return Parsed("guess", city=cities.pop(), places=places)
        head = [t for t in all_tokens[:4] if t not in ("so", "and", "ok", "okay", "then", "well", "hmm", "can", "you")]
        if head and (head[0] in lx.WH_STARTS or any(t in ("what", "which", "how", "where") for t in all_tokens[:4])):
            topic = self._topic(words, entries)
            return Parsed("open", topic=topic) if topic else Parsed("unknown")
        preds = self._preds(entries, rest, words)
        return Parsed("yes_no", preds=preds) if preds else Parsed("unknown")

    @staticmethod
    def _topic(words: set[str], entries: list) -> str:
        kinds = {k for k, _, _ in entries}
        tests = [
            ("language", lx.LANGUAGE_CONTEXT),
            (
                "climate",
                {
                    "weather",
                    "climate",
                    "temperature",
                    "temperatures",
                    "seasons",
                    "season",
                    "rain",
                    "hot",
                    "cold",
                    "warm",
                    "winter",
                    "summer",
                    "winters",
                    "summers",
                },
            ),
            ("food", lx.FOOD_CONTEXT),
            (
                "landmark",
                {
                    "landmark",
                    "landmarks",
                    "monument",
                    "monuments",
                    "attraction",
                    "attractions",
                    "sights",
                    "sightseeing",
                    "visit",
                    "see",
                    "building",
                    "buildings",
                    "tourist",
                    "tourists",
                    *lx.LANDMARK_NOUNS,
                },
            ),
            ("sport", {"sport", "sports", "team", "teams", "game", "games", "play", "played"}),
            ("continent", {"continent"}),
            ("river", {"river", "rivers"}),
            ("coast", {"sea", "ocean", "coast", "water", "beach", "beaches"}),
            ("hemisphere", {"hemisphere", "equator"}),
            ("religion", {"religion", "religious", "worship", "faith", "god", "gods"}),
            ("population", {"population", "many", "big", "large", "size", "inhabitants", "populated"}),
            ("region", {"region", "part", "area", "where", "located", "location", "wheres"}),
            ("famous", {"famous", "known", "special", "unique", "interesting", "popular"}),
            ("identity", {"country", "name", "called", "city", "nation", "capital"}),
        ]
        if "food" in kinds and not words & lx.LANGUAGE_CONTEXT:
            return "food"
        for topic, keys in tests:
            if words & keys:
                return topic
        return ""

    def _preds(self, entries: list, rest: list[str], words: set[str]) -> tuple:
        by_kind: dict[str, set] = {}
        lang_context = bool(words & lx.LANGUAGE_CONTEXT)
        climate_context = bool(words & {"climate", "weather"})
        food_context = bool(words & lx.FOOD_CONTEXT)
        phrase_kinds: dict[str, set[str]] = {}
        for k, _, p in entries:
            phrase_kinds.setdefault(p, set()).add(k)
        for k, v, p in entries:
            kinds = phrase_kinds[p]
            if k == "language" and "demonym" in kinds and not lang_context:
                continue
            if k == "demonym" and "language" in kinds and lang_context:
                continue
            if k == "demonym" and "food" in kinds and food_context:
                continue
            if k == "food" and kinds - {"food"} and not food_context:
                continue
            if k == "water" and "climate" in kinds and climate_context:
                continue
            if k == "climate" and "water" in kinds and not climate_context:
                continue
            if k in ("continent", "region") and "demonym" in kinds:
                continue
            if k == "sport" and p == "running" and words & {"river", "water", "through"}:
                continue
            if k == "demonym":
                by_kind.setdefault("country", set()).update(v)
            elif k in ("language", "sport"):
                by_kind.setdefault(k, set()).update(v)
            elif k in ("eu", "coastal"):
                by_kind.setdefault(k, set()).add(v)
            else:
                by_kind.setdefault(k, set()).add(v)
        table = self._keyword_table()
        rest_set = set(rest)
        for w in rest:
            if w in table:
                kind, val = table[w]
                if kind == "climate":
                    by_kind.setdefault("climate", set()).update(val)
                elif (
                    kind == "river"
                    and "river" in by_kind
                    or kind == "coastal"
                    and "water" in by_kind
                    or kind in ("pop_ge", "pop_lt", "equator")
                ):
                    continue
                elif kind == "largest":
                    j = rest.index(w)
                    if j == 0 or rest[j - 1] not in ("second", "third", "fourth", "fifth", "2nd", "3rd", "4th", "5th"):
                        by_kind["largest"] = {"world" if "world" in rest_set else "country"}
                else:
                    by_kind.setdefault(kind, set()).add(val)
            elif w in lx.LANDMARK_NOUNS and w not in ("water",):
                by_kind.setdefault("landmark_noun", set()).add(w)
        hemi = self._hemisphere(rest_set, rest)
        if hemi:
            by_kind.pop("equator", None)
            by_kind.update(hemi)
        pop = self._population(rest)
        if pop:
            by_kind.update(pop)
        return tuple(sorted((k, frozenset(v) if isinstance(v, set) else v) for k, v in by_kind.items()))

    @staticmethod
    def _hemisphere(rest_set: set[str], rest: list[str]) -> dict:
        out: dict[str, set] = {}
        if rest_set & {"hemisphere", "hemispheres"}:
            for w, (k, v) in {
                "north": ("lat", "N"),
                "northern": ("lat", "N"),
                "south": ("lat", "S"),
                "southern": ("lat", "S"),
                "east": ("lon", "E"),
                "eastern": ("lon", "E"),
                "west": ("lon", "W"),
                "western": ("lon", "W"),
            }.items():
                if w in rest_set:
                    out.setdefault(k, set()).add(v)
        elif "equator" in rest_set:
            j = rest.index("equator")
            before = set(rest[max(0, j - 3) : j])
            if before & {"south", "below", "under"}:
                out["lat"] = {"S"}
            elif before & {"north", "above", "over"}:
                out["lat"] = {"N"}
            else:
                out["equator"] = {True}
        return out

    @staticmethod
    def _population(rest: list[str]) -> dict:
        for j, w in enumerate(rest):
            if w in ("million", "millions") and j > 0:
                num = rest[j - 1]
                n = lx.NUMBER_WORDS.get(num)
                if n is None:
                    try:
                        n = float(num)
                    except ValueError:
                        continue
                before = set(rest[max(0, j - 5) : j])
                if before & {"less", "fewer", "under", "below", "smaller"}:
                    return {"pop_lt": {float(n)}}
                return {"pop_ge": {float(n)}}
        for w in rest:
            if w in ("megacity", "megalopolis", "huge", "enormous", "massive"):
                return {"pop_ge": {10.0}}
            if w in ("big", "large", "populous", "crowded"):
                return {"pop_ge": {0.0}}
            if w in ("small", "tiny"):
                return {"pop_lt": {0.0}}
        return {}

    # ------------------------------------------------------------------ answering
    def answer(self, city: City, question: str) -> Reply:
        """Answer one question about `city` (the question may end with a newline)."""
        p = self.parse(question.strip())
        if p.kind == "guess":
            right = self.cities[p.city] is city or self.cities[p.city].name == city.name
            if right and p.places:
                right = bool(p.places & {city.country, fold(city.province)})
            return Reply("Yes.\n" if right else "No.\n", True, "guess", right)
        if p.kind == "yes_no":
            return Reply("Yes.\n" if all(self._holds(city, k, v) for k, v in p.preds) else "No.\n", True, "yes_no")
        if p.kind == "open":
            return Reply(open_answer(city, p.topic, question), True, "open")
        return Reply("No.\n", False, "unknown")

    def _holds(self, city: City, kind: str, v: Any) -> bool:
        if kind == "largest":
            pool = self.cities if "world" in v else [c for c in self.cities if c.country == city.country]
            return city.population >= max(c.population for c in pool)
        return holds(city, kind, v)


_DEFAULT: RulesOracle | None = None


def default_oracle() -> RulesOracle:
    """The shared rule-based oracle over `CITIES` (built once, ~20 ms)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RulesOracle()
    return _DEFAULT


class LMOracle:
    """A language-model oracle with the original prompt; guesses are still judged by the rules.

    The partner continues `LM_PROMPT` (``object`` is ``"city,country"`` in lower case, as the
    original's ``"sao paulo,brazil"``); up to `max_new_tokens` tokens (default 32, not the
    original's 4) are generated, the first line is kept and ends with ``"\\n"``; an empty answer is
    ``"No.\\n"`` with ``understood=False``. An answer naming the city or its country when the
    question did not is replaced by a refusal, so the LM cannot give the game away.

    Example:
        >>> class Echo:
        ...     def generate(self, prompt, max_new_tokens):
        ...         return " It is warm.\\nmore"
        >>> from lmrl_envs.tasks.guess_my_city.cities import find_city
        >>> LMOracle(Echo()).answer(find_city("Lima"), "What is the weather like?").text
        'It is warm.\\n'
    """

    def __init__(self, partner: Any, max_new_tokens: int = 32, rules: RulesOracle | None = None):
        self.partner = partner
        self.max_new_tokens = max_new_tokens
        self.rules = rules or default_oracle()

    def answer(self, city: City, question: str) -> Reply:
        question = question.strip()
        if self.rules.parse(question).kind == "guess":
            return self.rules.answer(city, question)
        out = self.partner.generate(LM_PROMPT.format(word=city.prompt_word, question=question), self.max_new_tokens)
        line = out.strip().split("\n")[0].strip() if out else ""
        if not line:
            return Reply("No.\n", False, "unknown")
        if leaks(line, city, allowed=question):
            return Reply(REFUSAL, True, "lm")
        return Reply(line + "\n", True, "lm")
