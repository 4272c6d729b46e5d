"""The text-environment contract: `Text`, text histories and the `TextEnv` base class.

A text environment speaks Gymnasium semantics on strings::

    obs, info = env.reset(seed=0)                       # obs: the text the env appends
    obs, reward, terminated, truncated, info = env.step("move up\\n")
    prompt = "".join(t.text for t in env.history)      # what a language model conditions on

`env.history` is the full interleaving of observations and actions after the task's own
truncation rule, and it is always a *suffix* of the whole episode's texts
(`env.history_start` says where it starts). That one rule lets a dataset store each episode
once and still rebuild, exactly, the context the policy saw at every step.

Every observation and every action ends with ``"\\n"``, as in the original LMRL-Gym: the base
class normalises an action by removing one trailing newline and adding one back
(`normalize_action`), so a model that stops *at* the newline and one that stops *after* it
produce the same history. It also replaces lone surrogates (the only code points UTF-8 cannot
encode) with U+FFFD, so every history can be written to a dataset.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

__all__ = [
    "CONTRACT_VERSION",
    "EpisodeFinishedError",
    "StepResult",
    "Text",
    "TextEnv",
    "TextHistory",
    "chat_messages",
    "completion_action",
    "history_text",
    "normalize_action",
]

CONTRACT_VERSION = 1
"""Version of the env contract (bumped on any breaking change to `TextEnv` or `Text`)."""


@dataclass(frozen=True, slots=True)
class Text:
    """One utterance of a text history.

    Attributes:
        text: the exact string, ending with ``"\\n"``.
        is_action: True for the agent's utterances, False for the environment's.

    Example:
        >>> Text("move up\\n", True).is_action
        True
    """

    text: str
    is_action: bool


TextHistory = tuple[Text, ...]
"""A text history: observations and actions in order."""


def history_text(history: TextHistory) -> str:
    """The string a language model conditions on: the texts joined with no separator.

    Example:
        >>> history_text((Text("Wordle:\\n", False), Text("c r a n e\\n", True)))
        'Wordle:\\nc r a n e\\n'
    """
    return "".join(t.text for t in history)


def chat_messages(history: TextHistory) -> list[dict[str, str]]:
    """The history as chat turns: observations -> ``user``, actions -> ``assistant``.

    Example:
        >>> from lmrl_envs import Text
        >>> chat_messages((Text("Hi.\\n", False), Text("Where?\\n", False), Text("left\\n", True)))
        [{'role': 'user', 'content': 'Hi.\\nWhere?'}, {'role': 'assistant', 'content': 'left'}]
    """
    turns: list[dict[str, str]] = []
    for t in history:
        role = "assistant" if t.is_action else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += t.text
        else:
            turns.append({"role": role, "content": t.text})
    return [{"role": m["role"], "content": m["content"].rstrip("\n")} for m in turns]


def completion_action(text: str) -> str:
    """The action in a model's reply: the text up to its first ``"\\n"``, plus ``"\\n"`` (the env's action format).

    Example:
        >>> completion_action("move up\\nbecause the goal is above"), completion_action("")
        ('move up\\n', '\\n')
    """
    return text.split("\n", 1)[0] + "\n"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_action(action: str) -> str:
    """Remove one trailing newline and append one, as the original's `out_str_process`.

    Lone surrogates (``"\\ud800"``-``"\\udfff"``: text UTF-8 cannot encode, so no episode file
    could store it) become U+FFFD, the replacement character a UTF-8 decoder or a tokenizer
    produces for broken bytes; the task then treats the action like any text it does not
    understand.

    Example:
        >>> normalize_action("move up"), normalize_action("move up\\n")
        ('move up\\n', 'move up\\n')
        >>> normalize_action("up\\ud800") == "up\\ufffd\\n"
        True
    """
    return _LONE_SURROGATE.sub("\ufffd", action).removesuffix("\n") + "\n"


class StepResult(NamedTuple):
    """What a task's `_step` returns; `TextEnv.step` turns it into the Gymnasium 5-tuple."""

    observation: str
    reward: float
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] | None = None


class EpisodeFinishedError(RuntimeError):
    """Raised by `TextEnv.step` when the episode has ended or `reset` was never called."""


