"""The CLI conventions shared by the four lmrl commands, as `lmrl-eval` keeps them: ``--env`` (``benchmark``:
``--envs`` is an alias), ``--cpu-threads`` (alias ``--threads``), ``--workers`` as parallel workers running
environments (1: none), and a ``--help`` that imports neither torch nor transformers."""

import json

import pytest

import lmrl_eval.benchmark
import lmrl_eval.evaluate
from lmrl_envs.testing import run_cli_light
from lmrl_eval.cli import main


@pytest.mark.parametrize("argv", [["--help"], ["evaluate", "--help"], ["benchmark", "--help"], ["report", "--help"]])
def test_help_does_not_import_torch(argv):
    proc = run_cli_light("lmrl_eval.cli", argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: lmrl-eval")


@pytest.fixture
def benchmark_config(monkeypatch):
    """Run ``lmrl-eval benchmark ...`` up to its `BenchmarkConfig`: ``run(argv) -> cfg``."""
    seen = []
    monkeypatch.setattr(lmrl_eval.benchmark, "run_benchmark", lambda cfg, command=None: seen.append(cfg) or "")

    def run(argv):
        assert main(["benchmark", "--out", "unused", *argv]) == 0
        return seen.pop()

    return run


@pytest.mark.parametrize("argv", [["--env", "maze-fo,wordle"], ["--envs", "maze-fo,wordle"],
                                  ["--env", "maze-fo", "--env", "wordle"], ["--envs", "maze-fo", "--env", "wordle"]])
def test_benchmark_env_and_its_alias_envs(argv, benchmark_config):
    assert benchmark_config(argv).envs == ("maze-fo", "wordle")


def test_benchmark_cpu_threads_and_its_alias_threads(benchmark_config):
    assert benchmark_config([]).threads is None  # the budget's
    assert benchmark_config(["--cpu-threads", "2"]).threads == 2
    assert benchmark_config(["--threads", "3"]).threads == 3
    cfg = benchmark_config(["--algos", "filtered_bc,online-filtered-bc", "--workers", "2"])
    assert cfg.algos == ("filtered_bc", "online-filtered-bc") and cfg.workers == 2  # the benchmark normalises names


def test_benchmark_help_shows_the_canonical_flags(capsys):
    with pytest.raises(SystemExit):
        main(["benchmark", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "[--env ENV[,ENV...]]" in text and "[--cpu-threads N]" in text  # the usage line: canonical names only
    assert "--envs ENV" not in text.split("options:")[0] and "--threads" not in text.split("options:")[0]
    assert "--env ENV[,ENV...], --envs ENV[,ENV...]" in text and "--cpu-threads N, --threads N" in text
    assert "--workers WORKERS parallel workers running the environments: processes generating the datasets" in text


def test_evaluate_workers_are_threads_stepping_envs_and_1_is_none(monkeypatch, capsys):
    passed = []
    real = lmrl_eval.evaluate.evaluate

    def spy(*args, **kwargs):
        passed.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(lmrl_eval.evaluate, "evaluate", spy)
    records = []
    for workers in ([], ["--workers", "0"], ["--workers", "1"], ["--workers", "3"]):
        assert main(["evaluate", "--env", "maze-fo", "--policy", "expert", "--episodes", "4", "--json", *workers]) == 0
        records.append(json.loads(capsys.readouterr().out))
    assert passed == [0, 0, 0, 3]  # the default 1, and 0, step in this thread (no pool); 3: a pool of 3 threads
    assert records[1:] == records[:-1]  # the same episodes whatever the workers
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--workers WORKERS parallel workers running the environments: threads stepping the batch's envs" in text
    assert "(default 1: all in this thread; 0 means the same)" in text
