"""`lmrl-eval benchmark`: the main job. Data -> BC -> the other methods -> evaluation -> score table.

For every task, algorithm and seed the pipeline runs these stages, each writing its own output
under ``OUT`` and skipped when that output already exists (so an interrupted benchmark resumes by
running the same command again; ``--force`` redoes everything):

1. ``OUT/data/<task>/``: the task's dataset from `lmrl_data.generate` (``train.jsonl``,
   ``eval.jsonl``, ``manifest.json``); one dataset per task, shared by every algorithm and seed
   (resumes shard by shard).
2. ``OUT/<task>/bc/seed<S>/``: BC from the model (``tiny`` by default) on ``train.jsonl``.
3. ``OUT/<task>/<algo>/seed<S>/`` for the other methods. As in the paper, MC Returns, ILQL, PPO
   and online %BC start from the BC checkpoint of the same seed; %BC trains from the model on
   the filtered data. A killed training run continues from its last checkpoint (``--resume``).
4. ``.../eval.json``: the policy evaluated with the task's protocol (`lmrl_eval.evaluate`),
   sampling at temperature 1 as the reference does (Maze: over the 4 re-ranked moves), and on
   the Maze the greedy move accuracy over the 25 start cells (`lmrl_eval.evaluate.move_accuracy`);
   ``decode`` beside each number names its decoding.
5. ``OUT/results.json`` (every finished run), ``OUT/report.md`` and the PNG plots. results.json is
   written atomically; if it is unreadable anyway (a full disk, a copy cut short), `load_results`
   rebuilds it from the stage outputs (``train.json`` and ``eval.json`` of every run) with a warning.

Stages run in parallel processes (``--jobs``, default: the CPU cores divided by the torch threads, so the
quick budget's single-threaded stages use both cores of a 2-core machine): a method that starts from BC waits
for its BC, every stage is seeded on its own, and the numbers are those of a one-job run.

Budgets (`BUDGETS`) fix the dataset sizes, training steps and evaluation episodes; they are step
counts, not time limits, so the same command and seed give the same numbers on any machine.

Example:
    >>> from lmrl_eval.benchmark import BUDGETS, plan
    >>> [s.algo for s in plan(BUDGETS["quick"], ["maze-fo"], ["bc", "ilql"], [0])]
    ['bc', 'ilql']
    >>> BUDGETS["quick"].envs
    ('maze-fo',)
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import lmrl_envs
from lmrl_envs import task_name
from lmrl_envs.episode import atomic_writer

__all__ = ["ALGOS", "BUDGETS", "PAPER_ALGOS", "BenchmarkConfig", "Budget", "Stage", "load_results", "plan",
           "run_benchmark", "stage_ready"]

PAPER_ALGOS = ("bc", "filtered-bc", "mc", "ilql", "ppo", "online-filtered-bc")
"""The paper's six methods: what the benchmark runs when ``--algos`` is not given."""
ALGOS = (*PAPER_ALGOS, "grpo", "rloo", "gigpo", "archer")
"""Every method the benchmark can run (``--algos``), in execution order (BC first: the others may start from it)."""

FROM_BC = {"mc", "ilql", "ppo", "online-filtered-bc", "grpo", "rloo", "gigpo", "archer"}
"""Methods that start from the BC checkpoint of the same task and seed (paper, App. D), or from the method
that ``--start`` names (`BenchmarkConfig.start`)."""
STARTS = ("bc", "filtered-bc")
"""What the methods of `FROM_BC` can start from (``--start``)."""

ALL_ENVS = tuple(lmrl_envs.list_tasks(paper=True))
"""The paper's ten tasks in the paper's order, from the registry (the records with a ``paper_order``)."""


def task_rank(task: str) -> tuple[int, str]:
    """Sort key of a task name: the paper's order (`ALL_ENVS`), other tasks after them by name."""
    return (ALL_ENVS.index(task) if task in ALL_ENVS else len(ALL_ENVS), task)


