"""Every task's dataset: same bytes across worker counts, manifest, validation errors, small-set statistics.

Sizes are tiny (chess: 2 games) so the whole file stays quick; full-size statistics are in the README.
"""

from __future__ import annotations

import json
import math
import os
import shutil

import pytest

from lmrl_data import RECIPES, GenerateConfig, generate, iter_episodes, validate_dataset
from lmrl_data.io import file_sha256
from lmrl_envs import DatasetError

HAS_STOCKFISH = shutil.which("stockfish") is not None or os.path.exists("/usr/games/stockfish")
_CHESS = {"chess-v0", "endgames-v0"}

# episodes per determinism run (2 workers get 2+ shards of `shard_size`)
_N = {"chess-v0": 2, "endgames-v0": 4}


def _skip_chess(env_id):
    if env_id in _CHESS and not HAS_STOCKFISH:
        pytest.skip("Stockfish is not installed (apt-get install stockfish)")


def _make(tmp_path, name, env_id, n, **kw):
    cfg = GenerateConfig(env_id, str(tmp_path / name), episodes=n, progress=False, **kw)
    return generate(cfg), tmp_path / name


@pytest.mark.parametrize("env_id", sorted(RECIPES))
def test_same_bytes_any_workers_manifest_and_validation(tmp_path, env_id):
    _skip_chess(env_id)
    recipe = RECIPES[env_id]
    n = _N.get(env_id, 12)
    shard = max(1, n // 3)
    m1, out1 = _make(tmp_path, "w1", env_id, n, seed=11, workers=1, shard_size=shard)
    m2, out2 = _make(tmp_path, "w2", env_id, n, seed=11, workers=2, shard_size=shard)
    for name in ("train.jsonl", "eval.jsonl", "manifest.json"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name

    # the manifest names the task, the recipe and every file
    disk = json.loads((out1 / "manifest.json").read_text())
    assert disk["task"]["env_id"] == env_id and disk["task"]["env_version"] == 0
    assert disk["policy"] == {"name": recipe.policy, "params": recipe.params, "bc_filter": recipe.bc_filter}
    assert (disk["seed"], disk["episodes"]) == (11, n) and sum(disk["counts"].values()) == n
    for name in ("train.jsonl", "eval.jsonl"):
        assert disk["files"][name]["sha256"] == file_sha256(out1 / name)
    eps = sorted(iter_episodes(out1, "all"), key=lambda e: e.seed)
    assert [e.seed for e in eps] == list(range(11, 11 + n))
    assert all(e.env_id == env_id and e.texts[-1].endswith("\n") for e in eps)
    assert disk["statistics"]["all"]["episodes"] == n
    assert validate_dataset(out1)["episodes"] == n

    # validation names file, line and field on this task's lines
    lines = (out1 / "train.jsonl").read_text().splitlines(keepends=True)
    bad = json.loads(lines[0])
    bad["rewards"] = bad["rewards"] + [0.0]
    (out1 / "train.jsonl").write_text(json.dumps(bad) + "\n" + "".join(lines[1:]))
    with pytest.raises(DatasetError, match=r"train\.jsonl:1: rewards: need one reward per action"):
        validate_dataset(out1)

    # another seed gives other episodes
    if env_id not in _CHESS:
        m3, _ = _make(tmp_path, "s12", env_id, n, seed=12, workers=1, shard_size=shard)
        assert m3["files"]["train.jsonl"]["sha256"] != m1["files"]["train.jsonl"]["sha256"]


# Sizes of the statistics check (a few seconds each on one core).
_STATS_N = {"maze-fo-v0": 600, "maze-po-v0": 300, "text-nav-fo-v0": 400, "text-nav-po-v0": 300, "wordle-v0": 500,
            "twenty-questions-v0": 400, "guess-my-city-v0": 400, "car-dealer-v0": 300, "endgames-v0": 60}
_STD_KEY = {"length_mean": "length_std", "return_mean": "return_std"}


@pytest.mark.parametrize("env_id", sorted(RECIPES))
def test_small_set_statistics_within_tolerance(tmp_path, env_id):
    """|ours - paper| <= recipe tolerance + 3 standard errors of a set of this size (Table 1 columns)."""
    if env_id == "chess-v0":
        pytest.skip("chess plays ~3 games/s: a quick set cannot test a tolerance (README: 240 games, within it)")
    _skip_chess(env_id)
    recipe = RECIPES[env_id]
    n = _STATS_N[env_id]
    m, _ = _make(tmp_path, "d", env_id, n, workers=1)
    s = m["statistics"]["all"]
    assert set(recipe.tolerance) == {"length_mean", "success_rate", "return_mean"}
    for key, tol in recipe.tolerance.items():
        paper = getattr(recipe.paper, key)
        if key == "success_rate":
            sd = math.sqrt(max(s[key] * (1 - s[key]), 0.05))
        else:
            sd = s[_STD_KEY[key]]
        allowed = tol + 3 * sd / math.sqrt(n)
        assert abs(s[key] - paper) <= allowed, f"{env_id} {key}: ours {s[key]:.3f}, paper {paper}, allowed {allowed:.3f}"
    assert s["invalid_action_rate"] == 0.0


def test_dialogue_recipes_exact_structure(tmp_path):
    """20Q / Guess My City / Car Dealer: first texts, reward rule, behaviour records."""
    for env_id, askers in (("twenty-questions-v0", {"random", "greedy"}), ("guess-my-city-v0", {"random", "cautious"})):
        _, out = _make(tmp_path, env_id, env_id, 40, eval_percent=0)
        eps = list(iter_episodes(out))
        for ep in eps:
            assert ep.texts[0] == "Questions:\n" and 1 <= ep.length <= 20
            assert set(ep.texts[2::2]) <= {"Yes.\n", "No.\n"}  # the behaviour asks yes/no questions only
            # -1 per question, 0 for the question that guesses right; done on success or at question 20
            assert ep.rewards == [-1.0] * (ep.length - ep.success) + [0.0] * ep.success
            assert ep.terminated == (ep.success or ep.length == 20) and not ep.truncated
        assert {ep.info["behaviour"]["asker"] for ep in eps} == askers
    _, out = _make(tmp_path, "car", "car-dealer-v0", 30, eval_percent=0)
    eps = list(iter_episodes(out))
    assert {e.info["behaviour"]["style"] for e in eps} == {"discount", "features", "concise"}
    for e in eps:
        assert e.texts[0] == "Start\n" and e.terminated and all(r == 0.0 for r in e.rewards[:-1])
        assert ("Output: Decision=Accept" in e.texts[-1]) == e.success
        assert " Output: Decision=" in e.texts[-1] and "Output: Decision=" not in "".join(e.texts[:-1])
