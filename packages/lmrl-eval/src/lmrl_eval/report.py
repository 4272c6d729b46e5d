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
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmrl_envs import task_name
from lmrl_eval.evaluate import describe_decoding
from lmrl_eval.normalize import PAPER_TABLE2

__all__ = ["ALGO_ORDER", "CURVE_LOSSES", "aggregate", "build_report", "env_step_curves", "learning_curves", "plot",
           "plot_env_step_curves", "plot_learning_curves", "read_metrics"]

ALGO_ORDER = ("bc", "filtered-bc", "mc", "ilql", "ppo", "online-filtered-bc", "grpo", "rloo", "gigpo", "archer")
_PAPER_ALGOS = ALGO_ORDER[:6]
CURVE_LOSSES = ("losses/bc", "losses/q", "losses/v", "losses/policy", "losses/value")
"""The main losses drawn beside ``eval/return`` in ``learning_curves_<task>.png`` (whichever a method logs)."""
_PAPER_COLUMN = {"bc": "BC", "filtered-bc": "%BC", "mc": "MC Return", "ilql": "ILQL", "ppo": "Online PPO",
                 "online-filtered-bc": "Online %BC"}


def _mean_stderr(values: list[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sd / sqrt(n); 0 for one value)."""
    if len(values) == 1:
        return values[0], 0.0
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


def aggregate(runs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Group runs by (task, algo) and average over seeds.

    With one seed the ± is the evaluation's standard error; with several it is the standard error
    of the mean over seeds (their standard deviation / sqrt(seeds)): the seeds are the samples.
    """
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in runs:
        groups[(task_name(r["env_id"]), r["algo"])].append(r)
    out = {}
    for key, rs in groups.items():
        raws = [r["eval"]["return_mean"] for r in rs]
        scores = [r["eval"]["score"] for r in rs if r["eval"].get("score") is not None]
        raw, raw_pm = _mean_stderr(raws)
        score, score_pm = _mean_stderr(scores) if scores else (None, None)
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
            "move_accuracy": _move_accuracy(rs),
            "decode": describe_decoding(rs[0]["eval"].get("decode")),
            "train_seconds": sum(r.get("train", {}).get("seconds", 0.0) for r in rs),
            "seed_seconds": {r["seed"]: r.get("train", {}).get("seconds", 0.0) + r["eval"].get("seconds", 0.0)
                             for r in rs},
        }
    return out


def _move_accuracy(runs: list[dict[str, Any]]) -> float | None:
    """Mean over seeds of the greedy move accuracy (fraction of the Maze's 25 start cells), if measured."""
    accs = [r["eval"]["move_accuracy"] for r in runs if r["eval"].get("move_accuracy")]
    return statistics.fmean(a["correct"] / a["cells"] for a in accs) if accs else None


def _fmt(x: float | None, pm: float | None = None, digits: int = 1) -> str:
    if x is None:
        return "n/a"
    s = f"{x:.{digits}f}"
    return s + (f" ± {pm:.{digits}f}" if pm else "")


def _planned(results: dict[str, Any]) -> set[tuple[str, str]]:
    """The (task, method) cells the report lists, run or ``missing``: results.json's ``planned`` (what the
    benchmark invocations in the directory asked for); for a file written before it was recorded, every cell
    of a whole-table budget (``standard``, ``paper``) with the paper's methods, else none."""
    from lmrl_eval.benchmark import BUDGETS

    if isinstance(planned := results.get("planned"), list):
        return {(c[0], c[1]) for c in planned if isinstance(c, list) and len(c) == 2}
    budget = BUDGETS.get(results.get("budget") or "")
    envs = budget.envs if budget is not None and len(budget.envs) > 1 else ()
    return {(t, a) for t in envs for a in _PAPER_ALGOS}


def _seed_note(g: dict[str, Any]) -> str:
    """`` (1 seed)`` where a cell has fewer than 3 seeds, so a one-seed standard error is not read as a spread."""
    n = len(g["seeds"])
    return "" if n >= 3 else f" ({n} seed{'s' if n > 1 else ''})"