@dataclass(frozen=True)
class Budget:
    """How much of everything a budget runs.

    Attributes:
        name: ``quick``, ``standard`` or ``paper``.
        envs: the tasks run when ``--envs`` is not given.
        data: episodes per task's dataset (None: the paper's size, `lmrl_data` recipe default).
        train: per algorithm, training flags (`lmrl_algos.make_config` values) on top of the task's
            preset; ``train_task`` overrides them per task.
        eval: evaluation episodes per task (None: the paper's protocol count).
        decode: per task, keyword arguments of the evaluated policy on top of the task record's decoding
            (`lmrl_algos.presets.decoding`; Maze: re-rank the 4 moves).
        threads: torch CPU threads when ``--threads`` is not given (None: torch's default).
    """

    name: str
    envs: tuple[str, ...]
    data: dict[str, int | None]
    train: dict[str, dict[str, Any]]
    eval: dict[str, int | None]
    train_task: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    decode: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: int | None = None

    def train_values(self, task: str, algo: str) -> dict[str, Any]:
        return {**self.train.get(algo, {}), **self.train_task.get(task, {}).get(algo, {})}


_QUICK_TRAIN = {
    "bc": {"steps": 800, "lr": 1e-3, "eval_every": 200},
    "filtered-bc": {"steps": 400, "lr": 1e-3, "eval_every": 100},
    "mc": {"steps": 1500, "lr": 1e-3, "eval_every": 300},
    "ilql": {"steps": 4000, "lr": 1e-3, "polyak": 0.05, "eval_every": 500},
    "ppo": {"steps": 12, "lr": 1e-4, "n_rollouts": 32, "rollout_batch": 32, "epochs": 2, "batch_size": 64,
            "max_new_tokens": 8, "eval_every": 2},
    "online-filtered-bc": {"steps": 12, "lr": 1e-3, "n_rollouts": 32, "rollout_batch": 32, "bc_steps": 16,
                           "max_new_tokens": 8, "eval_every": 2},
    **{algo: {"steps": 12, "lr": 1e-4, "n_rollouts": 32, "rollout_batch": 32, "group_size": 8, "epochs": 2,
              "batch_size": 64, "max_new_tokens": 8, "eval_every": 2} for algo in ("grpo", "rloo", "gigpo")},
    "archer": {"steps": 12, "lr": 1e-4, "n_rollouts": 32, "rollout_batch": 32, "epochs": 2, "batch_size": 64,
               "max_new_tokens": 8, "eval_every": 2, "critic_lr": 1e-3, "critic_steps": 200, "tau": 0.05,
               "buffer_size": 512, "warm_start_episodes": 256, "critic_warmup_rounds": 1},
}
"""The quick budget's training flags, on top of the task preset (measured on maze-fo, 2 cores, 1 thread):

* BC 800 steps (1.25 epochs of the 1092 training episodes' 20.3k one-action segments, ~45 s), with the
  preset's observation loss (``non_action_weight 1``): without it the tiny model ignores the maze
  position, and so do the MC and ILQL value networks started from it.
* MC / ILQL at lr 1e-3 (presets: 1e-4): their heads start at 0 and must reach returns of -10 .. -70;
  at 1e-4 they barely move in a short run. MC's preset decays the rate to 0 at its last step (``lr_schedule cosine``): at a
  constant rate the last iterate keeps the noise of the last batches of sampled returns (seed 0: 53.3 constant,
  77.7 cosine, and the constant run's eval return fell from -46 to -78 over its last 300 steps). ILQL's values propagate one action per Bellman backup, so it
  gets the most steps (4000, ~6 min: at 3000 the eval curves of all 3 seeds were still rising at their last
  point, and the scores were 92.6 / 95.6 / 78.8); its target network follows faster (polyak 0.05, reference
  0.005: on the learning test's 2-step chain 0.005 had not learned after 200 steps, 0.05 had).
* PPO and online %BC: 12 rounds of 32 sampled rollouts from the BC policy, lr 1e-4 and 1e-3 (the
  reference's 1e-6 / 1e-4 are for a pretrained GPT-2; at 1e-5 the tiny model's policy did not move in
  3 rounds). Online %BC keeps the successful rollouts (maze preset), 16 BC steps per round.
* ArCHer (``--algos archer``, not in the paper): PPO's rounds and rollouts (equal episodes), actor lr 1e-4; its
  critic (a copy of the BC trunk, heads from 0) at lr 1e-3 as MC / ILQL here, 200 steps a round, tau 0.05 as
  ILQL's polyak, a buffer of 512 episodes that starts with 256 of the dataset, and one critic-only round (seed 0:
  91.5 from BC's 35.6, 520 s).
* ``eval_every``: every method logs ``eval/return`` (32 sampled episodes) 4-8 times during training,
  for ``learning_curves_<task>.png``.

These are settings for a benchmark that runs in minutes on a CPU, not for reproducing the paper's
numbers (which trained GPT-2 for many epochs on TPUs)."""

