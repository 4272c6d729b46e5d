"""`lmrl-eval benchmark` end to end on a tiny budget: data -> BC -> ILQL / PPO -> evaluation -> report.

Wordle keeps it quick (at most 6 turns an episode, where an untrained maze policy walks 100)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lmrl_eval.benchmark import BenchmarkConfig, Budget, run_benchmark
from lmrl_eval.cli import main

TINY = Budget(
    name="tiny-test",
    envs=("wordle",),
    data={"wordle": 60},
    train={"bc": {"steps": 4, "batch_size": 8}, "filtered-bc": {"steps": 2, "batch_size": 8},
           "ilql": {"steps": 2, "batch_size": 8},
           "ppo": {"steps": 1, "n_rollouts": 4, "rollout_batch": 4, "max_new_tokens": 12}},
    eval={"wordle": 16},
    decode={"wordle": {"max_new_tokens": 12}},
)


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cfg = BenchmarkConfig(out=str(out), algos=("bc", "ilql", "ppo"), device="auto", progress=False, threads=1,
                          jobs=1)  # auto: the CLI default
    report = run_benchmark(cfg, command="test", budget=TINY)
    return out, report


def test_pipeline_writes_every_stage(bench_dir):
    out, report = bench_dir
    assert (out / "data" / "wordle" / "manifest.json").exists()
    results = json.loads((out / "results.json").read_text())
    assert [(r["algo"], r["seed"]) for r in results["runs"]] == [("bc", 0), ("ilql", 0), ("ppo", 0)]
    assert results["budget"] == "tiny-test" and results["command"] == "test"
    assert results["planned"] == [["wordle", "bc"], ["wordle", "ilql"], ["wordle", "ppo"]]
    for run in results["runs"]:
        assert run["env_id"] == "wordle-v0"
        assert run["eval"]["episodes"] == 16
        assert -6.0 <= run["eval"]["return_mean"] <= 0.0
        assert run["eval"]["score"] is not None
    steps = {r["algo"]: r["train"]["steps"] for r in results["runs"]}
    assert steps == {"bc": 4, "ilql": 2, "ppo": 1}
    assert {r["algo"]: r["train"]["init"] for r in results["runs"]} == {
        "bc": None, "ilql": "wordle/bc/seed0", "ppo": "wordle/bc/seed0"}
    assert "| wordle |" in report and "### wordle" in report
    assert (out / "report.md").read_text() == report
    assert (out / "scores_wordle.png").stat().st_size > 0
    assert (out / "learning_curves_wordle.png").stat().st_size > 0


def test_rerun_skips_finished_stages_and_redoes_a_missing_one(bench_dir):
    out, _ = bench_dir
    bc_ckpt = out / "wordle" / "bc" / "seed0" / "checkpoint" / "state.json"
    before = bc_ckpt.stat().st_mtime_ns
    ilql_eval = out / "wordle" / "ilql" / "seed0" / "eval.json"
    old = json.loads(ilql_eval.read_text())
    ilql_eval.unlink()  # as if the benchmark had been interrupted during this evaluation
    cfg = BenchmarkConfig(out=str(out), algos=("bc", "ilql", "ppo"), device="cpu", progress=False)
    run_benchmark(cfg, command="test", budget=TINY)
    assert bc_ckpt.stat().st_mtime_ns == before  # BC was not retrained
    new = json.loads(ilql_eval.read_text())
    new.pop("seconds"), old.pop("seconds")
    assert new == old  # the re-evaluation is deterministic


def test_rerun_with_other_budget_settings_keeps_the_runs_and_says_so(bench_dir, tmp_path, capsys):
    """A budget whose steps or evaluation episodes changed since a stage finished: the stage is kept (no data is
    lost, nothing is silently retrained) and a warning names the run, both settings and the fix."""
    out = tmp_path / "bench"
    shutil.copytree(bench_dir[0], out)
    before = _records(out)
    changed = dataclasses.replace(TINY, train={**TINY.train, "ilql": {"steps": 3, "batch_size": 8}},
                                  eval={"wordle": 8})
    cfg = BenchmarkConfig(out=str(out), algos=("bc", "ilql", "ppo"), device="cpu", progress=False, jobs=1)
    run_benchmark(cfg, command="test", budget=changed)
    err = capsys.readouterr().err
    assert f"{out / 'wordle' / 'ilql' / 'seed0'} was trained with {{'steps': 2, 'batch_size': 8}}" in err
    assert "the tiny-test budget now says {'steps': 3, 'batch_size': 8}" in err and "--force" in err
    assert err.count("has 16 episodes, the tiny-test budget now plays 8") == 3 and "delete it" in err
    assert err.count("was trained with") == 1  # BC's and PPO's settings did not change: no warning for them
    assert _records(out) == before


def _records(out):
    runs = json.loads((out / "results.json").read_text())["runs"]
    return {(r["algo"], r["seed"]): {k: v for k, v in r["eval"].items() if k != "seconds"} for r in runs}


def test_parallel_jobs_give_the_same_numbers(bench_dir, tmp_path, capsys):
    """--jobs 2: the stages run in two worker processes (ILQL and PPO at once, after BC), with the numbers of the
    in-process run, and the finished stages are reported."""
    out, _ = bench_dir
    cfg = BenchmarkConfig(out=str(tmp_path), algos=("bc", "ilql", "ppo"), device="cpu", threads=1, jobs=2)
    run_benchmark(cfg, command="test", budget=TINY)
    log = capsys.readouterr().out
    assert "3 stages on 2 parallel jobs" in log and "wordle ppo seed 0: done in" in log
    assert log.index("wordle bc seed 0: done") < log.index("started: wordle ilql seed 0")
    assert _records(tmp_path) == _records(out)


def test_start_from_filtered_bc(tmp_path, capsys):
    """--start filtered-bc: PPO waits for and starts from the %BC run (not BC), the report says so, and the
    directory refuses a later run of another start."""
    cfg = BenchmarkConfig(out=str(tmp_path), algos=("filtered-bc", "ppo"), device="cpu", threads=1, jobs=2,
                          start="filtered-bc")
    report = run_benchmark(cfg, command="test", budget=TINY)
    log = capsys.readouterr().out
    assert log.index("wordle filtered-bc seed 0: done") < log.index("started: wordle ppo seed 0")
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert {r["algo"]: r["train"]["init"] for r in runs} == {"filtered-bc": None, "ppo": "wordle/filtered-bc/seed0"}
    assert "start from: filtered-bc" in report
    with pytest.raises(ValueError, match="started from wordle/filtered-bc/seed0, not from bc"):
        run_benchmark(BenchmarkConfig(out=str(tmp_path), algos=("bc", "ppo"), device="cpu", threads=1, jobs=1,
                                      progress=False), command="test", budget=TINY)


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    assert main(["benchmark", "--out", str(tmp_path), "--algos", "bc,dqn"]) == 2
    assert "unknown algorithm 'dqn'" in capsys.readouterr().err
    assert main(["benchmark", "--out", str(tmp_path), "--envs", "mazes"]) == 2
    assert "unknown task 'mazes'" in capsys.readouterr().err
    assert main(["benchmark", "--out", str(tmp_path / "x"), "--algos", "ilql"]) == 2
    assert "include bc in --algos" in capsys.readouterr().err
    assert main(["benchmark", "--out", str(tmp_path / "y"), "--algos", "ppo", "--start", "filtered-bc"]) == 2
    assert "include filtered-bc in --algos" in capsys.readouterr().err


def test_jobs_refuse_a_task_the_workers_cannot_receive(tmp_path, monkeypatch):
    """A task registered with a lambda cannot be pickled to the worker processes: a clear error before any work."""
    import lmrl_envs
    from lmrl_envs import registry

    spec = registry.EnvSpec("lambda-task-v0", lambda **kw: lmrl_envs.make("wordle", **kw))
    monkeypatch.setitem(registry._REGISTRY, spec.id, spec)
    cfg = BenchmarkConfig(out=str(tmp_path), envs=("lambda-task",), algos=("bc",), device="cpu", threads=1, jobs=2,
                          progress=False)
    with pytest.raises(ValueError, match="lambda-task-v0 cannot be sent to the --jobs worker processes"):
        run_benchmark(cfg, command="test", budget=TINY)
    assert not (tmp_path / "data").exists()


def _children(pid):
    """The pids whose parent is `pid` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_end_when_the_benchmark_is_killed(tmp_path):
    """kill -9 of a --jobs 2 benchmark mid-run: its worker processes end too (they would train on otherwise)."""
    script = tmp_path / "bench.py"
    script.write_text(
        "import sys\n"
        "from lmrl_eval.benchmark import BenchmarkConfig, Budget, run_benchmark\n"
        "b = Budget(name='long', envs=('wordle',), data={'wordle': 60}, train={'bc': {'steps': 100000, 'batch_size': 8}},"
        " eval={'wordle': 16})\n"
        "if __name__ == '__main__':\n"
        "    run_benchmark(BenchmarkConfig(out=sys.argv[1], algos=('bc', 'filtered-bc'), device='cpu', threads=1,"
        " jobs=2, progress=False), budget=b)\n")
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "out")])
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (tmp_path / "out" / "wordle" / "bc" / "seed0" / "metrics.jsonl").exists():
            time.sleep(0.5)
        workers = _children(proc.pid)
        assert workers, "the benchmark started no worker process"
    finally:
        proc.kill()
        proc.wait()
    deadline = time.time() + 30
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() and "Z" not in _state(w) for w in workers):
        time.sleep(0.5)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in _state(w)]


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
