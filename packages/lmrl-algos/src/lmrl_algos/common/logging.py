"""One metrics sink: JSONL in the out dir, TensorBoard when installed, a tqdm bar, a summary line.

A run that continues from step N (``initial=N``: a resumed run, or 0 for a fresh one) first drops the
rows an earlier process logged after step N (and a last line cut by a kill), so each step is logged once.

Example:
    >>> import tempfile, json, pathlib
    >>> d = tempfile.mkdtemp()
    >>> with MetricsLogger(d, total=2, progress=False) as log:
    ...     log.log(1, {"losses/bc": 0.5})
    >>> json.loads((pathlib.Path(d) / "metrics.jsonl").read_text())["losses/bc"]
    0.5
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

__all__ = ["MetricsLogger"]


class MetricsLogger:
    """Writes ``{"step": n, "time": s, **metrics}`` lines to ``out/metrics.jsonl`` (rank 0 only).

    ``initial``: the step the run continues from; rows of later steps already in the file are dropped.
    """

    def __init__(self, out: str | Path, *, total: int, initial: int = 0, enabled: bool = True,
                 progress: bool = True, desc: str = "train"):
        self.enabled = enabled
        self.start = time.time()
        self.file = self.tb = self.bar = None
        if not enabled:
            return
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _drop_rows_after(out / "metrics.jsonl", initial)
        self.file = open(out / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(out / "tb"), purge_step=initial + 1)
        except Exception:  # tensorboard not installed
            self.tb = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        if not self.enabled:
            return
        row = {"step": step, "time": round(time.time() - self.start, 3)}
        row.update({k: float(v) for k, v in metrics.items()})
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()
        if self.tb is not None:
            for k, v in metrics.items():
                self.tb.add_scalar(k, float(v), step)
        if self.bar is not None:
            shown = {k.split("/")[-1]: f"{v:.4g}" for k, v in row.items()
                     if k.startswith("losses/") or k in ("charts/tokens_per_s", "charts/return")}
            self.bar.set_postfix(shown, refresh=False)

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
        if self.file is not None:
            self.file.close()
        if self.tb is not None:
            self.tb.close()

    def __enter__(self) -> MetricsLogger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(kept), encoding="utf-8")
    os.replace(tmp, path)