def _steps(bc, fbc, mc, ilql, ppo, online, *, rollouts=32, tokens=16, evals=4):
    """Per-task training flags of the standard budget: offline steps, online rounds (``rollouts`` episodes
    each, ``tokens`` new tokens per turn), and `evals` training-time evaluations per method. The online methods
    get PPO's rounds (equal episodes); ArCHer's critic 50 steps a round (quick: 200), whose long dialogue
    segments cost about a second a step."""
    every = {a: max(1, n // evals) for a, n in (("bc", bc), ("filtered-bc", fbc), ("mc", mc), ("ilql", ilql),
                                                  ("ppo", ppo), ("online-filtered-bc", online))}
    online_flags = {"n_rollouts": rollouts, "rollout_batch": rollouts, "max_new_tokens": tokens}
    return {"bc": {"steps": bc, "eval_every": every["bc"]},
            "filtered-bc": {"steps": fbc, "eval_every": every["filtered-bc"]},
            "mc": {"steps": mc, "eval_every": every["mc"]},
            "ilql": {"steps": ilql, "eval_every": every["ilql"]},
            "ppo": {"steps": ppo, "eval_every": every["ppo"], **online_flags},
            "online-filtered-bc": {"steps": online, "eval_every": every["online-filtered-bc"], **online_flags},
            **{a: {"steps": ppo, "eval_every": every["ppo"], **online_flags} for a in ("grpo", "rloo", "gigpo")},
            "archer": {"steps": ppo, "eval_every": every["ppo"], "critic_steps": 50, **online_flags}}


_STANDARD_TASKS = {
    "maze-po": {"ilql": {"steps": 1000, "eval_every": 250}},  # the rest: the quick budget's (Maze FO's) steps
    "text-nav-fo": _steps(300, 150, 300, 200, 2, 3),
    "text-nav-po": _steps(300, 150, 300, 200, 2, 3),
    "wordle": _steps(2000, 500, 1000, 1000, 6, 6, tokens=12),
    "chess": _steps(600, 300, 600, 600, 2, 2, rollouts=8, tokens=8),  # weak policies play ~370 plies a game
    "endgames": _steps(600, 300, 600, 600, 4, 4, tokens=8),
    "twenty-questions": _steps(400, 1500, 300, 300, 6, 6),
    "guess-my-city": _steps(400, 1500, 300, 300, 6, 6),
    "car-dealer": _steps(400, 1500, 300, 200, 4, 4),
}
"""The standard budget's steps per task, on top of the quick budget's flags (lr, PPO epochs, ...; Maze FO runs
the quick budget's steps, Maze PO too but for ILQL). Sized from a profile of every task's per-step and per-episode
cost on 2 cores (bench/README.md, "Stage times"); each task's measured time is in RESULTS.md. The dialogue tasks'
%BC gets many more steps than their BC: its top-10 % subset is short (the expert's games), its steps cheap, and
at 200 steps %BC had not learned to ask valid questions (Twenty Questions: 54 % invalid, no game won).

Maze PO is the suite's costliest task (every turn re-encodes a sliding window of its history), and with the quick
budget's settings it took 150 minutes of stage time at seed 1 on an idle machine, 63 of them ILQL's 4000 steps
(89 minutes at the settings below). Its ILQL gets 1000 steps: at 4000, seed 0's evaluation curve did not rise
after step 500 (-60.9 at 500, -65.2 at 4000, standard error about 6), and its evaluation plays 400 episodes (16
from each start cell, not the paper's 32; `BUDGETS`)."""


