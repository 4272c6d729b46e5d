"""The task record: what every package needs to know about a task, registered with its env.

A `TaskRecord` travels with the registry entry (``register(id, entry_point, task=TaskRecord(...))``,
read back as ``lmrl_envs.spec(id).task``), so the facts of a task have one home that lmrl-data,
lmrl-algos and lmrl-eval all read:

=================  ==========================================================================
``family``         the hyper-parameter preset key (`lmrl_algos.presets`); ``maze-fo`` and
                   ``maze-po`` share ``"maze"``. None: the task name.
``protocol``       how lmrl-eval evaluates it (`EvalProtocol`): seeded episodes, or episodes
                   spread over a set of reset options, and the default episode count.
``normalization``  min / dataset average / max return for the paper's 0-50-100 score, with the
                   source of each number (`Normalization`). None: raw returns only.
``decoding``       how a language-model policy acts on it (`Decoding`): free generation, or
                   re-ranking a fixed set of legal actions.
``paper_order``    the task's place among the paper's ten (0-9), which orders the benchmark's
                   tables; None for any other task.
=================  ==========================================================================

Entry points (``"module.path:name"``) are imported only when read, so registering a task imports
none of its code.

Example:
    >>> import lmrl_envs
    >>> record = lmrl_envs.spec("maze-po").task
    >>> record.family, record.protocol.kind, record.protocol.episodes
    ('maze', 'per_option', 800)
    >>> record.normalization.score(-83.0)
    50.0
    >>> lmrl_envs.spec("wordle").task.decoding.rerank
    False
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PROTOCOL_KINDS", "Decoding", "EvalProtocol", "Normalization", "TaskRecord", "load_entry_point"]

PROTOCOL_KINDS = ("seeds", "per_option", "option_set")
"""`EvalProtocol.kind` values: seeded episodes; every reset option equally often; each option once."""


def load_entry_point(entry: str | Callable[..., Any]) -> Any:
    """Import ``"module.path:name"`` and return the object (a callable is returned as it is).

    Example:
        >>> load_entry_point("lmrl_envs.registry:spec").__name__
        'spec'
    """
    if callable(entry):
        return entry
    module, _, attr = entry.partition(":")
    if not module or not attr:
        raise ValueError(f"entry point {entry!r} must look like 'module.path:name'")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Normalization:
    """Min, dataset average and max return of a task, with where each number comes from.

    The paper's score (LMRL-Gym App. E): 0 at `min`, 50 at `avg`, 100 at `max`, linear in between.

    Example:
        >>> Normalization(-101.0, -83.0, -6.84, "paper Table 5").score(-44.92)
        75.0
    """

    min: float
    """The lowest return the score assumes (score 0)."""
    avg: float
    """The mean return of the task's dataset (score 50)."""
    max: float
    """The return of the best policy known (score 100)."""
    source: str
    """Where each number comes from (a paper table, a command that measures it)."""
    derived: bool = False
    """True: measured on our own (rebuilt) simulator; False: the paper's constants (faithful env)."""

    def score(self, raw: float, clip: bool = False) -> float:
        """Normalised score of a raw mean return (rounded to 0.1 like the paper's tables)."""
        if raw < self.avg:
            s = 50.0 * (raw - self.min) / (self.avg - self.min)
        else:
            s = 50.0 + 50.0 * (raw - self.avg) / (self.max - self.avg)
        if clip:
            s = min(100.0, max(0.0, s))
        return round(s, 1)