def build_report(out_dir: str | Path) -> str:
    """Write `report.md` (and plots when matplotlib is installed) from `out_dir/results.json`."""
    from lmrl_eval.benchmark import load_results, task_rank

    out_dir = Path(out_dir)
    path = out_dir / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `lmrl-eval benchmark --out {out_dir}` first")
    results = load_results(out_dir)  # an unreadable file is rebuilt from the stage outputs (with a warning)
    agg = aggregate(results.get("runs", []))
    planned = _planned(results)
    tasks = sorted({t for t, _ in agg} | {t for t, _ in planned},
                   key=task_rank)  # the paper's order
    algos = [a for a in ALGO_ORDER if any((t, a) in agg or (t, a) in planned for t in tasks)]
    algos += sorted({a for _, a in agg} - set(algos))
    lines = ["# lmrl benchmark report", ""]
    if results.get("command"):
        lines += [f"Command: `{results['command']}`", ""]
    meta = [f"budget `{results['budget']}`" if results.get("budget") else "",
            f"{results['seconds'] / 60:.1f} min" if results.get("seconds") else "",
            results.get("machine", {}).get("summary", "")]
    if any(meta):
        lines += ["Run: " + ", ".join(m for m in meta if m), ""]
    starts = sorted({Path(init).parent.name for r in results.get("runs", []) if (init := r.get("train", {}).get("init"))})
    if starts and starts != ["bc"]:  # `lmrl-eval benchmark --start`
        lines += [f"MC, ILQL and the online methods start from: {', '.join(starts)} (not BC, the paper's start).", ""]
    lines += ["## Normalised score (ours / paper Table 2)", "",
              "0 = minimum return, 50 = dataset average, 100 = maximum (see the constants table in "
              "packages/lmrl-eval/README.md). ± is the standard error of the evaluation (one seed) or the "
              "standard error of the mean over seeds. `missing`: a cell asked for (`lmrl-eval benchmark --envs/--algos`) "
              "and not run (yet), never an estimate; `-`: a cell not asked for.", "",
              "| task | " + " | ".join(algos) + " |", "|---|" + "---|" * len(algos)]
    for t in tasks:
        cells = []
        for a in algos:
            g = agg.get((t, a))
            ours = _fmt(g["score"], g["score_pm"]) + _seed_note(g) if g else "missing" if (t, a) in planned else "-"
            paper = PAPER_TABLE2.get(t, {}).get(a)
            cells.append(f"{ours} / {paper:.1f}" if paper is not None else ours)
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    lines += ["", "## Time per task and seed (training + evaluation, minutes)", "",
              "The stage seconds of each (task, seed): every method's training and evaluation, dataset "
              "generation not included.", "", "| task | " + " | ".join(f"seed {s}" for s in seeds) + " | methods |",
              "|---|" + "---|" * (len(seeds) + 1)] if (seeds := sorted({r["seed"] for r in results.get("runs", [])})) else []
    for t in tasks:
        per_seed = defaultdict(float)
        n = 0
        for a in algos:
            if (g := agg.get((t, a))) is not None:
                n += 1
                for seed, sec in g["seed_seconds"].items():
                    per_seed[seed] += sec
        if n:
            lines.append(f"| {t} | " + " | ".join(f"{per_seed[s] / 60:.1f}" if s in per_seed else "missing"
                                                   for s in seeds) + f" | {n} |")
    lines += ["", "## Per task (raw returns)", ""]
    for t in tasks:
        rows = [(a, agg[(t, a)]) for a in algos if (t, a) in agg]
        acc = any(g["move_accuracy"] is not None for _, g in rows)
        lines += [f"### {t}", "",
                  "| algo | raw return | score | paper score | success | length | invalid | "
                  + ("greedy move acc. | " if acc else "") + "episodes | seeds | train s | decoding |",
                  "|---|" + "---|" * (10 + acc)]
        for a, g in rows:
            paper = PAPER_TABLE2.get(t, {}).get(a)
            move = ("-" if g["move_accuracy"] is None else f"{g['move_accuracy']:.2f}") + " | " if acc else ""
            lines.append(
                f"| {a} | {_fmt(g['raw'], g['raw_pm'], 2)} | {_fmt(g['score'], g['score_pm'])} | "
                f"{'-' if paper is None else f'{paper:.1f}'} | {g['success']:.2f} | {g['length']:.1f} | "
                f"{g['invalid']:.3f} | {move}{g['episodes']} | {','.join(map(str, g['seeds']))} | "
                f"{g['train_seconds']:.0f} | {g['decode']} |")
        if acc:
            lines += ["", "Greedy move accuracy: the share of the 25 start cells where the greedy first move is a "
                          "shortest-path move (the paper's second Maze metric; mean over seeds)."]
        lines.append("")
    text = "\n".join(lines) + "\n"
    (out_dir / "report.md").write_text(text)
    plot(out_dir, results, agg)
    return text


