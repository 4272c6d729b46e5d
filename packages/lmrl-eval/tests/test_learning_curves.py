"""learning_curves_<task>.png from a synthetic results.json and metrics.jsonl files."""

import json

import pytest

from lmrl_eval.report import build_report, env_step_curves, learning_curves

pytest.importorskip("matplotlib")

EVAL = {"return_mean": -40.0, "return_stderr": 2.0, "score": 77.3, "score_stderr": 1.3, "success_rate": 0.6,
        "episodes": 25, "length_mean": 30.0, "invalid_rate": 0.0}


def _write_metrics(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _run(env, algo, seed, metrics):
    return {"env_id": env, "algo": algo, "seed": seed, "eval": EVAL,
            "train": {"seconds": 1.0, "steps": 4, "metrics": metrics} if metrics else {"seconds": 1.0}}


@pytest.fixture()
def bench(tmp_path):
    # bc seed 0 was killed after step 4 and resumed from its step-2 checkpoint: steps 3 and 4 are logged twice
    _write_metrics(tmp_path / "maze-fo/bc/seed0/metrics.jsonl", [
        {"step": 2, "losses/bc": 2.0, "losses/total": 2.0}, {"step": 2, "eval/return": -50.0},
        {"step": 3, "losses/bc": 1.5}, {"step": 4, "losses/bc": 1.2}, {"step": 4, "eval/return": -45.0},
        {"step": 3, "losses/bc": 1.4}, {"step": 4, "losses/bc": 1.1}, {"step": 4, "eval/return": -44.0}])
    _write_metrics(tmp_path / "maze-fo/bc/seed1/metrics.jsonl", [
        {"step": 2, "losses/bc": 3.0}, {"step": 2, "eval/return": -60.0},
        {"step": 4, "losses/bc": 1.0}, {"step": 4, "eval/return": -40.0}])
    _write_metrics(tmp_path / "maze-fo/ppo/seed0/metrics.jsonl", [
        {"step": 1, "losses/policy": -0.1, "losses/value": 0.7, "charts/return": -80.0},
        {"step": 1, "eval/return": -70.0}])
    _write_metrics(tmp_path / "wordle/ilql/seed0/metrics.jsonl", [
        {"step": 5, "losses/q": 0.5, "losses/v": 0.2, "losses/bc": 3.0, "losses/total": 3.7}])
    runs = [_run("maze-fo-v0", "ppo", 0, "maze-fo/ppo/seed0/metrics.jsonl"),
            _run("maze-fo-v0", "bc", 1, "maze-fo/bc/seed1/metrics.jsonl"),
            _run("maze-fo-v0", "bc", 0, "maze-fo/bc/seed0/metrics.jsonl"),
            _run("maze-fo-v0", "mc", 0, None),                                 # no metrics file: no panel
            _run("maze-fo-v0", "filtered-bc", 0, "maze-fo/filtered-bc/seed0/metrics.jsonl"),  # missing file
            _run("wordle-v0", "ilql", 0, "wordle/ilql/seed0/metrics.jsonl")]
    results = {"command": "x", "runs": runs}
    (tmp_path / "results.json").write_text(json.dumps(results))
    return tmp_path, results


def test_curves_keep_the_last_row_of_each_step_in_method_order(bench):
    out, results = bench
    curves = learning_curves(out, results)
    assert list(curves) == ["maze-fo", "wordle"]
    assert list(curves["maze-fo"]) == ["bc", "ppo"]  # report order; mc and filtered-bc have no metrics
    assert curves["maze-fo"]["bc"] == {
        0: {"eval/return": [(2, -50.0), (4, -44.0)], "losses/bc": [(2, 2.0), (3, 1.4), (4, 1.1)]},
        1: {"eval/return": [(2, -60.0), (4, -40.0)], "losses/bc": [(2, 3.0), (4, 1.0)]}}
    assert curves["maze-fo"]["ppo"] == {0: {"eval/return": [(1, -70.0)], "losses/policy": [(1, -0.1)],
                                            "losses/value": [(1, 0.7)]}}
    assert curves["wordle"]["ilql"] == {0: {"losses/bc": [(5, 3.0)], "losses/q": [(5, 0.5)], "losses/v": [(5, 0.2)]}}


def test_report_writes_one_learning_curve_png_per_task(bench):
    out, _ = bench
    build_report(out)
    for task in ("maze-fo", "wordle"):
        png = (out / f"learning_curves_{task}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png[16:20], "big")  # IHDR: one 420-pixel panel per method at dpi 100
        assert width == {"maze-fo": 840, "wordle": 420}[task]
    assert sorted(p.name for p in out.glob("learning_curves_*.png")) == ["learning_curves_maze-fo.png",
                                                                         "learning_curves_wordle.png"]
    assert not list(out.glob("env_steps_*.png"))  # no run logs charts/env_steps


def test_env_step_curves_sum_each_rounds_steps_up_to_the_evaluated_round(bench):
    out, results = bench
    # grpo seed 0 evaluates after rounds 2 and 3; seed 1 lost round 3's count (its point is left out)
    _write_metrics(out / "maze-fo/grpo/seed0/metrics.jsonl", [
        {"step": 1, "charts/env_steps": 100}, {"step": 2, "charts/env_steps": 80}, {"step": 2, "eval/return": -50.0},
        {"step": 3, "charts/env_steps": 60}, {"step": 3, "eval/return": -30.0}])
    _write_metrics(out / "maze-fo/grpo/seed1/metrics.jsonl", [
        {"step": 1, "charts/env_steps": 90}, {"step": 2, "charts/env_steps": 90}, {"step": 2, "eval/return": -60.0},
        {"step": 3, "eval/return": -20.0}])
    results["runs"] += [_run("maze-fo-v0", "grpo", s, f"maze-fo/grpo/seed{s}/metrics.jsonl") for s in (0, 1)]
    (out / "results.json").write_text(json.dumps(results))
    assert env_step_curves(out, results) == {"maze-fo": {"grpo": {0: [(180, -50.0), (240, -30.0)],
                                                                  1: [(180, -60.0)]}}}
    build_report(out)
    assert (out / "env_steps_maze-fo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
