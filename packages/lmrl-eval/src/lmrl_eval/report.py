"""Reports from a benchmark's `results.json`: `report.md` (tables beside the paper's) and PNG plots.

`results.json` schema (written by `lmrl_eval.benchmark`)::

    {"command": str, "budget": str, "machine": {...}, "seconds": float,
     "runs": [{"env_id": "maze-fo-v0", "algo": "bc", "seed": 0,
               "eval": {EvalResult fields}, "train": {"seconds": float, "steps": int,
               "metrics": "relative/path/metrics.jsonl"}}]}

Example:
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> run = {"env_id": "maze-fo-v0", "algo": "bc", "seed": 0, "eval": {"return_mean": -40.0,
    ...        "return_stderr": 2.0, "score": 77.3, "score_stderr": 1.3, "success_rate": 0.6,
    ...        "episodes": 25, "length_mean": 30.0, "invalid_rate": 0.0}}
    >>> _ = (d / "results.json").write_text(json.dumps({"command": "x", "runs": [run]}))
    >>> "| bc |" in build_report(d)
    True
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from lmrl_eval.normalize import PAPER_TABLE2, task_name

__all__ = ["ALGO_ORDER", "aggregate", "build_report", "plot"]

ALGO_ORDER = ("bc", "filtered-bc", "mc", "ilql", "ppo", "online-filtered-bc")
_PAPER_COLUMN = {"bc": "BC", "filtered-bc": "%BC", "mc": "MC Return", "ilql": "ILQL", "ppo": "Online PPO",
                 "online-filtered-bc": "Online %BC"}


def _mean_spread(values: list[float]) -> tuple[float, float]:
    if len(values) == 1:
        return values[0], 0.0
    return statistics.fmean(values), statistics.stdev(values)


def aggregate(runs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Group runs by (task, algo) and average over seeds.

    With one seed the ± is the evaluation's standard error; with several it is the standard
    deviation across seeds (the spread the user asked for with ``--seeds``).
    """
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in runs:
        groups[(task_name(r["env_id"]), r["algo"])].append(r)
    out = {}
    for key, rs in groups.items():
        raws = [r["eval"]["return_mean"] for r in rs]
        scores = [r["eval"]["score"] for r in rs if r["eval"].get("score") is not None]
        raw, raw_pm = _mean_spread(raws)
        score, score_pm = _mean_spread(scores) if scores else (None, None)
        if len(rs) == 1:
            raw_pm = rs[0]["eval"]["return_stderr"]
            score_pm = rs[0]["eval"].get("score_stderr")
        out[key] = {
            "seeds": sorted(r["seed"] for r in rs),
            "raw": raw, "raw_pm": raw_pm, "score": score, "score_pm": score_pm,
            "success": statistics.fmean(r["eval"]["success_rate"] for r in rs),
            "length": statistics.fmean(r["eval"]["length_mean"] for r in rs),
            "invalid": statistics.fmean(r["eval"]["invalid_rate"] for r in rs),
            "episodes": sum(r["eval"]["episodes"] for r in rs),
            "train_seconds": sum(r.get("train", {}).get("seconds", 0.0) for r in rs),
        }
    return out


def _fmt(x: float | None, pm: float | None = None, digits: int = 1) -> str:
    if x is None:
        return "n/a"
    s = f"{x:.{digits}f}"
    return s + (f" ± {pm:.{digits}f}" if pm else "")


