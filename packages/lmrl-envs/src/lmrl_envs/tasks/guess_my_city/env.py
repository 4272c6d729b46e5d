"""`GuessMyCityEnv`: the episode logic (the documentation page is the package docstring)."""

from __future__ import annotations

from typing import Any, ClassVar

from lmrl_envs.core import StepResult, TextEnv
from lmrl_envs.tasks.guess_my_city.cities import CITIES, COUNTRIES, City, find_city
from lmrl_envs.tasks.guess_my_city.oracle import LMOracle, Reply, RulesOracle, default_oracle

__all__ = ["INITIAL_STR", "MAX_QUESTIONS", "GuessMyCityEnv"]

INITIAL_STR = "Questions:\n"
"""The first observation, as the original's ``INITIAL_STR``."""

MAX_QUESTIONS = 20


class GuessMyCityEnv(TextEnv):
    """Guess a hidden city by asking at most 20 questions of an oracle.

    Args:
        oracle: ``"rules"`` (default, deterministic knowledge-based oracle), ``"hf:/path/to/model"``
            (a local Hugging Face model via `lmrl_envs.partners.load_partner`, with the original
            prompt), or any object with ``generate(prompt, max_new_tokens) -> str``.
        cities: the hidden-city pool (default: the 100 of `CITIES`); each country must be in
            `COUNTRIES`.
        lm_max_new_tokens: generation budget of an LM oracle's answer.

    Example:
        >>> env = GuessMyCityEnv()
        >>> env.reset(seed=0, options={"word": "Paris, France"})
        ('Questions:\\n', {'city': 'Paris'})
        >>> env.step("Is it in Europe?")[:3]
        ('Yes.\\n', -1.0, False)
        >>> env.step("Is it Paris?")[:3]
        ('Yes.\\n', 0.0, True)
    """

    reward_range: ClassVar[tuple[float, float]] = (-1.0, 0.0)
    max_steps: ClassVar[int] = MAX_QUESTIONS
    option_keys: ClassVar[frozenset[str]] = frozenset({"word"})

    def __init__(self, oracle: Any = "rules", cities: list[City] | None = None, lm_max_new_tokens: int = 32):
        super().__init__()
        if cities is not None:
            cities = list(cities)
            if not cities:
                raise ValueError("cities must not be empty")
            unknown = sorted({c.country for c in cities} - set(COUNTRIES))
            if unknown:
                raise ValueError(f"countries {unknown} are not in cities.COUNTRIES; add a Country entry for each")
        self.cities = cities if cities is not None else CITIES
        rules = default_oracle() if cities is None else RulesOracle(self.cities)
        if isinstance(oracle, str) and oracle == "rules":
            self.oracle: RulesOracle | LMOracle = rules
        elif isinstance(oracle, str) and oracle.startswith("hf:") or hasattr(oracle, "generate"):
            from lmrl_envs.partners import load_partner

            self.oracle = LMOracle(load_partner(oracle), max_new_tokens=lm_max_new_tokens, rules=rules)
        else:
            raise ValueError(
                f"oracle must be 'rules', 'hf:/path/to/model' or an object with .generate(prompt, max_new_tokens); "
                f"got {oracle!r}"
            )
        self.city: City | None = None

    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        if "word" in options:
            word = options["word"]
            if not isinstance(word, str):
                raise TypeError(f"options['word'] must be a city name (str), got {type(word).__name__}")
            try:
                self.city = find_city(word, None if self.cities is CITIES else self.cities)
            except ValueError as e:
                raise ValueError(f"options['word']: {e}") from None
        else:
            self.city = self.rng.choice(self.cities)
        return INITIAL_STR, {"city": self.city.name}

    def _step(self, action: str) -> StepResult:
        reply: Reply = self.oracle.answer(self.city, action)
        info: dict[str, Any] = {"understood": reply.understood, "question_type": reply.kind}
        if not reply.understood:
            info["invalid"] = True
        terminated = reply.success or self.steps >= MAX_QUESTIONS
        if terminated:
            info["success"] = reply.success
            info["city"] = self.city.name
        return StepResult(reply.text, 0.0 if reply.success else -1.0, terminated, False, info)
