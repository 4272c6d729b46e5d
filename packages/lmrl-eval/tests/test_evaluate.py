"""Evaluation protocol, metrics and determinism."""

import json

import pytest

import lmrl_envs
from lmrl_envs import Episode
from lmrl_eval.evaluate import EVAL_SEED_OFFSET, evaluate, protocol_specs, summarize
from lmrl_eval.policies import RandomPolicy, load_eval_policy
from lmrl_eval.report import build_report

MAZE = lmrl_envs.spec("maze-fo").task.protocol
"""The Maze's protocol, from its task record: the 25 start cells and their shortest-path first moves."""


def _down_is_optimal() -> int:
    """On how many start cells "move down" is a shortest-path first move."""
    return sum("move down\n" in MAZE.first_actions(o) for o in MAZE.start_options())


def test_maze_protocol_uses_every_start_cell_equally():
    specs = protocol_specs("maze-fo", episodes=50, seed=0)
    assert len(specs) == 50
    cells = [s.options["init_position"] for s in specs]
    assert sorted(set(cells)) == sorted(o["init_position"] for o in MAZE.start_options())
    assert len(set(cells)) == 25 and cells[0] == (1, 1)
    assert all(cells.count(c) == 2 for c in set(cells))
    assert specs[0].seed == EVAL_SEED_OFFSET
    assert len(protocol_specs("maze-po")) == 800  # the paper's 32 x 25


def test_other_tasks_use_seeded_episodes():
    specs = protocol_specs("wordle", episodes=10, seed=2)
    assert [s.seed for s in specs] == [EVAL_SEED_OFFSET + 200_000 + i for i in range(10)]
    assert len(protocol_specs("wordle")) == 4096


def test_endgames_protocol_plays_each_fixed_position_once():
    specs = protocol_specs("endgames", seed=1)
    assert len(specs) == 640 and [s.options for s in specs[:2]] == [{"position_index": 0}, {"position_index": 1}]
    assert [s.seed for s in specs[:2]] == [EVAL_SEED_OFFSET + 100_000, EVAL_SEED_OFFSET + 100_001]
    assert len(protocol_specs("endgames", episodes=10)) == 10 and len(protocol_specs("endgames", episodes=10**6)) == 640


def test_expert_maze_scores_exactly_100():
    pytest.importorskip("lmrl_data")
    r = evaluate("maze-fo", load_eval_policy("expert", "maze-fo"), episodes=25)
    assert (r.return_mean, r.success_rate, r.score, r.invalid_rate) == (-6.84, 1.0, 100.0, 0.0)
    assert r.return_min == -11.0 and r.return_max == 0.0  # (1, 1) and (1, 11) are 12 moves away


def test_evaluation_is_deterministic_under_a_seed():
    a = evaluate("maze-fo", RandomPolicy(seed=1), episodes=25, batch_size=8)
    b = evaluate("maze-fo", RandomPolicy(seed=1), episodes=25, batch_size=8)
    assert a == b
    assert a.score is not None and a.return_mean < -6.84


def _ep(rewards, success, invalid=0):
    texts, is_action = ["o\n"], [False]
    for _ in rewards:
        texts += ["a\n", "o\n"]
        is_action += [True, False]
    return Episode("maze-fo-v0", 0, texts, is_action, list(rewards), [0] * len(rewards), terminated=success,
                   info={"success": success, "invalid_actions": invalid})


def test_summarize_metrics_by_hand():
    r = summarize("maze-fo", [_ep([-1.0, 0.0], True), _ep([-1.0, -1.0, -4.0, -1.0], False, invalid=1)])
    assert r.return_mean == -4.0 and r.return_std == 3.0 and r.return_stderr == 3.0
    assert r.success_rate == 0.5 and r.length_mean == 3.0 and r.invalid_rate == round(1 / 6, 4)
    # score of -4 on FO maze: 50 + 50 * 79 / 76.16 = 101.9; stderr 3 * 50 / 76.16 = 1.97
    assert r.score == 101.9 and r.score_stderr == 1.97
    with pytest.raises(ValueError, match="no episodes"):
        summarize("maze-fo", [])


