"""The episode record and its JSONL form: what `lmrl-data` writes and `lmrl-algos` reads.

One line of a JSONL file is one episode::

    {"format": "lmrl-episode/1", "env_id": "maze-fo-v0", "seed": 3,
     "texts": ["obs0", "act0", "obs1", ...], "is_action": [false, true, false, ...],
     "rewards": [-1.0, ...],            # one per action
     "context_start": [0, 2, ...],      # per action: index of the first text the policy saw
     "terminated": true, "truncated": false, "return": -7.0, "info": {...}}

`texts` is the whole, untruncated episode; `context_start[i]` records where the env's history
began when action i was chosen, so the exact prompt of every step is
``"".join(texts[context_start[i]:index_of_action_i])``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmrl_envs.core import Text, TextHistory

__all__ = ["EPISODE_FORMAT", "DatasetError", "Episode", "atomic_writer", "filter_episodes", "read_episodes",
           "write_episodes"]

EPISODE_FORMAT = "lmrl-episode/1"
"""Format tag of one JSONL episode line; a reader rejects any other version."""


class DatasetError(ValueError):
    """A malformed episode file: the message names the file, the line and the field."""


@dataclass
class Episode:
    """One finished (or cut-off) episode.

    Example:
        >>> ep = Episode("maze-fo-v0", 0, ["o0\\n", "move up\\n", "Success\\n"], [False, True, False],
        ...              [0.0], [0], terminated=True)
        >>> ep.total_return, ep.length, ep.success
        (0.0, 1, True)
        >>> Episode.from_json(ep.to_json()) == ep
        True
    """

    env_id: str
    seed: int | None
    texts: list[str]
    is_action: list[bool]
    rewards: list[float]
    context_start: list[int]
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ derived
    @property
    def total_return(self) -> float:
        """Undiscounted sum of rewards (the quantity the paper normalises)."""
        return float(sum(self.rewards))

    @property
    def length(self) -> int:
        """Number of agent actions."""
        return len(self.rewards)

    @property
    def success(self) -> bool:
        """The task's success flag when it reports one (``info["success"]``), else `terminated`."""
        return bool(self.info.get("success", self.terminated))

    @property
    def action_indices(self) -> list[int]:
        """Indices into `texts` of the agent's actions."""
        return [i for i, a in enumerate(self.is_action) if a]

    def history(self) -> TextHistory:
        """The whole episode as a text history."""
        return tuple(Text(t, a) for t, a in zip(self.texts, self.is_action, strict=True))

    def contexts(self) -> list[str]:
        """The exact prompt the policy conditioned on before each action."""
        return ["".join(self.texts[s:i]) for s, i in zip(self.context_start, self.action_indices, strict=True)]

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise `ValueError` naming the first field that breaks the record's invariants."""
        if not isinstance(self.env_id, str) or not self.env_id:
            raise ValueError("env_id: must be a non-empty string")
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)):
            raise ValueError("seed: must be an int or null")
        if not isinstance(self.texts, list) or not all(isinstance(t, str) for t in self.texts):
            raise ValueError("texts: must be a list of strings")
        if not isinstance(self.is_action, list) or not all(isinstance(a, bool) for a in self.is_action):
            raise ValueError("is_action: must be a list of booleans")
        if len(self.texts) != len(self.is_action):
            raise ValueError(f"is_action: length {len(self.is_action)} != len(texts) {len(self.texts)}")
        n_actions = sum(self.is_action)
        if not isinstance(self.rewards, list) or len(self.rewards) != n_actions:
            raise ValueError(f"rewards: need one reward per action ({n_actions}), got {len(self.rewards)}")
        if not all(isinstance(r, int | float) and not isinstance(r, bool) and math.isfinite(r) for r in self.rewards):
            raise ValueError("rewards: every reward must be a finite number")
        if not isinstance(self.context_start, list) or len(self.context_start) != n_actions:
            raise ValueError(f"context_start: need one entry per action ({n_actions})")
        for start, idx in zip(self.context_start, self.action_indices, strict=True):
            if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start <= idx:
                raise ValueError(f"context_start: {start!r} is not an index before its action at {idx}")
        if not isinstance(self.terminated, bool) or not isinstance(self.truncated, bool):
            raise ValueError("terminated/truncated: must be booleans")
        if not isinstance(self.info, dict):
            raise ValueError("info: must be an object")

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of one line (with the format tag and the derived return)."""
        return {
            "format": EPISODE_FORMAT,
            "env_id": self.env_id,
            "seed": self.seed,
            "texts": self.texts,
            "is_action": self.is_action,
            "rewards": self.rewards,
            "context_start": self.context_start,
            "terminated": self.terminated,
            "truncated": self.truncated,
            "return": self.total_return,
            "info": self.info,
        }

    def to_json(self) -> str:
        """One JSONL line (no trailing newline); keys in a fixed order, so same episode, same bytes."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, obj: Any) -> Episode:
        """Build and validate an episode from a parsed JSON line; `ValueError` names the bad field."""
        if not isinstance(obj, dict):
            raise ValueError("line: must be a JSON object")
        fmt = obj.get("format")
        if fmt != EPISODE_FORMAT:
            raise ValueError(f"format: expected {EPISODE_FORMAT!r}, got {fmt!r} (regenerate the file with this lmrl version)")
        required = ("env_id", "seed", "texts", "is_action", "rewards", "context_start", "terminated", "truncated")
        for key in required:
            if key not in obj:
                raise ValueError(f"{key}: missing")
        rewards = obj["rewards"]
        if isinstance(rewards, list):
            rewards = [float(r) if isinstance(r, int) and not isinstance(r, bool) else r for r in rewards]
        ep = cls(
            env_id=obj["env_id"],
            seed=obj["seed"],
            texts=obj["texts"],
            is_action=obj["is_action"],
            rewards=rewards,
            context_start=obj["context_start"],
            terminated=obj["terminated"],
            truncated=obj["truncated"],
            info=obj.get("info", {}),
        )
        if "return" in obj and not math.isclose(float(obj["return"]), ep.total_return, abs_tol=1e-6):
            raise ValueError(f"return: {obj['return']} != sum(rewards) {ep.total_return}")
        return ep

    @classmethod
    def from_json(cls, line: str) -> Episode:
        """Parse one JSONL line."""
        return cls.from_dict(json.loads(line))