BUDGETS: dict[str, Budget] = {
    "quick": Budget(
        name="quick",
        envs=("maze-fo",),
        data={"maze-fo": None, "maze-po": None},
        train=_QUICK_TRAIN,
        eval={"maze-fo": 800, "maze-po": 800},  # the paper's protocol: 32 sampled episodes from each start cell
        threads=1,  # a tiny model gains little from a second thread and loses many-fold if a core is busy
    ),
    "standard": Budget(
        name="standard",
        envs=ALL_ENVS,
        data={"maze-fo": None, "maze-po": None, "text-nav-fo": None, "text-nav-po": None, "wordle": 20_000,
              "chess": 100, "endgames": 500, "twenty-questions": 5_000, "guess-my-city": 5_000,
              "car-dealer": 5_000},
        train=_QUICK_TRAIN,
        train_task=_STANDARD_TASKS,
        eval={"maze-fo": 800, "maze-po": 400, "text-nav-fo": 64, "text-nav-po": 64, "wordle": 500, "chess": 32,
              "endgames": 64, "twenty-questions": 128, "guess-my-city": 128, "car-dealer": 128},
        threads=1,
    ),
    "paper": Budget(
        name="paper",
        envs=ALL_ENVS,
        data={e: None for e in ALL_ENVS},
        train={
            "bc": {"steps": 20_000, "batch_size": 128},
            "filtered-bc": {"steps": 10_000, "batch_size": 128},
            "mc": {"steps": 20_000, "batch_size": 128},
            "ilql": {"steps": 20_000, "batch_size": 128},
            "ppo": {"steps": 100, "n_rollouts": 512, "rollout_batch": 128},
            "online-filtered-bc": {"steps": 100, "n_rollouts": 128, "rollout_batch": 128},
        },
        eval={e: None for e in ALL_ENVS},
    ),
}
"""The three budgets. ``quick``: Maze FO, six methods, tiny model, about 9 minutes on 2 CPU cores (measured: 8 min 54 s, seed 0,
data included, with the default ``--jobs 2``; 14.9 min in one process).
``standard``: every task with capped dataset sizes and per-task steps (`_STANDARD_TASKS`); seed 1 took 211 stage
minutes on an idle 2-core machine, 106 min of wall time with ``--jobs 2`` (`bench/suite_time.py`; each task's time
is in RESULTS.md).
``paper``: the paper's dataset sizes and evaluation counts with longer training, meant for a GPU and a real model
(``--model PATH``)."""


@dataclass(frozen=True)
class BenchmarkConfig:
    """What `run_benchmark` runs (the CLI flags of ``lmrl-eval benchmark``)."""

    out: str
    """Output directory; re-running with the same directory resumes."""
    envs: tuple[str, ...] | None = None
    """Tasks (None: the budget's)."""
    algos: tuple[str, ...] | None = None
    """Methods, from `ALGOS` (None: the paper's six, `PAPER_ALGOS`). ``filtered_bc`` spellings are accepted."""
    budget: str = "quick"
    """``quick``, ``standard`` or ``paper`` (see `BUDGETS`)."""
    seeds: tuple[int, ...] = (0,)
    """Training and evaluation seeds; each (task, method) runs once per seed."""
    device: str = "auto"
    """``auto``, ``cpu`` or ``cuda`` for training and evaluation."""
    model: str = "tiny"
    """``tiny`` (the offline default) or a local Hugging Face causal LM directory."""
    force: bool = False
    """Redo every stage even if its output exists."""
    workers: int = 1
    """Processes generating datasets (the bytes do not depend on it)."""
    progress: bool = True
    """Progress bars and stage lines on stderr."""
    threads: int | None = None
    """torch CPU threads for training and evaluation (None: the budget's; quick: 1)."""
    jobs: int | None = None
    """Stages run at once, each in its own process with `threads` torch threads (None: `auto_jobs`: on a CPU,
    the cores divided by the threads; 1 on CUDA or without a thread count). 1 runs every stage in this process."""
    start: str = "bc"
    """The checkpoint the methods of `FROM_BC` start from (one of `STARTS`): ``bc``, the paper's protocol, or
    ``filtered-bc``, for a task whose BC plays no game at the budget (the dialogue tasks on a CPU), so that the
    online methods are compared from a policy that plays. The runs of one ``--out`` share one start."""


@dataclass(frozen=True)
class Stage:
    """One (task, method, seed) run of the plan."""

    env: str
    algo: str
    seed: int

    def dir(self, out: Path) -> Path:
        return out / task_name(self.env) / self.algo / f"seed{self.seed}"


def _algo_name(name: str) -> str:
    algo = name.strip().lower().replace("_", "-")
    if algo not in ALGOS:
        raise ValueError(f"unknown algorithm {name!r}; choose from {', '.join(ALGOS)}")
    return algo


def _env_name(name: str) -> str:
    try:
        return lmrl_envs.spec(name).name
    except KeyError as e:
        raise ValueError(f"unknown task {name!r}: {e.args[0] if e.args else e}") from None


