"""Each task's recipe: exact structure of small generated sets (statistics: test_all_tasks.py)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from lmrl_data import RECIPES, GenerateConfig, generate, iter_episodes


def _needs(module: str):
    ok = importlib.util.find_spec(module) is not None
    return pytest.mark.skipif(not ok, reason=f"{module} does not exist yet")


def _stats(tmp_path, env_id, n, seed=0):
    m = generate(GenerateConfig(env_id, str(tmp_path / env_id), episodes=n, seed=seed, progress=False))
    return m["statistics"]["all"], list(iter_episodes(tmp_path / env_id, "all"))


@_needs("lmrl_envs.tasks.maze")
def test_maze_recipe(tmp_path):
    s, eps = _stats(tmp_path, "maze-fo", 200)
    assert s["invalid_action_rate"] == 0.0 and s["length_max"] <= 101
    for ep in eps:
        b = ep.info["behaviour"]
        assert ep.success == (b["submaze"] == "center" and ep.terminated)
        assert ep.length <= b["horizon"] and ep.terminated != ep.truncated
        assert ep.info.get("cut_off", False) == (ep.truncated and ep.length < 101)


@_needs("lmrl_envs.tasks.text_nav")
def test_text_nav_recipe(tmp_path):
    s, eps = _stats(tmp_path, "text-nav-fo", 400)
    assert s["length_max"] <= 15
    assert s["return_mean"] == pytest.approx(s["success_rate"])
    halves = [e.info["behaviour"]["half"] for e in eps]
    assert halves.count("near") / len(halves) == pytest.approx(0.75, abs=0.07)


@_needs("lmrl_envs.tasks.wordle")
def test_wordle_recipe(tmp_path):
    s, eps = _stats(tmp_path, "wordle", 100)
    assert s["invalid_action_rate"] == 0.0 and s["length_max"] <= 6
    assert eps[0].texts[0] == "Wordle:\n" and all(len(t) == 10 for t in eps[0].texts[1::2])


needs_stockfish = pytest.mark.skipif(shutil.which("stockfish") is None and not shutil.os.path.exists(
    "/usr/games/stockfish"), reason="Stockfish is not installed (apt-get install stockfish)")


@_needs("lmrl_envs.tasks.chess")
@needs_stockfish
def test_chess_recipes_structure(tmp_path):
    generate(GenerateConfig("endgames", str(tmp_path / "e"), episodes=3, seed=7, progress=False))
    eps = list(iter_episodes(tmp_path / "e", "all"))
    assert len(eps) == 3
    assert all(e.info["behaviour"]["random_prob"] == 0.3 for e in eps)
    assert all(e.info["invalid_actions"] == 0 for e in eps)
    m = generate(GenerateConfig("chess", str(tmp_path / "c"), episodes=1, seed=3, progress=False))
    games = list(iter_episodes(tmp_path / "c", "all"))
    assert m["statistics"]["all"]["invalid_action_rate"] == 0.0
    assert games[0].texts[0].startswith("r n b q k b n r / p p p p p p p p /")
    assert 800 <= games[0].info["behaviour"]["elo"] <= 1600


def test_every_task_has_a_recipe():
    assert sorted(RECIPES) == ["car-dealer-v0", "chess-v0", "endgames-v0", "guess-my-city-v0", "maze-fo-v0",
                               "maze-po-v0", "text-nav-fo-v0", "text-nav-po-v0", "twenty-questions-v0", "wordle-v0"]


def test_the_info_gain_expert_finds_every_twenty_questions_object_within_12_questions():
    import lmrl_envs
    from lmrl_data.policies.twenty_questions import InfoGainExpertPolicy
    from lmrl_envs.tasks.twenty_questions import OBJECTS

    specs = [lmrl_envs.EpisodeSpec(0, {"word": obj.name}) for obj in OBJECTS]
    eps = lmrl_envs.rollout([lmrl_envs.make("twenty-questions") for _ in range(16)], InfoGainExpertPolicy(),
                            specs=specs)
    assert [e.success for e in eps] == [True] * len(OBJECTS)
    assert max(e.length for e in eps) <= 12 and sum(e.length for e in eps) / len(eps) < 10