class TextEnv:
    """Base class of every lmrl environment.

    A task subclasses it and implements `_reset(options) -> (observation, info)` and
    `_step(action) -> StepResult`; the base class owns seeding, the history, the step counter and
    the finished-episode guard. Randomness must come from `self.rng` (a `random.Random` seeded by
    `reset(seed=...)`), never from the global generator, so the same seed and the same actions give
    the same bytes.

    Class attributes a task sets:
        reward_range: the (min, max) reward of one step.
        max_steps: the most actions an episode can take before it ends.
        max_history: keep only the last k texts in `history` (None: keep all).
        option_keys: the `reset` options the task accepts (others are an error).

    Example:
        >>> class Echo(TextEnv):
        ...     max_steps = 2
        ...     def _reset(self, options):
        ...         return "Say something.\\n", {}
        ...     def _step(self, action):
        ...         return StepResult("You said " + action, 0.0, terminated=self.steps == 2)
        >>> env = Echo()
        >>> env.reset(seed=0)
        ('Say something.\\n', {})
        >>> env.step("hi")[:4]
        ('You said hi\\n', 0.0, False, False)
    """

    reward_range: ClassVar[tuple[float, float]] = (-math.inf, math.inf)
    max_steps: ClassVar[int] = 1000
    max_history: ClassVar[int | None] = None
    option_keys: ClassVar[frozenset[str]] = frozenset()

    env_id: str | None = None
    """Set by `lmrl_envs.make` to the versioned id (e.g. ``"maze-fo-v0"``)."""

    def __init__(self) -> None:
        self.rng = random.Random()
        self._texts: list[Text] = []
        self._history_start = 0
        self._steps = 0
        self._done = True
        self._seed: int | None = None

    # ----------------------------------------------------------------- public API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        """Start a new episode.

        Args:
            seed: seeds the env's own generator; None continues the current generator stream.
            options: task-specific options (e.g. ``{"init_position": (1, 1)}`` for the maze).

        Returns:
            The first observation and an info dict.

        Raises:
            TypeError: `options` is not a dict (or None), or `seed` is not an int (or None).
            ValueError: an unknown option (the message names the valid ones) or a bad option value.
        """
        valid = ", ".join(sorted(self.option_keys)) or "none"
        if options is not None and not isinstance(options, Mapping):
            raise TypeError(f"{type(self).__name__}.reset: options must be a dict or None, got "
                            f"{type(options).__name__} {options!r:.60}; valid options: {valid}")
        options = dict(options or {})
        unknown = set(options) - self.option_keys
        if unknown:
            raise ValueError(f"{type(self).__name__}.reset got unknown option(s) {sorted(unknown, key=repr)}; "
                             f"valid options: {valid}")
        if seed is not None:
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise TypeError(f"seed must be an int or None, got {seed!r}")
            self.rng.seed(seed)
        self._seed = seed
        self._steps = 0
        self._texts = []
        self._history_start = 0
        obs, info = self._reset(options)
        self._texts.append(Text(obs, False))
        self._done = False
        return obs, dict(info)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        """Take one action.

        Any string is accepted: an action the task does not understand is a penalised (or ignored)
        step as the task defines, never an exception. Non-strings raise `TypeError`.

        Returns:
            ``(observation, reward, terminated, truncated, info)``.
        """
        if self._done:
            raise EpisodeFinishedError(
                f"{type(self).__name__}.step called on a finished episode (or before reset); call env.reset() first"
            )
        if not isinstance(action, str):
            raise TypeError(f"action must be a str, got {type(action).__name__}")
        action = normalize_action(action)
        self._steps += 1
        result = self._step(action)
        self._texts.append(Text(action, True))
        self._texts.append(Text(result.observation, False))
        terminated, truncated = bool(result.terminated), bool(result.truncated)
        if not (terminated or truncated) and self._steps >= self.max_steps:
            truncated = True
        self._done = terminated or truncated
        self._history_start = self._new_history_start(result)
        return result.observation, float(result.reward), terminated, truncated, dict(result.info or {})

    @property
    def history(self) -> TextHistory:
        """The current history (a suffix of `episode_texts`) that a policy conditions on."""
        return tuple(self._texts[self._history_start :])

    @property
    def history_start(self) -> int:
        """Index into `episode_texts` where `history` starts."""
        return self._history_start

    @property
    def episode_texts(self) -> TextHistory:
        """Every text of the episode so far, untruncated."""
        return tuple(self._texts)

    @property
    def steps(self) -> int:
        """Actions taken in the current episode."""
        return self._steps

    @property
    def done(self) -> bool:
        """True once the episode has terminated or been truncated (and before the first reset)."""
        return self._done

    @property
    def seed(self) -> int | None:
        """The seed passed to the last `reset`."""
        return self._seed

    def valid_actions(self) -> list[str] | None:
        """The legal actions in the current state, if the task has a small known set (else None).

        Used by re-ranking decoders, scripted policies and `check_env`.
        """
        return None

    def close(self) -> None:
        """Release external resources (engine processes, models). Safe to call twice."""

    def __enter__(self) -> TextEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- task hooks
    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        raise NotImplementedError

    def _step(self, action: str) -> StepResult:
        raise NotImplementedError

    def _new_history_start(self, result: StepResult) -> int:
        """Where the history starts after a step; default: keep the last `max_history` texts."""
        if self.max_history is None:
            return 0
        return max(0, len(self._texts) - self.max_history)
