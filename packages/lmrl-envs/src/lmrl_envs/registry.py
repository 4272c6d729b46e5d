"""The env registry: versioned ids, lazy string entry points, each env's task record, `make` and `list_envs`.

An id is ``"<task name>-v<version>"``; `task_name` is the one place that splits it. Each entry
carries a `lmrl_envs.task.TaskRecord` (``spec(id).task``): the facts other packages read about
the task (preset family, evaluation protocol, normalisation constants, decoding hints).

Example:
    >>> import lmrl_envs
    >>> env = lmrl_envs.make("maze-fo")      # the newest version, i.e. "maze-fo-v0"
    >>> env.env_id
    'maze-fo-v0'
    >>> lmrl_envs.task_name(env.env_id), lmrl_envs.spec("maze-fo").task.family
    ('maze-fo', 'maze')
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lmrl_envs.core import TextEnv
from lmrl_envs.task import TaskRecord, load_entry_point

__all__ = ["EnvSpec", "list_envs", "list_tasks", "make", "register", "spec", "task_name"]

_ID_RE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*?)-v(?P<version>\d+)$")


@dataclass(frozen=True)
class EnvSpec:
    """A registered environment.

    Attributes:
        id: the versioned id, ``"<name>-v<version>"``.
        entry_point: ``"module.path:ClassName"``, imported only when the env is made.
        kwargs: constructor arguments; `make` merges the caller's over these.
        description: one line for `lmrl-envs list`.
        task: the task's record (`register` fills in the defaults when none is given: family = the task
            name, 256 seeded evaluation episodes, no normalisation constants, free generation).
    """

    id: str
    entry_point: str | Callable[..., TextEnv]
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    task: TaskRecord = field(default_factory=TaskRecord)

    def __post_init__(self) -> None:
        if self.task.family is None:
            object.__setattr__(self, "task", replace(self.task, family=self.name))

    @property
    def name(self) -> str:
        """The task name: the id without its version (`task_name`)."""
        return task_name(self.id)

    @property
    def version(self) -> int:
        return int(_ID_RE.match(self.id)["version"])

    def load(self) -> Callable[..., TextEnv]:
        """Import and return the env class (or factory)."""
        return load_entry_point(self.entry_point)


_REGISTRY: dict[str, EnvSpec] = {}


def task_name(env_id: str) -> str:
    """The task name of an env id: the id without its version (``"maze-fo-v0"`` -> ``"maze-fo"``); a name
    without a version is returned as it is. Pure string work: the id need not be registered.

    Example:
        >>> task_name("maze-fo-v0"), task_name("wordle"), task_name("twenty-questions-v12")
        ('maze-fo', 'wordle', 'twenty-questions')
    """
    m = _ID_RE.match(env_id)
    return m["name"] if m else env_id


def register(id: str, entry_point: str | Callable[..., TextEnv], *, description: str = "",
             task: TaskRecord | None = None, **kwargs: Any) -> EnvSpec:
    """Register an environment under a versioned id (``"my-task-v0"``), with its task record.

    Args:
        id: ``"<name>-v<version>"``.
        entry_point: ``"module.path:ClassName"`` (imported when the env is made) or the class / a factory.
        description: one line for `lmrl-envs list`.
        task: the facts other packages read (`lmrl_envs.task.TaskRecord`); None: the defaults.
        **kwargs: constructor arguments.

    Example:
        >>> from lmrl_envs import register
        >>> from lmrl_envs.task import Normalization, TaskRecord
        >>> s = register("my-maze-v0", "lmrl_envs.tasks.maze:MazeEnv", observability="full",
        ...              task=TaskRecord(family="maze", normalization=Normalization(-101.0, -83.0, -6.84, "paper")))
        >>> s.task.family, s.task.protocol.episodes
        ('maze', 256)
    """
    if not _ID_RE.match(id):
        raise ValueError(f"env id {id!r} must look like 'name-v0' (lower-case name, then -v and a version number)")
    if id in _REGISTRY:
        raise ValueError(f"env id {id!r} is already registered")
    s = EnvSpec(id, entry_point, dict(kwargs), description, task if task is not None else TaskRecord())
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


def list_tasks(*, paper: bool = False) -> list[str]:
    """The registered task names (one per task, whatever its versions), sorted; ``paper=True``: only the
    paper's ten tasks (the newest version's record has a ``paper_order``), in the paper's order.

    Example:
        >>> list_tasks(paper=True)[:3]
        ['maze-fo', 'maze-po', 'text-nav-fo']
    """
    names = sorted({s.name for s in _REGISTRY.values()})
    if not paper:
        return names
    order = {name: spec(name).task.paper_order for name in names}
    return sorted((n for n in names if order[n] is not None), key=lambda n: (order[n], n))


def _register_builtin() -> None:
    from lmrl_envs.tasks import register_builtin  # the ten LMRL-Gym envs, each with its task record

    register_builtin()


_register_builtin()