def _save(fig, path: Path) -> Path:
    """Lay out, write (PNG, dpi 100) and close a figure; returns its path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot(out_dir: Path, results: dict[str, Any], agg: dict[tuple[str, str], dict[str, Any]]) -> list[Path]:
    """``scores_<task>.png`` (normalised scores against the paper's), ``learning_curves_<task>.png`` and
    ``env_steps_<task>.png``; skipped without matplotlib."""
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
        written.append(_save(fig, out_dir / f"scores_{t}.png"))
    written += plot_learning_curves(out_dir, results)
    written += plot_env_step_curves(out_dir, results)
    return written


def read_metrics(path: Path, keys: Sequence[str]) -> dict[str, list[tuple[int, float]]]:
    """``{key: [(step, value), ...]}`` of a run's ``metrics.jsonl``, steps ascending, for the `keys` it logs.

    A step logged twice (a run resumed by an older lmrl-algos re-logged the steps after its
    checkpoint; lmrl-algos now drops them on resume) keeps the value of its last row holding that
    metric; a line cut by a kill is skipped.
    """
    last: dict[str, dict[int, float]] = defaultdict(dict)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(rec, dict) or "step" not in rec:
            continue
        for key in keys:
            if key in rec:
                last[key][int(rec["step"])] = float(rec[key])
    return {k: sorted(v.items()) for k, v in last.items()}


def learning_curves(out_dir: Path, results: dict[str, Any]) -> dict[str, dict[str, dict[int, dict[str, list]]]]:
    """``{task: {algo: {seed: {metric: [(step, value), ...]}}}}`` of ``eval/return``, `CURVE_LOSSES` and the online
    methods' ``charts/env_steps``.

    Read from each run's ``train.metrics`` file (relative to `out_dir`) with `read_metrics`; runs without
    one, or whose file is missing, are left out. Tasks and methods are in
    report order (`ALGO_ORDER`, then other methods by name), seeds ascending, steps ascending.
    """
    found: dict[str, dict[str, dict[int, dict[str, list]]]] = defaultdict(lambda: defaultdict(dict))
    for r in results.get("runs", []):
        rel = r.get("train", {}).get("metrics")
        if not rel or not (out_dir / rel).exists():
            continue
        found[task_name(r["env_id"])][r["algo"]][r["seed"]] = read_metrics(out_dir / rel, ("eval/return", *CURVE_LOSSES, "charts/env_steps"))
    order = lambda a: (ALGO_ORDER.index(a), "") if a in ALGO_ORDER else (len(ALGO_ORDER), a)  # noqa: E731
    tasks = sorted(found, key=lambda t: (list(PAPER_TABLE2).index(t) if t in PAPER_TABLE2 else 99, t))
    return {t: {a: dict(sorted(found[t][a].items())) for a in sorted(found[t], key=order)} for t in tasks}


def _seed_mean(series: list[list[tuple[int, float]]]) -> tuple[list[int], list[float]]:
    """The mean over seeds at the steps every seed logged."""
    steps = sorted(set.intersection(*(set(dict(s)) for s in series))) if series else []
    return steps, [statistics.fmean(dict(s)[x] for s in series) for x in steps]


def plot_learning_curves(out_dir: Path, results: dict[str, Any]) -> list[Path]:
    """``learning_curves_<task>.png``: per method, ``eval/return`` against step and its losses on a twin axis.

    One figure per task, one panel per method with runs (`learning_curves`): a thin line per seed and
    the mean over seeds as a thick line for ``eval/return`` (logged by ``lmrl-algos train ...
    --eval-every N``), and on the right axis the mean over seeds of each of `CURVE_LOSSES` the
    method logs (dashed). Skipped without matplotlib.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    for task, methods in learning_curves(out_dir, results).items():
        fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.4), squeeze=False)
        for ax, (algo, seeds) in zip(axes[0], methods.items(), strict=True):
            returns = [m["eval/return"] for m in seeds.values() if m.get("eval/return")]
            for seed, m in seeds.items():
                if m.get("eval/return"):
                    xs, ys = zip(*m["eval/return"], strict=True)
                    ax.plot(xs, ys, lw=0.8, alpha=0.5, color="#3b75af", label=f"seed {seed}")
            if returns:
                ax.plot(*_seed_mean(returns), lw=2.4, color="#1f4e79", label="mean")
            else:
                ax.text(0.5, 0.5, "no eval/return\n(train with --eval-every)", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8, color="gray")
            ax.set_title(algo)
            ax.set_xlabel("step")
            ax.set_ylabel("eval return")
            twin, colors = ax.twinx(), iter(["#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"])
            for key in CURVE_LOSSES:
                series = [m[key] for m in seeds.values() if m.get(key)]
                if series:
                    twin.plot(*_seed_mean(series), lw=1, ls="--", color=next(colors), label=key)
            twin.set_ylabel("loss")
            handles = [h for a in (ax, twin) for h in a.get_legend_handles_labels()[0]]
            if handles:
                ax.legend(handles=handles, fontsize=6, loc="best")
        fig.suptitle(task)
        written.append(_save(fig, out_dir / f"learning_curves_{task}.png"))
    return written