def write_episodes(path: str | os.PathLike, episodes: Iterable[Episode]) -> int:
    """Write episodes to a JSONL file atomically (a temporary file renamed into place).

    On any error (including Ctrl-C) the temporary file is removed and `path` is left as it was.

    Returns:
        The number of episodes written.

    Raises:
        DatasetError: an episode holds text UTF-8 cannot encode (a lone surrogate such as
            ``"\\ud800"``; `TextEnv.step` replaces those in actions, so this means the texts did
            not come from an env's history).
    """
    n = 0
    with atomic_writer(path) as f:
        for ep in episodes:
            try:
                f.write(ep.to_json() + "\n")
            except UnicodeEncodeError as e:
                raise DatasetError(
                    f"{path}: episode {n} (env_id {ep.env_id!r}, seed {ep.seed}) holds text UTF-8 cannot encode "
                    f"({e.object[e.start:e.end]!r}, a lone surrogate); nothing was written. Take the texts from "
                    "env.history (env.step replaces lone surrogates with U+FFFD) or clean them with "
                    "text.encode('utf-8', 'replace').decode('utf-8')"
                ) from None
            n += 1
    return n


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator:
    """A text file (UTF-8) that replaces `path` only once it is whole: written to a temporary file beside
    it (one per process), flushed to disk and renamed over `path`, so a reader sees the old file or the new
    one, never a part. On any error (Ctrl-C included) the temporary file is removed and `path` is left as it
    was. The one atomic write of the project (episodes, datasets, results, metrics).

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "a" / "b.txt"
        >>> with atomic_writer(out) as f:
        ...     _ = f.write("done\\n")
        >>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
        ('done\\n', ['b.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # one per process: parallel writers of one file
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_episodes(path: str | os.PathLike) -> Iterator[Episode]:
    """Stream and validate the episodes of a JSONL file.

    Raises:
        DatasetError: on the first bad line (not UTF-8, not JSON, nested too deeply, or not a valid
            episode), naming the file, the line number and the field.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such episode file (generate one with `lmrl-data generate`)")
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DatasetError(f"{path}:{lineno}: not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1} "
                                   "of the line); the file is corrupt or not an episode file") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DatasetError(f"{path}:{lineno}: not valid JSON ({e.msg} at column {e.colno}); the line is truncated or corrupt") from None
            except RecursionError:
                raise DatasetError(f"{path}:{lineno}: JSON nested too deeply to parse; the line is corrupt or not an "
                                   "episode") from None
            try:
                yield Episode.from_dict(obj)
            except (ValueError, TypeError) as e:
                raise DatasetError(f"{path}:{lineno}: {e}") from None


def filter_episodes(episodes: Iterable[Episode], *, success_only: bool = False, top_fraction: float = 1.0) -> list[Episode]:
    """The %BC subset, in the episodes' order: the successful ones (``success_only``), else the top
    ``ceil(n * top_fraction)`` by return (at least one; ties: earlier first). The one filter of the
    dataset recipes (`lmrl_data.bc_subset`), %BC and online %BC.

    Example:
        >>> eps = [Episode("t-v0", i, ["o\\n", "a\\n", "o\\n"], [False, True, False], [float(r)], [0],
        ...                terminated=r == 0) for i, r in enumerate([-3, 0, -1, 0])]
        >>> [e.seed for e in filter_episodes(eps, top_fraction=0.5)], [e.seed for e in filter_episodes(eps, success_only=True)]
        ([1, 3], [1, 3])
    """
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction}")
    eps = list(episodes)
    if success_only:
        return [ep for ep in eps if ep.success]
    k = max(1, math.ceil(len(eps) * top_fraction)) if eps else 0
    order = sorted(range(len(eps)), key=lambda i: (-eps[i].total_return, i))[:k]
    return [eps[i] for i in sorted(order)]