def plan(budget: Budget, envs: Sequence[str], algos: Sequence[str], seeds: Sequence[int]) -> list[Stage]:
    """The runs in execution order: per task and seed, BC before the methods that start from it."""
    order = [a for a in ALGOS if a in set(algos)]
    return [Stage(env, algo, seed) for env in envs for seed in seeds for algo in order]


def _log(cfg: BenchmarkConfig, msg: str) -> None:
    if cfg.progress:
        print(f"[benchmark] {msg}", flush=True)


def _warn(msg: str) -> None:
    print(f"lmrl-eval: warning: {msg}", file=sys.stderr, flush=True)


def _atomic_json(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file, flush it to disk, then rename it over `path`: a reader sees the old
    file or the new one, never a part."""
    with atomic_writer(path) as f:  # one temporary file per process: parallel benchmarks share OUT
        f.write(json.dumps(obj, indent=1) + "\n")


def _read_json(path: Path, then: str) -> Any | None:
    """The JSON in `path`; None if it is missing, or unreadable (with a warning naming it and saying what `then`)."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        _warn(f"{path} is unreadable ({e}); {then}")
        return None


def _stage_runs(out: Path) -> list[dict[str, Any]]:
    """The run records of every finished stage under `out` (``<task>/<algo>/seed<S>/`` with a readable
    train.json and eval.json, whichever invocation wrote them), in plan order: what results.json holds."""
    runs = []
    for eval_path in out.glob("*/*/seed*/eval.json"):
        run = eval_path.parent
        task, algo, seed = run.parent.parent.name, run.parent.name, run.name.removeprefix("seed")
        try:
            env_id = lmrl_envs.spec(task).id
        except KeyError:
            continue
        if algo not in ALGOS or not seed.isdigit():
            continue
        then = "the run is left out of results.json (run the benchmark again to redo its stage)"
        train, evaluation = _read_json(run / "train.json", then), _read_json(eval_path, then)
        if isinstance(train, dict) and isinstance(evaluation, dict):
            runs.append({"env_id": env_id, "algo": algo, "seed": int(seed), "train": train, "eval": evaluation})
    return sorted(runs, key=lambda r: (task_rank(task_name(r["env_id"])), r["env_id"], r["seed"],
                                       ALGOS.index(r["algo"])))


def _stage_seconds(runs: list[dict[str, Any]]) -> float:
    return round(sum(r["train"].get("seconds", 0) + r["eval"].get("seconds", 0) for r in runs), 1)


def load_results(out: str | Path) -> dict[str, Any]:
    """``OUT/results.json``; {} if there is none.

    If the file is unreadable (cut short, not JSON, not a results object), its runs are rebuilt from
    the stage outputs it summarises (`_stage_runs`), the file is rewritten atomically and a warning
    says so on stderr. The command, budget and machine of the lost file are not recoverable; the
    next ``lmrl-eval benchmark`` in `out` fills them in again.
    """
    path = Path(out) / "results.json"
    if not path.exists():
        return {}
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        problem = "not a results object" if not isinstance(results, dict) or not isinstance(
            results.get("runs", []), list) else None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        problem = str(e)
    if problem is None:
        return results
    runs = _stage_runs(Path(out))
    _warn(f"{path} is unreadable ({problem}); rebuilt it from the train.json and eval.json of {len(runs)} "
          f"finished runs under {out}")
    results = {"command": None, "seconds": _stage_seconds(runs), "runs": runs}
    _atomic_json(path, results)
    return results


def machine_summary(device: str) -> dict[str, Any]:
    """CPU model, cores, Python and torch versions, device: the ``machine`` field of results.json."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "device": device}
    try:
        import torch

        info["torch"] = torch.__version__
        if device != "cpu" and torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    where = info.get("gpu") or f"{info['cores']}-core CPU"
    info["summary"] = f"{info['cpu']} ({where}), Python {info['python']}, torch {info.get('torch', '-')}"
    return info


def _dataset(cfg: BenchmarkConfig, budget: Budget, env: str, out: Path) -> Path:
    from lmrl_data.generate import GenerateConfig, generate

    path = out / "data" / env
    manifest = path / "manifest.json"
    if manifest.exists() and not cfg.force:
        return path
    _log(cfg, f"{env}: generating the dataset ({budget.data.get(env) or 'full size'} episodes) -> {path}")
    if cfg.force and path.exists():
        shutil.rmtree(path)
    generate(GenerateConfig(env, str(path), episodes=budget.data.get(env), seed=0, workers=cfg.workers,
                            progress=cfg.progress))
    return path


def _train(cfg: BenchmarkConfig, budget: Budget, stage: Stage, data: Path, out: Path) -> dict[str, Any]:
    """Train one stage (or resume it); returns its ``train.json`` record."""
    from lmrl_algos import make_config, train
    from lmrl_algos.checkpoint import read_state, recover

    run = stage.dir(out)
    record_path = run / "train.json"
    init = Stage(stage.env, cfg.start, stage.seed).dir(out) if stage.algo in FROM_BC else None
    values = budget.train_values(stage.env, stage.algo)
    if not cfg.force and isinstance(record := _read_json(record_path, "training is resumed to rebuild it"), dict):
        if init is not None and record.get("init") not in (None, str(init.relative_to(out))):
            raise ValueError(f"{run} started from {record['init']}, not from {cfg.start} (--start): one --out holds "
                             f"runs of one start; pass another --out (or --force to retrain)")
        if "config" in record and record["config"] != values:
            _warn(f"{run} was trained with {record['config']}, the {budget.name} budget now says {values}; its "
                  f"results are kept (remove the directory, or pass --force, to train it again)")
        return record
    if cfg.force and run.exists():
        shutil.rmtree(run)
    if init is not None and not (init / "train.json").exists():
        raise FileNotFoundError(f"{stage.algo} starts from {cfg.start}, but {init} has no finished {cfg.start} run; "
                                f"include {cfg.start} in --algos (it runs first)")
    recover(run)  # a kill between the two renames of a checkpoint save
    resume = (run / "checkpoint").exists()
    _log(cfg, f"{stage.env} {stage.algo} seed {stage.seed}: {'resuming' if resume else 'training'} "
              f"({', '.join(f'{k}={v}' for k, v in values.items())}) -> {run}")
    config = make_config(stage.algo.replace("-", "_"), preset=stage.env, env=stage.env, data=str(data / "train.jsonl"),
                         out=str(run), model=cfg.model, init=str(init) if init else None, seed=stage.seed,
                         device=cfg.device, resume=resume, **values)
    t0 = time.time()
    train(config)
    state = read_state(run)
    record = {"seconds": round(state.get("elapsed", time.time() - t0), 1), "steps": state.get("step"),
              "metrics": str((run / "metrics.jsonl").relative_to(out)), "config": values,
              "init": str(init.relative_to(out)) if init else None}
    _atomic_json(record_path, record)
    return record


def _evaluate(cfg: BenchmarkConfig, budget: Budget, stage: Stage, out: Path) -> dict[str, Any]:
    from lmrl_eval.evaluate import decoding_metrics, evaluate, protocol_specs
    from lmrl_eval.policies import load_eval_policy

    run = stage.dir(out)
    path = run / "eval.json"
    episodes = budget.eval.get(stage.env)
    if not cfg.force and isinstance(record := _read_json(path, "evaluating again"), dict):
        want = len(protocol_specs(stage.env, episodes))
        if record.get("episodes") not in (None, want):
            _warn(f"{path} has {record['episodes']} episodes, the {budget.name} budget now plays {want}; it is "
                  f"kept (delete it to evaluate again)")
        return record
    _log(cfg, f"{stage.env} {stage.algo} seed {stage.seed}: evaluating ({episodes or 'protocol'} episodes)")
    kwargs = dict(budget.decode.get(stage.env, {}))  # on top of load_eval_policy's: sampled, the task's decoding
    policy = load_eval_policy(str(run), stage.env, seed=stage.seed, device=cfg.device, **kwargs)
    t0 = time.time()
    result = evaluate(stage.env, policy, episodes, seed=stage.seed, batch_size=64, progress=cfg.progress)
    record = {**result.to_dict(), "seconds": round(time.time() - t0, 1), **decoding_metrics(stage.env, policy)}
    record["decode"] = {**record["decode"], **kwargs}
    _atomic_json(path, record)
    return record


def auto_jobs(device: str, threads: int | None) -> int:
    """``--jobs`` when not given: the usable CPU cores divided by the torch threads per stage on a CPU; 1 on CUDA
    (the stages would share one GPU) or when `threads` is None (torch then uses every core itself).

    Example:
        >>> auto_jobs("cuda", 1), auto_jobs("cpu", None)
        (1, 1)
    """
    if threads is None or device == "cuda":
        return 1
    if device == "auto":
        import torch

        if torch.cuda.is_available():
            return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // threads)


def _run_stage(cfg: BenchmarkConfig, budget: Budget, stage: Stage, data: Path, out: Path) -> tuple[float | None, bool]:
    """Train and evaluate one stage (each skipped if its output exists); returns its score (None: not normalised)
    and whether it had been finished before."""
    finished = not cfg.force and (stage.dir(out) / "eval.json").exists() and (stage.dir(out) / "train.json").exists()
    _train(cfg, budget, stage, data, out)
    return _evaluate(cfg, budget, stage, out).get("score"), finished


def _exit_with(parent: int) -> None:
    """End this worker process once `parent` is gone (it was killed): a worker must not train on for a benchmark
    that no longer exists. The stage it was running resumes from its last checkpoint on the next run."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _worker_init(threads: int | None, specs: list[lmrl_envs.EnvSpec]) -> None:
    """A worker process: its torch threads, no progress bars, the run's tasks registered as in the parent (a
    task registered by the caller's code at run time is unknown to a fresh interpreter), and a watch that ends
    it with its parent (`_exit_with`)."""
    import threading

    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True, name="exit-with-parent").start()
    os.environ["TQDM_DISABLE"] = "1"  # the trainers' bars would interleave (tqdm >= 4.66 reads it at import)
    for s in specs:
        if s.id not in lmrl_envs.list_envs():
            lmrl_envs.register(s.id, s.entry_point, description=s.description, task=s.task, **s.kwargs)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def _run_parallel(cfg: BenchmarkConfig, budget: Budget, stages: list[Stage], out: Path, jobs: int,
                  threads: int | None, write_results) -> None:
    """Run `stages` in `jobs` worker processes, in plan order as they become ready: a method that starts from BC
    waits for the BC stage of its task and seed. Datasets are generated here, before a task's first stage
    starts. Every stage is seeded on its own, so the numbers do not depend on `jobs` (tested). Progress bars are
    off in the workers (their lines would interleave); a line reports each stage's start and end. If a stage
    fails, no new stage starts, the running ones finish (and save), and the first error is raised."""
    import multiprocessing
    import pickle
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    specs = [lmrl_envs.spec(env) for env in dict.fromkeys(s.env for s in stages)]
    for s in specs:
        try:
            pickle.dumps(s)
        except Exception as e:  # noqa: BLE001  (any pickling failure means the same thing here)
            raise ValueError(f"task {s.id} cannot be sent to the --jobs worker processes ({e}); register it with a "
                             "'module:Class' entry point or an importable class, or pass --jobs 1") from None
    quiet = replace(cfg, progress=False)
    pending = list(stages)
    running: dict[Any, tuple[Stage, float]] = {}
    done: set[Stage] = set()
    error: BaseException | None = None
    n = len(stages)
    _log(cfg, f"{n} stages on {jobs} parallel jobs ({threads or 'default'} torch thread(s) each)")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_init, initargs=(threads, specs)) as pool:
        while pending or running:
            if error is None:
                for stage in [s for s in pending if stage_ready(s, stages, done, cfg.start)][:jobs - len(running)]:
                    data = _dataset(cfg, budget, stage.env, out)
                    pending.remove(stage)
                    running[pool.submit(_run_stage, quiet, budget, stage, data, out)] = (stage, time.time())
                    _log(cfg, f"stage {n - len(pending)}/{n} started: {stage.env} {stage.algo} seed {stage.seed}")
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                stage, t0 = running.pop(future)
                try:
                    score, earlier = future.result()
                except BaseException as e:  # noqa: BLE001  (re-raised below once the running stages end)
                    error = error or e
                    _warn(f"{stage.env} {stage.algo} seed {stage.seed} failed: {e!r}; no new stage starts")
                    continue
                done.add(stage)
                write_results()
                _log(cfg, f"{stage.env} {stage.algo} seed {stage.seed}: "
                          + ("finished earlier" if earlier else f"done in {time.time() - t0:.0f} s")
                          + (f", score {score:.1f}" if score is not None else ""))
    if error is not None:
        raise error


