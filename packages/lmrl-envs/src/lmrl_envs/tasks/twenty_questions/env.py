"""`TwentyQuestionsEnv`: the environment class (documented in the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from lmrl_envs.core import StepResult, TextEnv
from lmrl_envs.tasks.twenty_questions.objects import OBJECTS, ObjectEntry, find_object
from lmrl_envs.tasks.twenty_questions.oracle import LMOracle, RuleOracle

__all__ = ["INITIAL_STR", "MAX_QUESTIONS", "TwentyQuestionsEnv", "make_oracle"]

INITIAL_STR = "Questions:\n"
"""The first observation, as in the original."""

MAX_QUESTIONS = 20
"""Questions per game."""


def make_oracle(oracle: Any = "rules", max_new_tokens: int = 4) -> Any:
    """Resolve an oracle spec: ``"rules"``, ``"hf:/path/to/model"``, an object with ``generate``
    (wrapped in `LMOracle`), or an object that already has ``answer(obj, question)``.

    Example:
        >>> type(make_oracle("rules")).__name__
        'RuleOracle'
    """
    if isinstance(oracle, str):
        if oracle == "rules":
            return RuleOracle()
        if oracle.startswith("hf:"):
            from lmrl_envs.partners import load_partner

            return LMOracle(load_partner(oracle), max_new_tokens=max_new_tokens)
        raise ValueError(f"unknown oracle {oracle!r}: use 'rules', 'hf:/path/to/model', or an object with .generate()")
    if hasattr(oracle, "answer"):
        return oracle
    if hasattr(oracle, "generate"):
        return LMOracle(oracle, max_new_tokens=max_new_tokens)
    raise TypeError(f"an oracle must be 'rules', 'hf:/path', or have .generate(prompt, max_new_tokens); got "
                    f"{type(oracle).__name__}")


class TwentyQuestionsEnv(TextEnv):
    """Twenty Questions: find the hidden object with at most 20 yes/no questions.

    Args:
        oracle: ``"rules"`` (default, the knowledge-base oracle), ``"hf:/path/to/model"`` (a local
            Hugging Face model prompted as the original's FLAN-T5 oracle), or an object with
            ``generate(prompt, max_new_tokens)``.
        objects: the objects to draw from (default: all 158 of `OBJECTS`).
        oracle_max_new_tokens: LM oracle generation budget (the original: 4).

    Example:
        >>> env = TwentyQuestionsEnv()
        >>> env.reset(seed=0, options={"word": "tv"})
        ('Questions:\\n', {})
        >>> env.step("Is it an animal?")[:4]
        ('No.\\n', -1.0, False, False)
        >>> obs, reward, terminated, truncated, info = env.step("Is it a TV?")
        >>> obs, reward, terminated, info["success"]
        ('Yes.\\n', 0.0, True, True)
    """

    reward_range: ClassVar[tuple[float, float]] = (-1.0, 0.0)
    max_steps: ClassVar[int] = MAX_QUESTIONS
    option_keys: ClassVar[frozenset[str]] = frozenset({"word"})

    def __init__(self, oracle: Any = "rules", objects: Sequence[ObjectEntry] | None = None,
                 oracle_max_new_tokens: int = 4) -> None:
        super().__init__()
        self.oracle = make_oracle(oracle, oracle_max_new_tokens)
        self.objects: tuple[ObjectEntry, ...] = tuple(objects) if objects is not None else OBJECTS
        if not self.objects:
            raise ValueError("objects must not be empty")
        self._word: ObjectEntry | None = None

    @property
    def word(self) -> ObjectEntry | None:
        """The hidden object of the current episode."""
        return self._word

    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        if "word" in options:
            name = options["word"]
            try:
                obj = find_object(str(name))
            except KeyError as e:
                raise ValueError(f"options['word']: {e.args[0]}") from None
            if obj not in self.objects:
                raise ValueError(f"options['word']: object {name!r} is not in this env's objects; valid names: "
                                 "[o.name for o in env.objects]")
            self._word = obj
        else:
            self._word = self.objects[self.rng.randrange(len(self.objects))]
        return INITIAL_STR, {}

    def _step(self, action: str) -> StepResult:
        assert self._word is not None
        answer = self.oracle.answer(self._word, action.strip())
        info: dict[str, Any] = {"understood": answer.understood}
        if not answer.understood:
            info["invalid"] = True
        if answer.guess is not None:
            info["guess"] = answer.guess.name
        success = answer.correct_guess
        terminated = success or self.steps >= MAX_QUESTIONS
        if terminated:
            info["success"] = success
            info["word"] = self._word.name
        return StepResult(answer.text + "\n", 0.0 if success else -1.0, terminated, False, info)