def test_report_from_fixture(tmp_path):
    def run(algo, seed, raw, score):
        return {"env_id": "maze-fo-v0", "algo": algo, "seed": seed,
                "eval": {"return_mean": raw, "return_stderr": 1.0, "score": score, "score_stderr": 0.7,
                         "success_rate": 0.5, "episodes": 100, "length_mean": 20.0, "invalid_rate": 0.01},
                "train": {"seconds": 60.0}}

    results = {"command": "lmrl-eval benchmark --out x", "budget": "quick", "seconds": 600.0,
               "runs": [run("bc", 0, -60.0, 65.1), run("ilql", 0, -10.0, 97.9), run("ilql", 1, -12.0, 96.6)]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    text = build_report(tmp_path)
    # one seed: the evaluation's standard error; two: the standard error of the mean over seeds (sd / sqrt 2)
    assert "| maze-fo | 65.1 ± 0.7 (1 seed) / 58.2 | 97.2 ± 0.7 (2 seeds) / 99.9 |" in text
    assert "| ilql | -11.00 ± 1.00 | 97.2 ± 0.7 | 99.9 | 0.50 | 20.0 | 0.010 | 200 | 0,1 | 120 |" in text
    assert "| task | seed 0 | seed 1 | methods |" in text
    assert "| maze-fo | 2.0 | 1.0 | 2 |" in text  # bc 60 s + ilql 60 s on seed 0 (no eval seconds in the fixture)
    assert "missing /" not in text  # the quick budget: only the cells that were run
    assert (tmp_path / "report.md").read_text() == text
    assert (tmp_path / "scores_maze-fo.png").stat().st_size > 1000


def test_a_whole_table_report_marks_every_cell_not_run_as_missing(tmp_path):
    run = {"env_id": "wordle-v0", "algo": "mc", "seed": 0,
           "eval": {"return_mean": -5.0, "return_stderr": 0.1, "score": 10.0, "score_stderr": 1.0,
                    "success_rate": 0.1, "episodes": 10, "length_mean": 6.0, "invalid_rate": 0.0, "seconds": 30.0},
           "train": {"seconds": 90.0}}
    (tmp_path / "results.json").write_text(json.dumps({"budget": "standard", "runs": [run]}))
    text = build_report(tmp_path)
    table = text.split("## Time")[0]
    assert "| wordle | missing / 79.9 | missing / 79.1 | 10.0 ± 1.0 (1 seed) / 94.9 | missing / 97.7 |" in table
    assert "| car-dealer | missing / 44.5 |" in table and table.count("| maze-fo |") == 1
    assert "| wordle | 2.0 | 1 |" in text


def test_a_report_lists_the_cells_asked_for(tmp_path):
    """results.json's ``planned`` cells (what the benchmark invocations asked for) are listed, run or missing;
    a cell nobody asked for is ``-``, and no other task of the budget appears."""
    run = {"env_id": "twenty-questions-v0", "algo": "ppo", "seed": 0,
           "eval": {"return_mean": -15.0, "return_stderr": 0.5, "score": 58.7, "score_stderr": 2.0,
                    "success_rate": 0.3, "episodes": 128, "length_mean": 15.0, "invalid_rate": 0.1, "seconds": 18.0},
           "train": {"seconds": 95.0}}
    planned = [["twenty-questions", "ppo"], ["twenty-questions", "archer"], ["wordle", "archer"]]
    (tmp_path / "results.json").write_text(json.dumps({"budget": "standard", "planned": planned, "runs": [run]}))
    table = build_report(tmp_path).split("## Time")[0]
    assert "| task | ppo | archer |" in table
    assert "| twenty-questions | 58.7 ± 2.0 (1 seed) / 72.9 | missing |" in table
    assert "| wordle | - / 84.2 | missing |" in table
    assert "| maze-fo |" not in table and "| car-dealer |" not in table


def test_report_names_the_decoding_and_the_greedy_move_accuracy(tmp_path):
    def run(seed, correct):
        return {"env_id": "maze-fo-v0", "algo": "mc", "seed": seed,
                "eval": {"return_mean": -50.0, "return_stderr": 1.0, "score": 71.7, "score_stderr": 0.7,
                         "success_rate": 0.5, "episodes": 800, "length_mean": 20.0, "invalid_rate": 0.0,
                         "decode": {"greedy": False, "temperature": 1.0, "rerank": True},
                         "move_accuracy": {"correct": correct, "cells": 25}}}

    (tmp_path / "results.json").write_text(json.dumps({"runs": [run(0, 20), run(1, 15)]}))
    text = build_report(tmp_path)
    assert "| algo | raw return | score | paper score | success | length | invalid | greedy move acc. |" in text
    assert "| mc | -50.00 | 71.7 | 75.0 | 0.50 | 20.0 | 0.000 | 0.70 | 1600 | 0,1 | 0 | sampled T=1, re-ranked |" in text


def test_move_accuracy_is_greedy_first_moves_over_the_start_cells():
    from lmrl_eval.evaluate import move_accuracy

    def always_down(histories):
        return ["move down\n"] * len(histories)

    expected = _down_is_optimal()
    assert move_accuracy("maze-fo", always_down) == (expected, 25)
    assert 0 < expected < 25
    assert move_accuracy("maze-po", always_down) == (expected, 25)  # the same start cells, walls-only observations
    assert move_accuracy("wordle", always_down) is None


def _sharded_worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist

    from lmrl_data.policies import make_policy

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        policy = make_policy("maze-fo", "behaviour", seed=3)
        played = []
        begin = policy.begin_episode
        policy.begin_episode = lambda slot, seed, env: (played.append(seed), begin(slot, seed, env))[1]
        result, eps = evaluate("maze-fo", policy, episodes=50, seed=1, batch_size=8, shard=True, return_episodes=True)
        with open(f"{out_dir}/rank{rank}.json", "w") as f:
            json.dump({"result": result.to_dict(), "seeds": [e.seed for e in eps],
                       "returns": [e.total_return for e in eps], "played": played}, f)
    finally:
        dist.destroy_process_group()


def test_sharded_evaluation_over_two_gloo_ranks_equals_one_process(tmp_path):
    torch_mp = pytest.importorskip("torch.multiprocessing")
    pytest.importorskip("lmrl_data")
    from lmrl_data.policies import make_policy

    torch_mp.spawn(_sharded_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    single, eps = evaluate("maze-fo", make_policy("maze-fo", "behaviour", seed=3), episodes=50, seed=1,
                           batch_size=8, return_episodes=True)
    expected = {"result": single.to_dict(), "seeds": [e.seed for e in eps], "returns": [e.total_return for e in eps]}
    for rank in range(2):
        got = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert sorted(got.pop("played")) == expected["seeds"][rank::2]  # each rank played only its half
        assert got == expected


@pytest.mark.parametrize(("env_id", "worst", "invalid"), [
    ("wordle", -6.0, 1.0),
    ("twenty-questions", -20.0, 0.8),  # "move sideways" is read as a question (does it move?) and answered
    ("maze-fo", -401.0, 0.9901),       # 100 illegal moves at -4, then the 101st step ends it with "Failure" (-1)
])
def test_a_policy_that_emits_garbage_is_scored_not_a_crash(env_id, worst, invalid):
    garbage = ["", "\x00\x07", "é" * 5000, "move sideways", "Is it?" * 300]
    r = evaluate(env_id, lambda hs: [garbage[len(h) % len(garbage)] for h in hs], episodes=25, batch_size=5)
    assert (r.episodes, r.success_rate, r.return_mean, r.return_max, r.invalid_rate) == (25, 0.0, worst, worst, invalid)
    assert r.score is not None and r.score <= 0.0


def test_decoding_metrics_measure_greedily_and_restore_the_policy():
    from lmrl_eval.evaluate import decoding_metrics

    class Sampler:  # a policy with LMPolicy's decoding settings: greedy means "move down", sampled "move up"
        greedy, temperature, rerank = False, 1.0, True

        def act(self, histories, slots):
            return ["move down\n" if self.greedy else "move up\n"] * len(histories)

    policy = Sampler()
    record = decoding_metrics("maze-fo", policy)
    down = _down_is_optimal()
    assert record == {"decode": {"greedy": False, "temperature": 1.0, "rerank": True},
                      "move_accuracy": {"correct": down, "cells": 25,
                                        "decode": {"greedy": True, "temperature": 1.0, "rerank": True}}}
    assert policy.greedy is False
    assert decoding_metrics("wordle", policy) == {"decode": {"greedy": False, "temperature": 1.0, "rerank": True}}