def build_report(out_dir: str | Path) -> str:
    """Write `report.md` (and plots when matplotlib is installed) from `out_dir/results.json`."""
    out_dir = Path(out_dir)
    path = out_dir / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `lmrl-eval benchmark --out {out_dir}` first")
    results = json.loads(path.read_text())
    agg = aggregate(results.get("runs", []))
    tasks = sorted({t for t, _ in agg}, key=lambda t: list(PAPER_TABLE2).index(t) if t in PAPER_TABLE2 else 99)
    algos = [a for a in ALGO_ORDER if any((t, a) in agg for t in tasks)]
    algos += sorted({a for _, a in agg} - set(algos))
    lines = ["# lmrl benchmark report", ""]
    if results.get("command"):
        lines += [f"Command: `{results['command']}`", ""]
    meta = [f"budget `{results['budget']}`" if results.get("budget") else "",
            f"{results['seconds'] / 60:.1f} min" if results.get("seconds") else "",
            results.get("machine", {}).get("summary", "")]
    if any(meta):
        lines += ["Run: " + ", ".join(m for m in meta if m), ""]
    lines += ["## Normalised score (ours / paper Table 2)", "",
              "0 = minimum return, 50 = dataset average, 100 = maximum (see the constants table in "
              "packages/lmrl-eval/README.md). ± is the standard error of the evaluation (one seed) or the "
              "standard deviation across seeds.", "",
              "| task | " + " | ".join(algos) + " |", "|---|" + "---|" * len(algos)]
    for t in tasks:
        cells = []
        for a in algos:
            g = agg.get((t, a))
            ours = _fmt(g["score"], g["score_pm"]) if g else "-"
            paper = PAPER_TABLE2.get(t, {}).get(a)
            cells.append(f"{ours} / {paper:.1f}" if paper is not None else ours)
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    lines += ["", "## Per task (raw returns)", ""]
    for t in tasks:
        lines += [f"### {t}", "", "| algo | raw return | score | paper score | success | length | invalid | episodes | seeds | train s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for a in algos:
            g = agg.get((t, a))
            if not g:
                continue
            paper = PAPER_TABLE2.get(t, {}).get(a)
            lines.append(
                f"| {a} | {_fmt(g['raw'], g['raw_pm'], 2)} | {_fmt(g['score'], g['score_pm'])} | "
                f"{'-' if paper is None else f'{paper:.1f}'} | {g['success']:.2f} | {g['length']:.1f} | "
                f"{g['invalid']:.3f} | {g['episodes']} | {','.join(map(str, g['seeds']))} | {g['train_seconds']:.0f} |")
        lines.append("")
    text = "\n".join(lines) + "\n"
    (out_dir / "report.md").write_text(text)
    plot(out_dir, results, agg)
    return text


def plot(out_dir: Path, results: dict[str, Any], agg: dict[tuple[str, str], dict[str, Any]]) -> list[Path]:
    """Bar chart of normalised scores against the paper's, and learning curves; skipped without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    tasks = sorted({t for t, _ in agg})
    for t in tasks:
        algos = [a for a in ALGO_ORDER if (t, a) in agg] + sorted({a for tt, a in agg if tt == t} - set(ALGO_ORDER))
        fig, ax = plt.subplots(figsize=(1.3 * len(algos) + 2, 3.5))
        xs = range(len(algos))
        ours = [agg[(t, a)]["score"] or 0.0 for a in algos]
        errs = [agg[(t, a)]["score_pm"] or 0.0 for a in algos]
        paper = [PAPER_TABLE2.get(t, {}).get(a, float("nan")) for a in algos]
        ax.bar([x - 0.2 for x in xs], ours, 0.4, yerr=errs, label="lmrl (ours)", color="#3b75af")
        ax.bar([x + 0.2 for x in xs], paper, 0.4, label="paper Table 2", color="#aaaaaa")
        ax.axhline(50, color="k", lw=0.6, ls="--")
        ax.set_xticks(list(xs), algos, rotation=20)
        ax.set_ylabel("normalised score")
        ax.set_title(t)
        ax.legend(fontsize=8)
        fig.tight_layout()
        p = out_dir / f"scores_{t}.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        written.append(p)
    curves = [r for r in results.get("runs", []) if r.get("train", {}).get("metrics")]
    if curves:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for r in curves:
            mpath = out_dir / r["train"]["metrics"]
            if not mpath.exists():
                continue
            steps, losses = [], []
            for line in mpath.read_text().splitlines():
                rec = json.loads(line)
                loss = rec.get("losses/total", rec.get("losses/loss"))
                if loss is not None and "step" in rec:
                    steps.append(rec["step"])
                    losses.append(loss)
            if steps:
                ax.plot(steps, losses, label=f"{task_name(r['env_id'])} {r['algo']} s{r['seed']}", lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.set_yscale("symlog")
        ax.legend(fontsize=6)
        fig.tight_layout()
        p = out_dir / "learning_curves.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        written.append(p)
    return written
