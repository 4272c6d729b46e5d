"""The packages together: lmrl-data writes a dataset, lmrl-algos trains on it, lmrl-eval scores it."""

from __future__ import annotations

import json

from lmrl_algos import make_config, train
from lmrl_data.generate import GenerateConfig, generate
from lmrl_data.io import iter_episodes
from lmrl_eval.evaluate import evaluate
from lmrl_eval.policies import load_eval_policy


def test_data_train_evaluate(tmp_path):
    data = tmp_path / "data"
    manifest = generate(GenerateConfig("maze-fo", str(data), episodes=60, seed=0, progress=False))
    assert manifest["counts"]["train"] + manifest["counts"]["eval"] == 60
    train_file = data / "train.jsonl"
    assert all(ep.env_id == "maze-fo-v0" for ep in iter_episodes(data))

    run = tmp_path / "bc"
    ckpt = train(make_config("bc", preset="maze", env="maze-fo", data=str(train_file), out=str(run), steps=4,
                             batch_size=8, device="cpu", log_every=1))
    assert json.loads((ckpt / "state.json").read_text())["step"] == 4

    results = []
    for _ in range(2):
        policy = load_eval_policy(str(run), "maze-fo", seed=0, device="cpu", greedy=True, max_new_tokens=4)
        results.append(evaluate("maze-fo", policy, episodes=25, seed=0, batch_size=25))
    first, second = results
    assert first.to_dict() == second.to_dict()  # same checkpoint, same seed: same numbers
    assert first.episodes == 25
    assert -101.0 <= first.return_mean <= -6.0  # every maze step costs -1 (goal: 0); the cap is 100 moves
    # a few BC steps on a tiny model do not solve the maze: scored against the paper's Maze constants
    assert first.score < 50.0


def test_expert_and_random_policies_score_at_the_ends(tmp_path):
    expert = evaluate("maze-fo", load_eval_policy("expert", "maze-fo"), episodes=25, seed=0)
    rand = evaluate("maze-fo", load_eval_policy("random", "maze-fo"), episodes=25, seed=0)
    assert expert.success_rate == 1.0 and expert.score > 95.0
    assert rand.return_mean < expert.return_mean