@dataclass(frozen=True)
class EvalProtocol:
    """Which episodes evaluate a task, and how many by default.

    Example:
        >>> p = EvalProtocol("per_option", 800, options="lmrl_envs.tasks.maze:start_options")
        >>> len(p.start_options()), p.start_options()[0]
        (25, {'init_position': (1, 1)})
    """

    kind: str = "seeds"
    """``"seeds"``: seeded episodes, no reset options. ``"per_option"``: every entry of `options` equally
    often (a requested count is rounded up to a multiple of their number; the Maze's 25 start cells).
    ``"option_set"``: each entry of `options` once, at most the requested count (Endgames' fixed positions)."""
    episodes: int | None = 256
    """The default episode count (the paper's where it states one); None: all of an ``option_set``."""
    options: str | Callable[[], Sequence[dict[str, Any]]] | None = None
    """``"module:function"`` returning the reset options of the protocol's starts (imported when read)."""
    optimal_first_actions: str | Callable[[dict[str, Any]], Sequence[str]] | None = None
    """``"module:function"`` mapping a start's reset options to its optimal first actions: lmrl-eval then reports
    the share of starts whose greedy first action is optimal (the paper's Maze move accuracy). None: not measured."""

    def __post_init__(self) -> None:
        if self.kind not in PROTOCOL_KINDS:
            raise ValueError(f"EvalProtocol kind {self.kind!r}: choose one of {', '.join(PROTOCOL_KINDS)}")
        if self.kind != "seeds" and self.options is None:
            raise ValueError(f"EvalProtocol kind {self.kind!r} needs options='module:function' (its reset options)")
        if self.episodes is None and self.kind != "option_set":
            raise ValueError(f"EvalProtocol kind {self.kind!r} needs a default episode count (episodes=N)")
        if self.episodes is not None and self.episodes < 1:
            raise ValueError(f"EvalProtocol episodes must be >= 1, got {self.episodes}")

    def start_options(self) -> list[dict[str, Any]]:
        """The reset options of the protocol's starts, fresh copies ([] for ``"seeds"``)."""
        if self.options is None:
            return []
        return [dict(o) for o in load_entry_point(self.options)()]

    def first_actions(self, options: dict[str, Any]) -> list[str] | None:
        """The optimal first actions from the start with these reset options (None: not measured)."""
        if self.optimal_first_actions is None:
            return None
        return list(load_entry_point(self.optimal_first_actions)(options))


@dataclass(frozen=True)
class Decoding:
    """How a language-model policy acts on the task (`lmrl_algos.presets.decoding` turns it into policy arguments).

    Example:
        >>> Decoding(rerank=True, candidates=("yes\\n", "no\\n")).candidates
        ('yes\\n', 'no\\n')
    """

    rerank: bool = False
    """Choose among the legal actions, each scored by the policy, instead of generating freely."""
    candidates: tuple[str, ...] | None = None
    """The actions re-ranked, in this order; None: the env's `valid_actions()` after a reset (a task whose
    legal actions never change)."""


@dataclass(frozen=True)
class TaskRecord:
    """The facts of one task that lmrl-data, lmrl-algos and lmrl-eval read (see the module table).

    Example:
        >>> TaskRecord(normalization=Normalization(0.0, 0.5, 1.0, "made up")).protocol.episodes
        256
    """

    family: str | None = None
    """Preset key in `lmrl_algos.presets.PRESETS` (FO and PO variants share one); None: the task name."""
    protocol: EvalProtocol = field(default_factory=EvalProtocol)
    """The evaluation protocol (default: 256 seeded episodes)."""
    normalization: Normalization | None = None
    """The score's constants; None: the task is reported in raw returns only."""
    decoding: Decoding = field(default_factory=Decoding)
    """How a language model acts (default: free generation up to ``"\\n"``)."""
    paper_order: int | None = None
    """Place among the paper's ten tasks (0-9: `lmrl_eval.benchmark.ALL_ENVS`); None: not a paper task."""

    def __post_init__(self) -> None:
        n = self.normalization
        if n is not None and not (all(map(math.isfinite, (n.min, n.avg, n.max))) and n.min < n.avg < n.max):
            raise ValueError(f"normalization needs finite min < avg < max, got {n.min}, {n.avg}, {n.max}")
        if self.decoding.candidates is not None and not self.decoding.candidates:
            raise ValueError("Decoding candidates=() re-ranks nothing; give the actions, or None for valid_actions()")
