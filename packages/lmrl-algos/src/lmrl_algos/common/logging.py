"""One metrics sink: JSONL in the out dir, TensorBoard and W&B on request (``--report-to``), a tqdm bar, a summary.

``metrics.jsonl`` is always written. ``report_to`` adds backends: ``"none"`` (the default), ``"tensorboard"``
(``OUT/tb/``), ``"wandb"`` (``$WANDB_DIR`` or ``OUT/wandb/``; offline unless you are logged in or set
``WANDB_MODE``; never prompts) or a comma-separated list (``"tensorboard,wandb"``). Each backend also gets the
run's full config (TensorBoard: the hparams plugin and a text table; W&B: the run config). A requested backend
whose package is missing is one warning line naming the ``pip install``, and the run goes on without it.

A run that continues from step N (``initial=N``: a resumed run, or 0 for a fresh one) first drops the
rows an earlier process logged after step N (and a last line cut by a kill), so each step is logged once.

Example:
    >>> import tempfile, json, pathlib
    >>> d = tempfile.mkdtemp()
    >>> with MetricsLogger(d, total=2, progress=False) as log:
    ...     log.log(1, {"losses/bc": 0.5})  # returns the row's metrics as floats (what on_step callbacks get)
    {'losses/bc': 0.5}
    >>> json.loads((pathlib.Path(d) / "metrics.jsonl").read_text())["losses/bc"]
    0.5
    >>> parse_report_to("tensorboard, wandb")
    ('tensorboard', 'wandb')
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmrl_algos.common.config import ConfigError
from lmrl_envs.episode import atomic_writer

__all__ = ["BACKENDS", "MetricsLogger", "parse_report_to"]

BACKENDS = ("tensorboard", "wandb")
"""The names ``--report-to`` accepts besides ``none``."""

_INSTALL = {"tensorboard": "pip install 'lmrl-algos[tensorboard]' (or: pip install tensorboard)",
            "wandb": "pip install 'lmrl-algos[wandb]' (or: pip install wandb)"}


def _installed(package: str) -> bool:
    """Whether `package` can be imported (without importing it)."""
    if package in sys.modules:
        return sys.modules[package] is not None
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def parse_report_to(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The backends of a ``--report-to`` value, in order, without repeats; `ConfigError` for an unknown name.

    ``auto`` (the default) is TensorBoard when it is installed and nothing otherwise, without a warning.

    Example:
        >>> parse_report_to("none"), parse_report_to("wandb,tensorboard"), parse_report_to(["tensorboard"])
        ((), ('wandb', 'tensorboard'), ('tensorboard',))
        >>> parse_report_to("auto") in ((), ("tensorboard",))
        True
    """
    if value is None:
        return ()
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip().lower() for n in names]
    choices = "auto, none, tensorboard, wandb, or a comma-separated list such as tensorboard,wandb"
    if names == ["none"]:
        return ()
    if names == ["auto"]:
        return ("tensorboard",) if _installed("tensorboard") else ()
    if not names or "" in names:
        raise ConfigError(f"--report-to {value!r}: empty backend name; choose {choices}")
    if "none" in names:
        raise ConfigError(f"--report-to {value!r}: 'none' cannot be combined with a backend; choose {choices}")
    if "auto" in names:
        raise ConfigError(f"--report-to {value!r}: 'auto' cannot be combined with a backend; choose {choices}")
    for name in names:
        if name not in BACKENDS:
            close = difflib.get_close_matches(name, [*BACKENDS, "none"], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"--report-to: unknown backend {name!r}{hint}; choose {choices}")
    return tuple(dict.fromkeys(names))


def _warn(text: str) -> None:
    print(f"lmrl-algos: warning: {text}", file=sys.stderr, flush=True)