def env_step_curves(out_dir: Path, results: dict[str, Any]) -> dict[str, dict[str, dict[int, list[tuple[int, float]]]]]:
    """``{task: {algo: {seed: [(environment steps, eval return), ...]}}}`` of the online methods.

    A run counts if its ``metrics.jsonl`` logs ``charts/env_steps`` (every online trainer logs each round's
    environment steps, i.e. actions taken in its rollouts) and ``eval/return``; x is the cumulative
    environment steps up to and including the evaluated round (a round without a logged count makes the
    run's later points unknown, so they are left out). Ordered as `learning_curves`.
    """
    out: dict[str, dict[str, dict[int, list[tuple[int, float]]]]] = {}
    for task, methods in learning_curves(out_dir, results).items():
        for algo, seeds in methods.items():
            for seed, m in seeds.items():
                steps, evals = dict(m.get("charts/env_steps", [])), m.get("eval/return", [])
                if not steps or not evals:
                    continue
                points, total = [], 0
                for rnd in range(1, max(r for r, _ in evals) + 1):
                    if rnd not in steps:
                        break
                    total += int(steps[rnd])
                    points += [(total, y) for r, y in evals if r == rnd]
                if points:
                    out.setdefault(task, {}).setdefault(algo, {})[seed] = points
    return out


def plot_env_step_curves(out_dir: Path, results: dict[str, Any]) -> list[Path]:
    """``env_steps_<task>.png``: the online methods' ``eval/return`` against cumulative environment steps
    (`env_step_curves`), one colour per method: a thin line per seed and, where every seed evaluated the same
    rounds, a thick line through the seed means of both coordinates. Compares methods at equal environment
    steps; skipped without matplotlib or when no run logged both metrics."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
    for task, methods in env_step_curves(out_dir, results).items():
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for color, (algo, seeds) in zip(colors * 3, methods.items()):
            for points in seeds.values():
                ax.plot(*zip(*points, strict=True), lw=0.7, alpha=0.35, color=color)
            lengths = {len(p) for p in seeds.values()}
            label = f"{algo} ({len(seeds)} seed{'s' * (len(seeds) > 1)})"
            if len(lengths) == 1:
                n = lengths.pop()
                xs = [statistics.fmean(p[i][0] for p in seeds.values()) for i in range(n)]
                ys = [statistics.fmean(p[i][1] for p in seeds.values()) for i in range(n)]
                ax.plot(xs, ys, lw=2.2, color=color, marker="o", ms=3, label=label)
            else:  # seeds evaluated different rounds: no mean line, the seeds' lines carry the label
                ax.plot([], [], lw=0.7, color=color, label=label + ", seeds only")
        ax.set_xlabel("environment steps (actions in the training rollouts)")
        ax.set_ylabel("eval return")
        ax.set_title(f"{task}: online methods at equal environment steps")
        ax.legend(fontsize=7)
        written.append(_save(fig, out_dir / f"env_steps_{task}.png"))
    return written
