"""The env registry: versioned ids, lazy string entry points, `make` and `list_envs`.

Example:
    >>> import lmrl_envs
    >>> env = lmrl_envs.make("maze-fo")      # the newest version, i.e. "maze-fo-v0"
    >>> env.env_id
    'maze-fo-v0'
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lmrl_envs.core import TextEnv

__all__ = ["EnvSpec", "make", "list_envs", "register", "spec"]

_ID_RE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*?)-v(?P<version>\d+)$")


@dataclass(frozen=True)
class EnvSpec:
    """A registered environment.

    Attributes:
        id: the versioned id, ``"<name>-v<version>"``.
        entry_point: ``"module.path:ClassName"``, imported only when the env is made.
        kwargs: constructor arguments; `make` merges the caller's over these.
        description: one line for `lmrl-envs list`.
    """

    id: str
    entry_point: str | Callable[..., TextEnv]
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def name(self) -> str:
        return _ID_RE.match(self.id)["name"]

    @property
    def version(self) -> int:
        return int(_ID_RE.match(self.id)["version"])

    def load(self) -> Callable[..., TextEnv]:
        """Import and return the env class (or factory)."""
        if callable(self.entry_point):
            return self.entry_point
        module, _, attr = self.entry_point.partition(":")
        return getattr(importlib.import_module(module), attr)


_REGISTRY: dict[str, EnvSpec] = {}


def register(id: str, entry_point: str | Callable[..., TextEnv], *, description: str = "", **kwargs: Any) -> EnvSpec:
    """Register an environment under a versioned id (``"my-task-v0"``).

    Example:
        >>> from lmrl_envs import register
        >>> _ = register("my-maze-v0", "lmrl_envs.tasks.maze:MazeEnv", observability="full")
    """
    if not _ID_RE.match(id):
        raise ValueError(f"env id {id!r} must look like 'name-v0' (lower-case name, then -v and a version number)")
    if id in _REGISTRY:
        raise ValueError(f"env id {id!r} is already registered")
    s = EnvSpec(id, entry_point, dict(kwargs), description)
    _REGISTRY[id] = s
    return s


def spec(env_id: str) -> EnvSpec:
    """Resolve an id (versioned, or unversioned meaning the newest version) to its `EnvSpec`.

    Raises:
        TypeError: `env_id` is not a string.
        KeyError: no env is registered under `env_id` (the message suggests close ids).
    """
    if not isinstance(env_id, str):
        raise TypeError(f"env id must be a string such as 'maze-fo' or 'maze-fo-v0', got {env_id!r}; "
                        f"known ids: {', '.join(sorted(_REGISTRY))}")
    if env_id in _REGISTRY:
        return _REGISTRY[env_id]
    versions = [s for s in _REGISTRY.values() if s.name == env_id]
    if versions:
        return max(versions, key=lambda s: s.version)
    known = sorted({s.name for s in _REGISTRY.values()} | set(_REGISTRY))
    close = difflib.get_close_matches(env_id, known, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise KeyError(f"unknown env id {env_id!r}.{hint} Known ids: {', '.join(sorted(_REGISTRY))}")


def make(env_id: str, **kwargs: Any) -> TextEnv:
    """Create an environment by id; keyword arguments override the registered ones.

    Example:
        >>> env = make("wordle", bad_word_reward=-10.0)
    """
    s = spec(env_id)
    env = s.load()(**{**s.kwargs, **kwargs})
    env.env_id = s.id
    return env


def list_envs() -> list[str]:
    """All registered versioned ids, sorted."""
    return sorted(_REGISTRY)


def _register_builtin() -> None:
    tasks = "lmrl_envs.tasks"
    register("maze-fo-v0", f"{tasks}.maze:MazeEnv", observability="full",
             description="Double-T maze, fully observed: goal and position in every observation.")
    register("maze-po-v0", f"{tasks}.maze:MazeEnv", observability="partial",
             description="Double-T maze, partially observed: only the walls around the agent.")
    register("text-nav-fo-v0", f"{tasks}.text_nav:TextNavEnv", observability="full",
             description="Text-Nav house, fully observed: location and inventory shown.")
    register("text-nav-po-v0", f"{tasks}.text_nav:TextNavEnv", observability="partial",
             description="Text-Nav house, partially observed: no location, no inventory.")
    register("wordle-v0", f"{tasks}.wordle:WordleEnv", description="Wordle with letter feedback, 6 guesses.")
    register("chess-v0", f"{tasks}.chess:ChessEnv", description="Full chess games as White against Stockfish.")
    register("endgames-v0", f"{tasks}.chess:EndgamesEnv",
             description="Chess endgames (K+Q, K+R, K+Q+R, K+R+R vs K) against Stockfish.")
    register("twenty-questions-v0", f"{tasks}.twenty_questions:TwentyQuestionsEnv",
             description="Twenty Questions with a knowledge-based yes/no oracle.")
    register("guess-my-city-v0", f"{tasks}.guess_my_city:GuessMyCityEnv",
             description="Guess My City: find a city by asking questions of a knowledge-based oracle.")
    register("car-dealer-v0", f"{tasks}.car_dealer:CarDealerEnv",
             description="Car Dealer: sell a car to a simulated buyer with a personality and a budget.")


_register_builtin()
