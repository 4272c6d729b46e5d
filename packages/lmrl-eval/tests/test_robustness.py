"""What happens when things go wrong: bad arguments, damaged checkpoints, batch-size-dependent
episodes, an unreadable results.json. Errors end with exit code 2 and one error line."""

import json
import random

import pytest

import lmrl_envs
from lmrl_eval.benchmark import BenchmarkConfig, Budget, run_benchmark
from lmrl_eval.cli import main
from lmrl_eval.evaluate import evaluate
from lmrl_eval.policies import load_eval_policy
from lmrl_eval.report import build_report, read_metrics

EVAL = {"env_id": "maze-fo-v0", "episodes": 25, "return_mean": -40.0, "return_std": 10.0, "return_stderr": 2.0,
        "return_min": -60.0, "return_max": -6.0, "success_rate": 0.6, "length_mean": 30.0, "invalid_rate": 0.0,
        "score": 77.3, "score_stderr": 1.3, "seconds": 2.0}


def _cli(capsys, argv):
    """Run the CLI; returns (exit code, stderr) and checks the error is one line with no traceback."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse
        code = e.code
    err = capsys.readouterr().err
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        assert "Traceback" not in err
        assert [line for line in lines if "error:" in line] == lines[-1:], err
    return code, err


def test_bad_arguments_of_every_subcommand_exit_2_with_one_error_line(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    out = str(tmp_path / "bench")
    evaluate_ = ["evaluate", "--env", "maze-fo", "--policy", "random"]
    bench = ["benchmark", "--out", out]
    cases = [
        ([], "the following arguments are required: cmd"),
        (["train"], "argument cmd: invalid choice: 'train'"),
        (evaluate_ + ["--episodes", "0"], "argument --episodes: must be >= 1, got 0 (leave --episodes out for the "
                                          "protocol's count)"),
        (evaluate_ + ["--episodes", "-3"], "argument --episodes: must be >= 1, got -3"),
        (evaluate_ + ["--episodes", "2.5"], "argument --episodes: takes an integer, got '2.5'"),
        (evaluate_ + ["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
        (evaluate_ + ["--batch-size", "0"], "argument --batch-size: must be >= 1, got 0"),
        (evaluate_ + ["--workers", "-1"], "argument --workers: must be >= 0, got -1"),
        (evaluate_ + ["--device", "gpu"], "argument --device: invalid choice: 'gpu'"),
        (["evaluate", "--env", "mazes", "--policy", "random"], "unknown dataset id 'mazes'"),
        (["evaluate", "--env", "maze-fo", "--policy", str(tmp_path / "missing")], "is not random/expert/behaviour/"
                                                                                  "human, hf:PATH_OR_ID or a checkpoint"),
        (["evaluate", "--env", "maze-fo", "--policy", str(tmp_path)], f"{tmp_path}: no lmrl-algos checkpoint"),
        (["evaluate", "--env", "maze-fo"], "the following arguments are required: --policy"),
        (["benchmark"], "the following arguments are required: --out"),
        (bench + ["--env", ""], "argument --env/--envs: takes comma-separated names, got '' (leave the flag out for "
                                "all)"),
        (bench + ["--envs", ","], "argument --env/--envs: takes comma-separated names, got ','"),
        (bench + ["--algos", ","], "argument --algos: takes comma-separated names, got ','"),
        (bench + ["--algos", "bc,dqn"], "unknown algorithm 'dqn'"),
        (bench + ["--seeds", "0,-1"], "argument --seeds: takes one or more seeds >= 0, e.g. 0,1,2; got '0,-1'"),
        (bench + ["--seeds", "one"], "argument --seeds: takes comma-separated integers, got 'one'"),
        (bench + ["--cpu-threads", "0"], "argument --cpu-threads/--threads: must be >= 1, got 0"),
        (bench + ["--threads", "0"], "argument --cpu-threads/--threads: must be >= 1, got 0"),
        (bench + ["--workers", "0"], "argument --workers: must be >= 1, got 0"),
        (bench + ["--budget", "huge"], "argument --budget: invalid choice: 'huge'"),
        (bench + ["--model", str(tmp_path / "missing")], f"--model {tmp_path / 'missing'}: no such local directory"),
        (["benchmark", "--out", str(a_file)], f"--out {a_file} is a file; pass a directory"),
        (["report"], "the following arguments are required: dir"),
        (["report", str(tmp_path / "missing")], f"{tmp_path / 'missing'}/results.json not found: run `lmrl-eval "
                                                "benchmark --out"),
    ]
    for argv, message in cases:
        code, err = _cli(capsys, argv)
        assert code == 2, argv
        assert message in err, (argv, err)
    assert not (tmp_path / "bench").exists()  # refused before any work


def test_every_help_runs(capsys):
    for argv in (["--help"], ["evaluate", "--help"], ["benchmark", "--help"], ["report", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        assert "usage: lmrl-eval" in capsys.readouterr().out


def test_evaluate_python_api_refuses_bad_numbers():
    for kwargs, message in [({"episodes": 0}, "episodes must be >= 1, got 0"), ({"episodes": -3}, "got -3"),
                            ({"episodes": 5, "seed": -1}, "seed must be >= 0, got -1"),
                            ({"episodes": 5, "batch_size": 0}, "batch_size must be >= 1, got 0")]:
        with pytest.raises(ValueError, match=message):
            evaluate("wordle", lambda hs: ["crane\n"] * len(hs), **kwargs)


@pytest.mark.parametrize(("env_id", "episodes"), [("maze-fo", 25), ("wordle", 8), ("guess-my-city", 8)])
def test_same_seed_same_episodes_for_any_batch_size(env_id, episodes):
    # guess-my-city lists no valid actions: the random policy's fallback (lmrl-data's behaviour policy) acts
    pytest.importorskip("lmrl_data")
    played = {}
    for batch_size in (1, 7, 32):
        policy = load_eval_policy("random", env_id, seed=3)
        _, eps = evaluate(env_id, policy, episodes, seed=1, batch_size=batch_size, return_episodes=True)
        played[batch_size] = [(e.seed, e.texts, e.rewards) for e in eps]
    assert played[1] == played[7] == played[32]
    assert len({tuple(texts) for _, texts, _ in played[1]}) > 1  # the episodes differ from each other


@pytest.fixture(scope="module")
def checkpoint_run(tmp_path_factory):
    """A 1-step BC checkpoint of a tiny model on maze-fo (lmrl-algos is in lmrl-eval[full])."""
    lmrl_algos = pytest.importorskip("lmrl_algos")
    moves = lmrl_envs.make("maze-fo").valid_actions()  # the 4 moves

    rng = random.Random(0)
    data = tmp_path_factory.mktemp("data") / "maze.jsonl"
    lmrl_envs.write_episodes(data, lmrl_envs.rollout([lmrl_envs.make("maze-fo") for _ in range(4)],
                                                     lambda hs: [rng.choice(moves) for _ in hs], 4, seed=0))
    out = tmp_path_factory.mktemp("runs") / "bc"
    lmrl_algos.train(lmrl_algos.make_config("bc", env="maze-fo", data=str(data), out=str(out), steps=1, batch_size=4,
                                            max_length=64, device="cpu", bf16=False))
    return out


def _nan_weight(ckpt):
    from safetensors.torch import load_file, save_file

    path = ckpt / "model" / "model.safetensors"
    tensors = load_file(path)
    tensors["transformer.h.0.mlp.c_proj.weight"][0, 0] = float("inf")
    save_file(tensors, path, metadata={"format": "pt"})


def _cut_weights(ckpt):
    path = ckpt / "model" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:100])


def _garbage_state(ckpt):
    (ckpt / "state.json").write_bytes(b"\x00\xff garbage")


@pytest.mark.parametrize(("damage", "message"), [
    (_nan_weight, "checkpoint/model/model.safetensors: tensor transformer.h.0.mlp.c_proj.weight holds nan or inf"),
    (_cut_weights, "checkpoint/model/model.safetensors: unreadable ("),
    (_garbage_state, "checkpoint/state.json: not valid JSON ("),
])
def test_evaluate_refuses_a_damaged_or_non_finite_checkpoint(damage, message, checkpoint_run, tmp_path, capsys):
    import shutil

    assert load_eval_policy(str(checkpoint_run), "maze-fo", device="cpu").rerank  # the intact one loads
    run = shutil.copytree(checkpoint_run, tmp_path / "run")
    damage(run / "checkpoint")
    code, err = _cli(capsys, ["evaluate", "--env", "maze-fo", "--policy", str(run), "--device", "cpu"])
    assert code == 2
    assert f"lmrl-eval: error: {run}/{message}" in err and "the checkpoint is damaged" in err


def test_device_cuda_without_a_gpu_is_refused(checkpoint_run, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("needs a machine without a CUDA GPU")
    message = "--device cuda but no CUDA GPU is visible; pass --device cpu (or auto)"
    code, err = _cli(capsys, ["evaluate", "--env", "maze-fo", "--policy", str(checkpoint_run), "--device", "cuda"])
    assert code == 2 and message in err
    code, err = _cli(capsys, ["benchmark", "--out", str(tmp_path / "b"), "--device", "cuda"])
    assert code == 2 and message in err
    assert not (tmp_path / "b").exists()  # before the dataset is generated


def _finished_benchmark(out):
    """A benchmark directory whose every stage is done (dataset, train.json, eval.json, metrics)."""
    (out / "data" / "maze-fo").mkdir(parents=True)
    (out / "data" / "maze-fo" / "manifest.json").write_text("{}")
    for algo, ret in (("bc", -40.0), ("ilql", -20.0)):
        run = out / "maze-fo" / algo / "seed0"
        run.mkdir(parents=True)
        (run / "metrics.jsonl").write_text(json.dumps({"step": 2, "losses/total": 1.0}) + "\n")
        (run / "train.json").write_text(json.dumps({"seconds": 10.0, "steps": 2, "init": None, "config": {},
                                                    "metrics": f"maze-fo/{algo}/seed0/metrics.jsonl"}))
        (run / "eval.json").write_text(json.dumps({**EVAL, "return_mean": ret}))


def test_an_unreadable_results_json_is_rebuilt_from_the_stage_outputs(tmp_path, capsys):
    pytest.importorskip("lmrl_algos")
    _finished_benchmark(tmp_path)
    cfg = BenchmarkConfig(out=str(tmp_path), envs=("maze-fo",), algos=("bc", "ilql"), device="cpu", progress=False)
    budget = Budget(name="done", envs=("maze-fo",), data={}, train={}, eval={})
    report = run_benchmark(cfg, command="first", budget=budget)  # every stage is skipped: only results are written
    intact = json.loads((tmp_path / "results.json").read_text())
    assert [(r["algo"], r["eval"]["return_mean"]) for r in intact["runs"]] == [("bc", -40.0), ("ilql", -20.0)]
    tables = report[report.index("## Normalised score"):]

    text = (tmp_path / "results.json").read_text()
    (tmp_path / "results.json").write_text(text[: len(text) // 2])  # cut short
    code, err = _cli(capsys, ["report", str(tmp_path)])
    assert code == 0
    assert f"lmrl-eval: warning: {tmp_path}/results.json is unreadable (" in err
    assert "rebuilt it from the train.json and eval.json of 2 finished runs" in err
    rebuilt = build_report(tmp_path)
    assert rebuilt.startswith("# lmrl benchmark report\n\nRun: 0.4 min\n\n## Normalised score")  # no command now
    assert rebuilt[rebuilt.index("## Normalised score"):] == tables
    assert json.loads((tmp_path / "results.json").read_text())["runs"] == intact["runs"]

    (tmp_path / "results.json").write_text("{\"runs\": [")  # the benchmark itself rebuilds it too
    run_benchmark(cfg, command="again", budget=budget)
    assert "results.json is unreadable" in capsys.readouterr().err
    again = json.loads((tmp_path / "results.json").read_text())
    assert again["runs"] == intact["runs"] and again["command"] == "again"


def test_learning_curve_points_are_in_step_order_once(tmp_path):
    rows = [{"step": 1, "losses/total": 3.0}, {"step": 2, "losses/total": 2.0}, {"step": 3, "losses/total": 1.5},
            {"step": 2, "losses/total": 2.5, "eval/return": -9.0}, {"step": 3, "losses/total": 1.0}]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 4, "loss')
    assert read_metrics(path, ("losses/total", "eval/return")) == {
        "losses/total": [(1, 3.0), (2, 2.5), (3, 1.0)], "eval/return": [(2, -9.0)]}
