"""The Gymnasium adapter `lmrl_envs.gym` (extra ``[gymnasium]``): check_env, registry, exact mapping."""

from __future__ import annotations

import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import lmrl_envs
from lmrl_envs import EpisodeFinishedError, StepResult, TextEnv, history_text
from lmrl_envs.tasks.chess import EngineNotFoundError, find_stockfish

try:
    import gymnasium
    from gymnasium.utils.env_checker import check_env
except ImportError:
    gymnasium = None

try:
    find_stockfish()
    HAVE_STOCKFISH = True
except EngineNotFoundError:
    HAVE_STOCKFISH = False

needs_gymnasium = pytest.mark.skipif(
    gymnasium is None, reason="gymnasium not installed: pip install 'lmrl-envs[gymnasium]'")
NEEDS_ENGINE = {"chess-v0", "endgames-v0"}


def _ids() -> list:
    return [pytest.param(i, marks=pytest.mark.skipif(
        i in NEEDS_ENGINE and not HAVE_STOCKFISH,
        reason="no Stockfish (apt-get install stockfish, or set $LMRL_STOCKFISH)")) for i in lmrl_envs.list_envs()]


def test_importing_lmrl_envs_does_not_import_gymnasium():
    code = "import sys, lmrl_envs; sys.exit('gymnasium imported' if 'gymnasium' in sys.modules else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_without_gymnasium_the_adapter_names_the_extra():
    code = "import sys; sys.modules['gymnasium'] = None\nimport lmrl_envs.gym"  # None: the import fails
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "ImportError: lmrl_envs.gym needs gymnasium" in proc.stderr
    assert "pip install 'lmrl-envs[gymnasium]'" in proc.stderr


@needs_gymnasium
@pytest.mark.parametrize("env_id", _ids())
def test_gymnasium_check_env_passes_without_a_warning(env_id):
    import lmrl_envs.gym

    assert f"lmrl/{env_id}" in lmrl_envs.gym.register_gymnasium_envs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Gymnasium's checker reports most problems as warnings
        env = gymnasium.make(f"lmrl/{env_id}")
        try:
            check_env(env.unwrapped)  # also makes render_mode="ansi" envs from the spec and renders them
        finally:
            env.close()


@needs_gymnasium
def test_the_default_text_charset_would_fail_check_env():
    """Why the adapter sets a charset: Text's default (letters and digits) rejects every observation."""
    from gymnasium.spaces.text import alphanumeric

    from lmrl_envs.gym import TextGymEnv

    env = TextGymEnv("maze-fo", charset="".join(sorted(alphanumeric)))
    with pytest.raises(AssertionError, match="not within the observation space"):
        check_env(env, skip_render_check=True)


