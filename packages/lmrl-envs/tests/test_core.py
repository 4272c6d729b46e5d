"""The contract itself: TextEnv base class, registry, episode records, vector stepping, checker."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

import lmrl_envs
from lmrl_envs import (
    DatasetError,
    Episode,
    EpisodeFinishedError,
    EpisodeSpec,
    StepResult,
    Text,
    TextEnv,
    VectorEnv,
    check_env,
    read_episodes,
    rollout,
    write_episodes,
)
from lmrl_envs.checker import ConformanceError


class Counter(TextEnv):
    """Guess the secret number 0-9; 5 tries; -1 per wrong try, 0 when right."""

    reward_range = (-1.0, 0.0)
    max_steps = 5
    option_keys = frozenset({"secret"})

    def _reset(self, options):
        self.secret = options.get("secret", self.rng.randrange(10))
        return "Guess:\n", {}

    def _step(self, action):
        guess = action.strip()
        if not guess.isdigit():
            return StepResult("?\n", -1.0, info={"invalid": True})
        if int(guess) == self.secret:
            return StepResult("right\n", 0.0, terminated=True, info={"success": True})
        return StepResult("higher\n" if int(guess) < self.secret else "lower\n", -1.0)


class WindowCounter(Counter):
    max_history = 2


def test_reset_step_history_and_newlines():
    env = Counter()
    assert env.reset(seed=0, options={"secret": 3}) == ("Guess:\n", {})
    assert env.step("1") == ("higher\n", -1.0, False, False, {})
    assert env.step("3\n") == ("right\n", 0.0, True, False, {"success": True})
    assert env.history == (Text("Guess:\n", False), Text("1\n", True), Text("higher\n", False),
                           Text("3\n", True), Text("right\n", False))
    assert lmrl_envs.history_text(env.history) == "Guess:\n1\nhigher\n3\nright\n"
    assert env.done and env.steps == 2


def test_step_after_done_and_before_reset_raise():
    env = Counter()
    with pytest.raises(EpisodeFinishedError, match="call env.reset"):
        env.step("1")
    env.reset(options={"secret": 1})
    env.step("1")
    with pytest.raises(EpisodeFinishedError):
        env.step("1")


def test_step_limit_truncates_and_non_string_is_type_error():
    env = Counter()
    env.reset(options={"secret": 9})
    for _ in range(4):
        assert env.step("0")[2:4] == (False, False)
    assert env.step("0")[2:4] == (False, True)
    env.reset(options={"secret": 9})
    with pytest.raises(TypeError, match="must be a str"):
        env.step(3)  # type: ignore[arg-type]


def test_unknown_option_names_valid_ones():
    with pytest.raises(ValueError, match="valid options: secret"):
        Counter().reset(options={"sekret": 1})


@pytest.mark.parametrize("options", ["str", 5, 0, "", [], [("secret", 1)]])
def test_options_must_be_a_dict_or_none(options):
    with pytest.raises(TypeError, match=r"Counter.reset: options must be a dict or None, got .*valid options: secret"):
        Counter().reset(options=options)
    assert Counter().reset(options=None) == ("Guess:\n", {})


def test_lone_surrogates_in_an_action_become_replacement_characters(tmp_path):
    env = Counter()
    env.reset(seed=0, options={"secret": 3})
    assert env.step("\ud800") == ("?\n", -1.0, False, False, {"invalid": True})  # the task's malformed-action rule
    assert env.step("3\udfff\n")[1] == -1.0
    assert [t.text for t in env.history if t.is_action] == ["\ufffd\n", "3\ufffd\n"]
    assert lmrl_envs.normalize_action("a\ud83d\ude00b") == "a\ufffd\ufffdb\n"  # a split pair: two lone halves
    ep = Episode("counter-v0", 0, [t.text for t in env.episode_texts], [t.is_action for t in env.episode_texts],
                 [-1.0, -1.0], [0, 0])
    assert write_episodes(tmp_path / "s.jsonl", [ep]) == 1
    assert list(read_episodes(tmp_path / "s.jsonl")) == [ep]


def test_seed_determines_episode_and_none_continues_stream():
    a, b = Counter(), Counter()
    secrets_a = [a.reset(seed=7) and a.secret for _ in range(1)] + [a.reset() and a.secret for _ in range(5)]
    secrets_b = [b.reset(seed=7) and b.secret for _ in range(1)] + [b.reset() and b.secret for _ in range(5)]
    assert secrets_a == secrets_b
    assert len(set(secrets_a)) > 1


def test_max_history_keeps_suffix():
    env = WindowCounter()
    env.reset(options={"secret": 9})
    env.step("1")
    env.step("2")
    assert env.history == (Text("2\n", True), Text("higher\n", False))
    assert env.history_start == 3
    assert env.episode_texts[env.history_start:] == env.history


def test_registry_resolves_unversioned_and_suggests():
    env = lmrl_envs.make("maze-fo")
    assert env.env_id == "maze-fo-v0"
    assert lmrl_envs.spec("maze-fo-v0").version == 0
    with pytest.raises(KeyError, match="Did you mean 'maze-fo'"):
        lmrl_envs.make("maze-f0")
    with pytest.raises(ValueError, match="must look like"):
        lmrl_envs.register("Bad Id", Counter)
    for bad in (None, 3, b"maze-fo"):
        with pytest.raises(TypeError, match=r"env id must be a string such as 'maze-fo'.*known ids: .*maze-fo-v0"):
            lmrl_envs.make(bad)  # type: ignore[arg-type]


def test_register_callable_and_make_sets_id():
    lmrl_envs.register("counter-v3", Counter, description="test")
    env = lmrl_envs.make("counter")
    assert isinstance(env, Counter) and env.env_id == "counter-v3"
    with pytest.raises(ValueError, match="already registered"):
        lmrl_envs.register("counter-v3", Counter)


def test_task_records_of_the_registry():
    lmrl_envs.register("counter-record-v0", Counter, task=lmrl_envs.TaskRecord(
        protocol=lmrl_envs.EvalProtocol("seeds", 12), normalization=lmrl_envs.Normalization(-5.0, -2.0, 0.0, "rule")))
    record = lmrl_envs.spec("counter-record").task
    assert (record.family, record.protocol.episodes, record.normalization.score(-2.0)) == ("counter-record", 12, 50.0)
    plain = lmrl_envs.register("counter-plain-v0", Counter)  # without a record: the defaults
    assert plain.task == lmrl_envs.TaskRecord(family="counter-plain")
    assert lmrl_envs.list_tasks(paper=True) == ["maze-fo", "maze-po", "text-nav-fo", "text-nav-po", "wordle", "chess",
                                                "endgames", "twenty-questions", "guess-my-city", "car-dealer"]
    assert "counter-record" in lmrl_envs.list_tasks() and lmrl_envs.task_name("counter-record-v0") == "counter-record"
    assert [lmrl_envs.spec(t).task.family for t in ("maze-po", "text-nav-fo", "wordle")] == ["maze", "text-nav", "wordle"]
    endgames = lmrl_envs.spec("endgames").task.protocol
    assert (endgames.kind, endgames.episodes, len(endgames.start_options())) == ("option_set", None, 640)
    maze = lmrl_envs.spec("maze-fo").task.protocol
    assert maze.first_actions({"init_position": (5, 3)}) == ["move right\n"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda: lmrl_envs.EvalProtocol("cells"), "choose one of seeds, per_option, option_set"),
    (lambda: lmrl_envs.EvalProtocol("per_option", 10), "needs options='module:function'"),
    (lambda: lmrl_envs.EvalProtocol("seeds", None), "needs a default episode count"),
    (lambda: lmrl_envs.EvalProtocol("seeds", 0), "episodes must be >= 1"),
    (lambda: lmrl_envs.TaskRecord(normalization=lmrl_envs.Normalization(0.0, 2.0, 1.0, "x")), "finite min < avg < max"),
    (lambda: lmrl_envs.TaskRecord(decoding=lmrl_envs.Decoding(True, ())), "re-ranks nothing"),
])
def test_bad_task_records_say_what_to_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def _episode(**kw):
    base = dict(env_id="counter-v0", seed=1, texts=["Guess:\n", "3\n", "right\n"], is_action=[False, True, False],
                rewards=[0.0], context_start=[0], terminated=True)
    base.update(kw)
    return Episode(**base)


def test_episode_round_trip_and_derived_fields(tmp_path):
    ep = _episode(info={"success": True})
    assert ep.total_return == 0.0 and ep.length == 1 and ep.success
    assert ep.contexts() == ["Guess:\n"]
    path = tmp_path / "eps.jsonl"
    assert write_episodes(path, [ep, ep]) == 2
    assert list(read_episodes(path)) == [ep, ep]
    line = path.read_text().splitlines()[0]
    assert json.loads(line)["format"] == "lmrl-episode/1"
    assert json.loads(line)["return"] == 0.0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(rewards=[0.0, 1.0]), "rewards: need one reward per action"),
        (dict(is_action=[False, True]), "is_action: length 2"),
        (dict(context_start=[2]), "context_start: 2 is not an index"),
        (dict(rewards=[float("nan")]), "finite"),
        (dict(env_id=""), "env_id"),
    ],
)
def test_episode_validation_names_field(kw, message):
    with pytest.raises(ValueError, match=message):
        _episode(**kw)


def test_reader_reports_file_line_and_field(tmp_path):
    good = _episode().to_json()
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n" + good[:40] + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:2: not valid JSON"):
        list(read_episodes(path))
    obj = json.loads(good)
    obj["format"] = "lmrl-episode/0"
    path.write_text(good + "\n" + good + "\n" + json.dumps(obj) + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:3: format: expected 'lmrl-episode/1'"):
        list(read_episodes(path))
    obj = json.loads(good)
    del obj["rewards"]
    path.write_text(json.dumps(obj) + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:1: rewards: missing"):
        list(read_episodes(path))
    with pytest.raises(DatasetError, match="no such episode file"):
        list(read_episodes(tmp_path / "missing.jsonl"))


def test_reader_reports_bytes_that_are_not_utf8_and_deep_nesting(tmp_path):
    good = _episode().to_json().encode()
    path = tmp_path / "bad.jsonl"
    path.write_bytes(good + b"\n" + good[:30] + b"\xff\xfe" + good[30:] + b"\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:2: not valid UTF-8 \(byte 0xff at byte 31 of the line\)"):
        list(read_episodes(path))
    path.write_bytes(good + b"\n\n" + good + b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:4: JSON nested too deeply to parse"):
        list(read_episodes(path))


def test_write_is_atomic(tmp_path):
    path = tmp_path / "eps.jsonl"
    write_episodes(path, [_episode()])

    def broken():
        yield _episode()
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_episodes(path, broken())
    assert len(list(read_episodes(path))) == 1  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eps.jsonl"]  # no .tmp left behind


def test_write_refuses_text_utf8_cannot_encode_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "eps.jsonl"
    bad = _episode(texts=["Guess:\n", "\ud800\n", "?\n"], seed=7)
    with pytest.raises(DatasetError, match=r"eps.jsonl: episode 1 \(env_id 'counter-v0', seed 7\) holds text UTF-8 "
                                           r"cannot encode \('\\ud800', a lone surrogate\); nothing was written"):
        write_episodes(path, [_episode(), bad])
    assert list(tmp_path.iterdir()) == []
    write_episodes(path, [_episode()])
    before = path.read_bytes()
    with pytest.raises(DatasetError):
        write_episodes(path, [bad])
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["eps.jsonl"]


def _bisect_policy(histories):
    """Binary search on the counter task from the feedback in the history."""
    actions = []
    for h in histories:
        lo, hi, last = 0, 9, None
        for t in h:
            if t.is_action:
                last = int(t.text) if t.text.strip().isdigit() else None
            elif last is not None and t.text == "higher\n":
                lo = last + 1
            elif last is not None and t.text == "lower\n":
                hi = last - 1
        actions.append(f"{(lo + hi) // 2}\n")
    return actions


def test_rollout_order_independent_of_batch_size():
    one = rollout(Counter(), _bisect_policy, n_episodes=12, seed=3)
    many = rollout([Counter() for _ in range(5)], _bisect_policy, n_episodes=12, seed=3)
    assert [e.to_json() for e in one] == [e.to_json() for e in many]
    assert [e.seed for e in one] == list(range(3, 15))
    assert all(e.success and e.length <= 4 for e in one)


def test_rollout_specs_options_and_context_start():
    [ep] = rollout(WindowCounter(), _bisect_policy, specs=[EpisodeSpec(0, {"secret": 9})])
    assert ep.texts == ["Guess:\n", "4\n", "higher\n", "7\n", "higher\n", "8\n", "higher\n", "9\n", "right\n"]
    assert ep.rewards == [-1.0, -1.0, -1.0, 0.0]
    assert ep.context_start == [0, 1, 3, 5]
    assert ep.contexts()[2] == "7\nhigher\n"
    assert ep.info == {"success": True, "invalid_actions": 0, "options": {"secret": 9}}


def test_vector_env_auto_reset_and_finished_records():
    venv = VectorEnv([Counter(), Counter()], [EpisodeSpec(0, {"secret": 0}), EpisodeSpec(1, {"secret": 5}),
                                              EpisodeSpec(2, {"secret": 0})])
    obs, rewards, term, trunc, infos = venv.step(["0\n", "zzz\n"])
    assert obs == ["right\n", "?\n"] and rewards == [0.0, -1.0] and term == [True, False]
    assert infos[0]["episode"].texts[-1] == "right\n"
    assert venv.histories([0]) == [(Text("Guess:\n", False),)]  # slot 0 took spec 2
    venv.step(["0\n", "5\n"])
    assert venv.active_slots() == []
    finished = sorted(venv.pop_finished())
    assert [i for i, _ in finished] == [0, 1, 2]
    assert finished[1][1].info["invalid_actions"] == 1


def test_checker_passes_good_env_and_catches_bad_ones():
    report = check_env(Counter, n_episodes=2, check_imports=False)
    assert report["episodes"] == 2

    class Raises(Counter):
        def _step(self, action):
            return StepResult("ok\n", -1.0, info={}) if action.strip().isdigit() else int(action)

    with pytest.raises(ConformanceError, match="raised ValueError"):
        check_env(Raises, fuzz_prob=1.0, check_imports=False)

    class NonDeterministic(Counter):
        resets = itertools.count()  # state outside self.rng: the same seed gives another first text each time

        def _reset(self, options):
            super()._reset(options)
            return f"Guess (game {next(self.resets)}):\n", {}

    with pytest.raises(ConformanceError, match="not deterministic"):
        check_env(NonDeterministic, n_episodes=20, fuzz_prob=0.0, check_imports=False)

    class OutOfRange(Counter):
        reward_range = (0.0, 0.0)

    with pytest.raises(ConformanceError, match="outside reward_range"):
        check_env(OutOfRange, check_imports=False)

    class NoNewline(Counter):
        def _reset(self, options):
            super()._reset(options)
            return "Guess:", {}

    with pytest.raises(ConformanceError, match="does not end with"):
        check_env(NoNewline, check_imports=False)


def test_importing_lmrl_envs_does_not_import_torch():
    code = "import sys, lmrl_envs, lmrl_envs.cli, lmrl_envs.partners; sys.exit(int('torch' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_cli_list_and_unknown_id(capsys):
    from lmrl_envs.cli import main

    assert main(["list"]) == 0
    assert "maze-fo-v0" in capsys.readouterr().out
    assert main(["play", "nope"]) == 2
    assert "unknown env id 'nope'" in capsys.readouterr().err


def test_partner_spec_errors():
    from lmrl_envs.partners import load_partner

    with pytest.raises(ValueError, match="hf:/path/to/model"):
        load_partner("openai:gpt-4")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_partner("hf:/no/such/dir")


def test_rollout_passes_valid_actions_to_policies_that_ask():
    class Picky(Counter):
        def valid_actions(self):
            return [f"{i}\n" for i in range(10)]

    class FirstValid:
        wants_valid_actions = True

        def __init__(self):
            self.seen = []

        def act(self, histories, slots, valid_actions):
            self.seen.append(valid_actions)
            return [va[self.secret_guess] for va in valid_actions]

        secret_guess = 4

        def end_episode(self, slot):
            pass

    pol = FirstValid()
    [ep] = rollout(Picky(), pol, specs=[EpisodeSpec(0, {"secret": 4})])
    assert ep.texts == ["Guess:\n", "4\n", "right\n"]
    assert pol.seen == [[[f"{i}\n" for i in range(10)]]]


class _HookedBisect:
    """Bisection that seeds itself per episode, stops after `horizon` actions, and reports its state."""

    def __init__(self, horizon):
        self.horizon, self.begun, self.count = horizon, [], {}

    def begin_episode(self, slot, seed, env):
        assert isinstance(env, Counter) and env.steps == 0
        self.begun.append((slot, seed))
        self.count[slot] = 0

    def act(self, histories, slots):
        out = []
        for h, s in zip(histories, slots):
            self.count[s] += 1
            out.append(None if self.count[s] > self.horizon else _bisect_policy([h])[0])
        return out

    def episode_info(self, slot):
        return {"actions": self.count[slot]}

    def end_episode(self, slot):
        del self.count[slot]


def test_rollout_policy_hooks_and_cut_off():
    pol = _HookedBisect(horizon=1)
    specs = [EpisodeSpec(10, {"secret": 4}), EpisodeSpec(11, {"secret": 9}), EpisodeSpec(12, {"secret": 0})]
    eps = rollout([Counter(), Counter()], pol, specs=specs)
    assert sorted(pol.begun) == [(0, 10), (0, 12), (1, 11)]
    # secret 4 is found by the first bisection guess; the others are cut off after one action
    assert [e.texts for e in eps] == [["Guess:\n", "4\n", "right\n"], ["Guess:\n", "4\n", "higher\n"],
                                      ["Guess:\n", "4\n", "lower\n"]]
    assert [(e.terminated, e.truncated) for e in eps] == [(True, False), (False, True), (False, True)]
    assert eps[1].info == {"success": False, "cut_off": True, "invalid_actions": 0, "options": {"secret": 9},
                           "final_context_start": 0, "behaviour": {"actions": 2}}
    assert eps[0].info["behaviour"] == {"actions": 1}
    with pytest.raises(ValueError, match="before its first action"):
        rollout(Counter(), _HookedBisect(horizon=0), 1)


def test_rollout_records_where_the_state_of_a_cut_episode_starts():
    from lmrl_envs.tasks.maze import shortest_path_policy

    def cut_after_three(histories, slots):
        return [None if counts[s] >= 3 else (counts.__setitem__(s, counts[s] + 1) or shortest_path_policy([h])[0])
                for h, s in zip(histories, slots)]

    counts = {0: 0}
    policy = type("P", (), {"act": staticmethod(cut_after_three), "end_episode": lambda self, s: counts.update({s: 0})})()
    cut, = lmrl_envs.rollout(lmrl_envs.make("maze-fo"), policy, 1, seed=0)
    assert (cut.terminated, cut.truncated, len(cut.rewards)) == (False, True, 3)
    assert cut.info["final_context_start"] == len(cut.texts) - 1  # FO maze: the state is the last observation
    done, = lmrl_envs.rollout(lmrl_envs.make("maze-fo"), shortest_path_policy, 1, seed=0)
    assert done.terminated and "final_context_start" not in done.info