class MetricsLogger:
    """Writes ``{"step": n, "time": s, **metrics}`` lines to ``out/metrics.jsonl`` and to the ``report_to`` backends.

    ``initial``: the step the run continues from; rows of later steps already in the file are dropped (TensorBoard:
    purged). ``enabled``: False on every rank but 0 under torchrun, which then writes and reports nothing.
    ``report_to``: see `parse_report_to`. ``config``: the run's settings (name -> value), given to the backends.
    """

    def __init__(self, out: str | Path, *, total: int, initial: int = 0, enabled: bool = True,
                 progress: bool = True, desc: str = "train", report_to: str | Sequence[str] | None = "auto",
                 config: dict[str, Any] | None = None):
        self.enabled = enabled
        self.start = time.time()
        self.file = self.bar = None
        self.backends: list[_TensorBoard | _WandB] = []
        if not enabled:
            return
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _drop_rows_after(out / "metrics.jsonl", initial)
        self.file = open(out / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
        for name in parse_report_to(report_to):
            backend = _start_backend(name, out, initial=initial, desc=desc, config=dict(config or {}))
            if backend is not None:
                self.backends.append(backend)
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True)

    def log(self, step: int, metrics: dict[str, float]) -> dict[str, float]:
        """Write the row of `step`; returns its metrics as floats (empty when not `enabled`)."""
        if not self.enabled:
            return {}
        row = {"step": step, "time": round(time.time() - self.start, 3)}
        row.update({k: float(v) for k, v in metrics.items()})
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()
        values = {k: row[k] for k in metrics}
        for backend in self.backends:
            backend.log(step, values)
        if self.bar is not None:
            shown = {k.split("/")[-1]: f"{v:.4g}" for k, v in row.items()
                     if k.startswith("losses/") or k in ("charts/tokens_per_s", "charts/return")}
            self.bar.set_postfix(shown, refresh=False)
        return values

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def summary(self, text: str) -> None:
        if self.enabled:
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.file is not None:
            self.file.close()
            self.file = None
        backends, self.backends = self.backends, []
        for backend in backends:
            backend.close()

    def __enter__(self) -> MetricsLogger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _start_backend(name: str, out: Path, *, initial: int, desc: str, config: dict[str, Any]):
    """The started backend, or None after one warning line (package missing, or it failed to start)."""
    cls = {"tensorboard": _TensorBoard, "wandb": _WandB}[name]
    try:
        return cls(out, initial=initial, desc=desc, config=config)
    except ImportError as e:
        missing = getattr(e, "name", None) or name
        _warn(f"--report-to {name}: the {missing} package is not installed, so metrics go to "
              f"{out / 'metrics.jsonl'} only; {_INSTALL[name]}")
    except Exception as e:  # noqa: BLE001 (a tracker that cannot start must not stop training)
        _warn(f"--report-to {name}: could not start ({type(e).__name__}: {e}); metrics go to "
              f"{out / 'metrics.jsonl'} only")
    return None


def _hparam_values(config: dict[str, Any]) -> dict[str, bool | int | float | str]:
    """Config values TensorBoard's hparams plugin can hold: numbers, strings, bools; others as text; None left out."""
    return {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in config.items() if v is not None}


class _TensorBoard:
    """``OUT/tb/``: a scalar per metric; the config as hparams (HParams tab) and as a text table (Text tab)."""

    def __init__(self, out: Path, *, initial: int, desc: str, config: dict[str, Any]):
        import tensorboard  # noqa: F401 (torch.utils.tensorboard needs it; imported first for a clear ImportError)
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams

        self.writer = SummaryWriter(str(out / "tb"), purge_step=initial + 1)
        if config:
            # only the session start: the hparams plugin then takes this run's scalars as its metrics
            # (SummaryWriter.add_hparams would write them to a separate sub-run)
            _, session_start, _ = hparams(_hparam_values(config), {})
            self.writer.file_writer.add_summary(session_start)
            table = "| setting | value |\n|---|---|\n" + "".join(
                f"| {k} | {json.dumps(v, default=str)} |\n" for k, v in config.items())
            self.writer.add_text("config", table, initial)
            self.writer.flush()

    def log(self, step: int, metrics: dict[str, float]) -> None:
        for k, v in metrics.items():
            self.writer.add_scalar(k, v, step)

    def close(self) -> None:
        self.writer.close()


class _WandB:
    """A W&B run with the config as its run config; offline (``OUT/wandb/``, sync later) unless logged in.

    ``$WANDB_MODE`` (online, offline, disabled), ``$WANDB_DIR``, ``$WANDB_PROJECT`` (default ``lmrl``) and
    W&B's other variables are honoured. Without ``$WANDB_MODE`` the run is online only when credentials are
    already configured (``wandb login``, ``$WANDB_API_KEY``); it never asks for them.
    """

    def __init__(self, out: Path, *, initial: int, desc: str, config: dict[str, Any]):
        import wandb

        mode = os.environ.get("WANDB_MODE")
        if not mode:
            try:
                logged_in = wandb.login(prompt=False, verify=False)
            except TypeError:  # a wandb without login(prompt=...)
                logged_in = bool(os.environ.get("WANDB_API_KEY"))
            mode = "online" if logged_in else "offline"
        self.run = wandb.init(project=os.environ.get("WANDB_PROJECT") or "lmrl", name=out.resolve().name,
                              job_type=desc, dir=os.environ.get("WANDB_DIR") or str(out), mode=mode,
                              config=config)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        self.run.log(metrics, step=step)

    def close(self) -> None:
        self.run.finish()


def _drop_rows_after(path: Path, step: int) -> None:
    """Rewrite `path` (atomically) without the rows of steps after `step` and without unreadable lines."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a kill
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] <= step:
            kept.append(line + "\n")
    with atomic_writer(path) as f:
        f.write("".join(kept))
