"""Callbacks of the Python API: ``train(config, callbacks=[...])`` calls them as the run goes.

A callback is any object with one or both of these methods (subclass `Callback` for no-op defaults):

* ``on_step(step, metrics)``: after the metrics of a log step are written (offline: every ``log_every``
  optimiser steps and the last step; online: every round), with the scalars of that row of
  ``metrics.jsonl`` as floats (``losses/...``, ``charts/...``, ...);
* ``on_eval(step, metrics)``: after each evaluation during training (``eval_every``), with its
  ``eval/return``, ``eval/return_stderr``, ``eval/success`` and ``eval/length``.

A true return value stops the run after the current step: it is evaluated (``eval_every`` set, unless this
step was) and saved, as at the end of ``time_budget``, and `train` returns the checkpoint of that step.
The callbacks run in the order given, all of them at each call, on the main process only (rank 0 under
``torchrun``); a stop asked there is agreed with the other processes, so they all stop at the same step.
An exception raised by a callback ends the run as any error does (the last checkpoint on disk is kept).

Example:
    >>> class StopAtReturn(Callback):
    ...     def __init__(self, target):
    ...         self.target = target
    ...     def on_eval(self, step, metrics):
    ...         return metrics["eval/return"] >= self.target     # True: save this step and stop
    >>> hooks = CallbackList([StopAtReturn(0.5)])
    >>> hooks.on_step(10, {"losses/total": 1.2}), hooks.on_eval(10, {"eval/return": 0.75})
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable

from lmrl_algos.common.config import ConfigError

__all__ = ["Callback", "CallbackList"]

HOOKS = ("on_step", "on_eval")
"""The methods a callback may have."""


class Callback:
    """Base class of a training callback: both hooks do nothing (override one or both)."""

    def on_step(self, step: int, metrics: dict[str, float]) -> bool | None:
        """Called at each log step with the logged scalars; return True to save and stop after this step."""
        return None

    def on_eval(self, step: int, metrics: dict[str, float]) -> bool | None:
        """Called after each evaluation during training with its ``eval/*`` metrics; return True to stop."""
        return None


class CallbackList:
    """The callbacks of one run, called on the main process only; each call says whether one asked to stop.

    Args:
        callbacks: the objects (each with ``on_step`` and/or ``on_eval``).
        enabled: False on every process but the main one: then nothing is called and nothing stops.

    Raises:
        ConfigError: `callbacks` is not a list of such objects.
    """

    def __init__(self, callbacks: Iterable[object] = (), *, enabled: bool = True):
        if callbacks is None:
            callbacks = ()
        if any(callable(getattr(callbacks, name, None)) for name in HOOKS):
            raise ConfigError("callbacks= takes a list of callbacks; pass callbacks=[callback]")
        try:
            self.callbacks = list(callbacks)
        except TypeError:
            raise ConfigError(f"callbacks= takes a list of callbacks, got {type(callbacks).__name__}") from None
        for cb in self.callbacks:
            if not any(callable(getattr(cb, name, None)) for name in HOOKS):
                raise ConfigError(f"callbacks=: {cb!r} has neither an on_step nor an on_eval method; subclass "
                                  "lmrl_algos.callbacks.Callback and override one of them")
        self.enabled = enabled

    def on_step(self, step: int, metrics: dict[str, float] | None) -> bool:
        """Call every ``on_step``; whether one returned a true value."""
        return self._call("on_step", step, metrics)

    def on_eval(self, step: int, metrics: dict[str, float] | None) -> bool:
        """Call every ``on_eval`` (`metrics` None: no evaluation on this process); whether one asked to stop."""
        return self._call("on_eval", step, metrics)

    def _call(self, hook: str, step: int, metrics: dict[str, float] | None) -> bool:
        if not self.enabled or metrics is None:
            return False
        stop = False
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if callable(fn) and fn(step, dict(metrics)):  # a copy each: one callback's edits do not reach the next
                stop = True
        return stop