def stage_ready(stage: Stage, stages: list[Stage], done: set[Stage], start: str) -> bool:
    """Whether `stage` can start: the stage it starts from (`start`, same task and seed) is finished or not part
    of this run."""
    if stage.algo not in FROM_BC:
        return True
    first = Stage(stage.env, start, stage.seed)
    return first in done or first not in stages


def run_benchmark(cfg: BenchmarkConfig, command: str | None = None, budget: Budget | None = None) -> str:
    """Run every missing stage of the benchmark and return the report (markdown).

    Args:
        cfg: what to run.
        command: the command line, recorded in results.json and the report.
        budget: a custom `Budget` instead of ``BUDGETS[cfg.budget]`` (tests, experiments).

    Raises:
        ValueError: unknown budget, task, method or start; a run in `cfg.out` that started from another
            checkpoint than ``cfg.start``. FileNotFoundError: a method that starts from BC (or ``cfg.start``)
            without a finished run of it.
    """
    if budget is None:
        if cfg.budget not in BUDGETS:
            raise ValueError(f"unknown budget {cfg.budget!r}; choose from {', '.join(BUDGETS)}")
        budget = BUDGETS[cfg.budget]
    envs = [_env_name(e) for e in (cfg.envs or budget.envs)]
    algos = [_algo_name(a) for a in (cfg.algos or PAPER_ALGOS)]
    if not cfg.seeds:
        raise ValueError("--seeds needs at least one seed")
    if cfg.start not in STARTS:
        raise ValueError(f"--start {cfg.start!r}: the methods after BC can start from {' or '.join(STARTS)}")
    try:
        import lmrl_algos.train  # noqa: F401  (the package itself imports lazily, without torch)
        import lmrl_data  # noqa: F401
    except ImportError:
        raise ImportError("the benchmark trains models and generates data: pip install 'lmrl-eval[full]'") from None
    threads = cfg.threads if cfg.threads is not None else budget.threads
    if threads is not None:
        if threads < 1:
            raise ValueError(f"--cpu-threads must be >= 1, got {threads}")
        import torch

        torch.set_num_threads(threads)
    from lmrl_algos.common.distributed import resolve_device

    resolve_device(cfg.device)  # --device cuda without a GPU fails here, not after the dataset is generated
    if cfg.model != "tiny":  # a model directory or a Hub id in the local cache, checked before any work
        from lmrl_algos.models import ModelError, resolve_model

        try:
            resolve_model(cfg.model)
        except ModelError as e:
            raise ValueError(str(e)) from None
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; pass a directory")
    out.mkdir(parents=True, exist_ok=True)
    stages = plan(budget, envs, algos, cfg.seeds)
    jobs = cfg.jobs if cfg.jobs is not None else auto_jobs(cfg.device, threads)
    if jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    t_start = time.time()
    planned = [[env, algo] for env in envs for algo in algos]
    if jobs == 1:
        for i, stage in enumerate(stages, 1):
            _log(cfg, f"stage {i}/{len(stages)}: {stage.env} {stage.algo} seed {stage.seed}")
            _run_stage(cfg, budget, stage, _dataset(cfg, budget, stage.env, out), out)
            _write_results(out, budget, cfg, command, time.time() - t_start, planned)
    else:
        _run_parallel(cfg, budget, stages, out, jobs, threads, lambda: _write_results(
            out, budget, cfg, command, time.time() - t_start, planned))
    from lmrl_eval.report import build_report

    return build_report(out)