@needs_gymnasium
def test_registered_ids_and_lazy_module_syntax():
    import lmrl_envs.gym

    ids = lmrl_envs.gym.register_gymnasium_envs()
    assert ids == [f"lmrl/{i}" for i in lmrl_envs.list_envs()]
    assert {"lmrl/maze-fo-v0", "lmrl/wordle-v0", "lmrl/chess-v0", "lmrl/car-dealer-v0"} <= set(ids)
    assert lmrl_envs.gym.register_gymnasium_envs() == ids  # idempotent
    spec = gymnasium.spec("lmrl/maze-po-v0")
    assert (spec.namespace, spec.name, spec.version) == ("lmrl", "maze-po", 0)
    assert spec.entry_point == "lmrl_envs.gym:TextGymEnv" and spec.kwargs == {"env": "maze-po-v0"}
    # "module:id" imports the adapter first, so a fresh interpreter needs no explicit import
    code = ("import gymnasium\nenv = gymnasium.make('lmrl_envs.gym:lmrl/wordle-v0')\n"
            "print(env.reset(seed=0, options={'word': 'crane'}))\nprint(env.step('c r a n e')[:4])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [repr(("Wordle:\n", {})), repr(("Wordle:\nc r a n e\ng g g g g\n", 0.0, True, False))]


@needs_gymnasium
def test_wordle_observations_rewards_and_render_exactly():
    env = gymnasium.make("lmrl/wordle-v0", render_mode="ansi")
    assert env.reset(seed=0, options={"word": "crane"}) == ("Wordle:\n", {})
    assert env.render() == "Wordle:\n"
    assert env.step("g r a c e") == ("Wordle:\ng r a c e\nb g g y g\n", -1.0, False, False, {})
    assert env.step("zzzzz\n") == ("Wordle:\ng r a c e\nb g g y g\nzzzzz\n\n", -1.0, False, False, {"invalid": True})
    assert env.step("c r a n e") == ("Wordle:\ng r a c e\nb g g y g\nzzzzz\n\nc r a n e\ng g g g g\n", 0.0, True, False,
                                     {"success": True})
    assert env.render() == "Wordle:\ng r a c e\nb g g y g\nzzzzz\n\nc r a n e\ng g g g g\n"
    with pytest.raises(EpisodeFinishedError):
        env.step("c r a n e")
    env.close()
    latest = gymnasium.make("lmrl/wordle-v0", observation="latest")
    assert latest.reset(seed=0, options={"word": "crane"})[0] == "Wordle:\n"
    assert latest.step("g r a c e")[0] == "b g g y g\n"
    assert latest.render() is None
    assert latest.observation_space.max_length == 4096 and latest.action_space.max_length == 1024


@needs_gymnasium
@pytest.mark.parametrize("env_id", ["maze-fo", "maze-po", "text-nav-po", "twenty-questions", "car-dealer"])
def test_each_mode_equals_the_text_env_step_for_step(env_id):
    """Same seed and actions: the adapter returns exactly what the lmrl env gives, in each observation mode."""
    from lmrl_envs.gym import TextGymEnv

    modes = {m: TextGymEnv(env_id, observation=m) for m in ("history", "episode", "latest")}
    ref = lmrl_envs.make(env_id)
    rng = random.Random(env_id)
    for seed in (0, 1):
        want_obs, want_info = ref.reset(seed=seed)
        for mode, env in modes.items():
            got = env.reset(seed=seed)
            assert got == ({"history": history_text(ref.history), "episode": history_text(ref.episode_texts),
                            "latest": want_obs}[mode], want_info)
            assert got[0] in env.observation_space
        while not ref.done:
            valid = ref.valid_actions()
            action = rng.choice(valid) if valid and rng.random() < 0.7 else rng.choice(["jump", "", "Is it big?"])
            obs, reward, terminated, truncated, info = ref.step(action)
            want = {"history": history_text(ref.history), "episode": history_text(ref.episode_texts), "latest": obs}
            for mode, env in modes.items():
                got = env.step(action)
                assert got == (want[mode], reward, terminated, truncated, info)
                assert got[0] in env.observation_space, (mode, got[0][-200:])
    for env in modes.values():
        env.close()


@needs_gymnasium
def test_truncation_at_the_step_limit_and_termination_are_kept_apart():
    env = gymnasium.make("lmrl/maze-fo-v0")
    env.reset(seed=0)
    results = [env.step("jump") for _ in range(101)]
    assert [r[2:4] for r in results[:100]] == [(False, False)] * 100
    assert results[-1][2:4] == (False, True)  # the task's 101-action limit: truncated, not terminated
    assert env.spec.max_episode_steps is None  # no TimeLimit wrapper on top of the task's own limit
    assert env.reset(seed=0, options={"init_position": (7, 6)})[1] == {"position": (7, 6)}
    assert env.step("move down") == ("Success\n", 0.0, True, False, {"success": True})  # FO: the current text only
    env.close()


@needs_gymnasium
def test_sync_vector_env_resets_with_consecutive_seeds():
    envs = gymnasium.make_vec("lmrl/maze-po-v0", num_envs=2, vectorization_mode="sync")
    obs, _ = envs.reset(seed=5)
    ref = [lmrl_envs.make("maze-po").reset(seed=s)[0] for s in (5, 6)]
    assert obs == tuple(ref)
    obs, reward, terminated, truncated, _ = envs.step(("move up", "move down"))
    assert all(o.startswith(r) for o, r in zip(obs, ref)) and list(reward) == [-1.0, -1.0]
    envs.close()


class Counter(TextEnv):
    """Guess the secret number 0-9."""

    reward_range = (-1.0, 0.0)
    max_steps = 3
    option_keys = frozenset({"secret"})

    def _reset(self, options):
        self.secret = options.get("secret", self.rng.randrange(10))
        return "Guess:\n", {"tries": [self.max_steps]}

    def _step(self, action):
        if action.strip() == str(self.secret):
            return StepResult("right\n", 0.0, terminated=True, info={"success": True})
        return StepResult("wrong\n", -1.0)


@needs_gymnasium
def test_wrap_an_instance_arguments_and_a_new_task_after_import():
    import lmrl_envs.gym
    from lmrl_envs.gym import TextGymEnv

    env = TextGymEnv(Counter(), observation="episode", max_action_length=8)
    assert env.reset(seed=0, options={"secret": 4}) == ("Guess:\n", {"tries": [3]})
    assert env.step("3") == ("Guess:\n3\nwrong\n", -1.0, False, False, {})
    assert env.observation_space.max_length == 3 * 9 + 4 * 4096
    check_env(TextGymEnv(Counter()), skip_render_check=True)
    with pytest.raises(ValueError, match=r"observation must be one of \('history', 'episode', 'latest'\)"):
        TextGymEnv("maze-fo", observation="last")
    with pytest.raises(ValueError, match=r"render_mode must be None or one of \['ansi'\], got 'human'"):
        TextGymEnv("maze-fo", render_mode="human")
    with pytest.raises(ValueError, match="max_action_length must be a positive int"):
        TextGymEnv("maze-fo", max_action_length=0)
    with pytest.raises(TypeError, match="can only be used with an env id"):
        TextGymEnv(Counter(), secret=3)
    with pytest.raises(KeyError, match="unknown env id 'maze-foo'"):
        TextGymEnv("maze-foo")
    lmrl_envs.register("gym-adapter-counter-v0", Counter)
    assert "lmrl/gym-adapter-counter-v0" not in gymnasium.registry
    assert "lmrl/gym-adapter-counter-v0" in lmrl_envs.gym.register_gymnasium_envs()
    made = gymnasium.make("lmrl/gym-adapter-counter-v0")
    assert made.reset(seed=1, options={"secret": 2})[0] == "Guess:\n"
    assert made.step("2\n")[1:4] == (0.0, True, False)


def test_the_charset_covers_every_character_of_the_task_sources():
    """Tasks build their texts from their modules' strings and data files; every character must be in CHARSET."""
    pytest.importorskip("gymnasium", reason="gymnasium not installed: pip install 'lmrl-envs[gymnasium]'")
    from lmrl_envs.gym import CHARSET

    tasks = Path(lmrl_envs.__file__).parent / "tasks"
    files = [p for p in sorted(tasks.rglob("*")) if p.suffix in (".py", ".txt")]
    assert len(files) > 30
    separators = {".txt": "\t", ".py": ""}  # tabs separate the fields of positions.txt; they are not written
    missing = {(c, p.name) for p in files for c in set(p.read_text(encoding="utf-8"))
               if c not in CHARSET and c not in separators[p.suffix]}
    assert not missing, f"characters the observation space lacks (extend CHARSET): {sorted(missing)}"
    assert len(CHARSET) == len(set(CHARSET)) == 550
    assert {"\n", " ", "~", "é", "ã", "ı", "ș", "’", "—"} <= set(CHARSET) and "\t" not in CHARSET


@needs_gymnasium
@pytest.mark.skipif(not HAVE_STOCKFISH, reason="no Stockfish (apt-get install stockfish, or set $LMRL_STOCKFISH)")
def test_chess_through_the_adapter_plays_the_real_engine():
    """check_env's random text only makes illegal moves; legal ones reach Stockfish's replies."""
    env = gymnasium.make("lmrl/chess-v0")
    ref = lmrl_envs.make("chess")
    try:
        assert env.reset(seed=3) == ref.reset(seed=3)  # the history of chess is the current position
        for move in ("e2e4", "g1f3", "f1c4"):
            want = ref.step(move)
            assert env.step(move) == want and want[4]["opponent_move"]
            assert want[0] in env.observation_space
    finally:
        env.close()
        ref.close()


@needs_gymnasium
def test_doctests():
    import doctest

    import lmrl_envs.gym

    result = doctest.testmod(lmrl_envs.gym)
    assert result.attempted >= 7 and result.failed == 0