def _write_results(out: Path, budget: Budget, cfg: BenchmarkConfig, command: str | None, seconds: float,
                   planned: list[list[str]]) -> None:
    """results.json: every finished run in `out` (`_stage_runs`: this invocation's and earlier ones'), with
    this invocation's command, budget and machine, and ``planned``: the [task, method] cells asked for by every
    invocation in `out` so far (the report marks those without a run as missing). Built from the stage
    outputs at every write, so benchmarks of other seeds running in the same directory cannot drop each
    other's runs."""
    previous = load_results(out)  # an unreadable file is rebuilt here, with a warning
    runs = _stage_runs(out)
    cells = {tuple(c) for c in previous.get("planned", []) if isinstance(c, list) and len(c) == 2}
    cells |= {tuple(c) for c in planned}
    _atomic_json(out / "results.json", {
        "command": command or previous.get("command"),
        "budget": budget.name,
        "planned": [list(c) for c in sorted(cells, key=lambda c: (task_rank(c[0]), ALGOS.index(c[1])
                                                                  if c[1] in ALGOS else len(ALGOS)))],
        "model": cfg.model,
        "machine": machine_summary(cfg.device),
        "seconds": _stage_seconds(runs),
        "wall_seconds_this_invocation": round(seconds, 1),
        "runs": runs,
    })
