"""Tests of the Wordle task: exact strings, rewards, invalid guesses, feedback rules, resampling, seeds."""

from __future__ import annotations

from collections import Counter

import pytest

import lmrl_envs
from lmrl_envs.core import EpisodeFinishedError, history_text
from lmrl_envs.tasks.wordle import (
    ALL_GREEN,
    WordleEnv,
    consistent_words,
    feedback,
    feedback_table,
    format_guess,
    guesses_from_history,
    load_vocab,
    parse_guess,
    pattern_id,
    pattern_text,
)
from lmrl_envs.testing import EnvConformance

VOCAB = load_vocab()


# ------------------------------------------------------------------ vocabulary
def test_shipped_vocab():
    assert len(VOCAB) == 400 and len(set(VOCAB)) == 400
    assert all(len(w) == 5 and w.isascii() and w.isalpha() and w.islower() for w in VOCAB)
    assert VOCAB[:3] == ("actor", "admit", "adult") and VOCAB[-1] == "zebra"
    assert {"crane", "sheep", "shelf", "speed", "grace", "shore"} <= set(VOCAB)


def test_load_vocab_from_file(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("crane\n\n  shore \ncrane\n", encoding="utf-8")
    assert load_vocab(path) == ("crane", "shore")
    path.write_text("crane\nCrane\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"words.txt:2: 'Crane'"):
        load_vocab(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        load_vocab(path)


# ------------------------------------------------------------------ feedback rules
@pytest.mark.parametrize(
    ("guess", "answer", "lmrl", "standard"),
    [
        ("crane", "crane", "g g g g g", "g g g g g"),
        ("crane", "shore", "b y b b g", "b y b b g"),
        ("crane", "react", "y y g b y", "y y g b y"),
        ("sheep", "shelf", "g g g y b", "g g g b b"),  # second e: the answer's only e is already green
        ("speed", "abide", "b b y y y", "b b y b y"),  # two e's guessed, one in the answer
        ("geese", "those", "b y y g g", "b b b g g"),
        ("apple", "paper", "y y g b y", "y y g b y"),
        ("black", "zebra", "y b y b b", "y b y b b"),
    ],
)
def test_feedback_rules(guess, answer, lmrl, standard):
    assert feedback(guess, answer) == lmrl
    assert feedback(guess, answer, rule="lmrl") == lmrl
    assert feedback(guess, answer, rule="standard") == standard


def test_feedback_errors():
    with pytest.raises(ValueError, match="5 letters"):
        feedback("cran", "crane")
    with pytest.raises(ValueError, match="rule"):
        feedback("crane", "crane", rule="nyt")


def test_pattern_ids_round_trip():
    assert pattern_text(0) == "b b b b b" and pattern_text(ALL_GREEN) == "g g g g g" and ALL_GREEN == 242
    assert pattern_text(1) == "b b b b y" and pattern_text(3) == "b b b y b"
    assert all(pattern_id(pattern_text(p)) == p for p in range(243))
    assert pattern_id("bygbb\n") == pattern_id("b y g b b") == 0 * 81 + 1 * 27 + 2 * 9
    with pytest.raises(ValueError, match="b/y/g"):
        pattern_id("b y g b x")


def test_feedback_table_matches_feedback():
    words = ("sheep", "shelf", "speed", "crane")
    for rule in ("lmrl", "standard"):
        table = feedback_table(words, rule)
        assert [[pattern_text(p) for p in row] for row in table] == [
            [feedback(g, a, rule) for a in words] for g in words
        ]


def test_parse_and_format_guess():
    assert format_guess("crane") == "c r a n e\n"
    assert parse_guess("c r a n e\n") == parse_guess(" crane ") == parse_guess("cr an e") == "crane"


def test_consistent_words():
    words = ("crane", "react", "grace", "shore")
    assert consistent_words([("c r a n e", "y y g b y")], words) == ["react"]
    assert consistent_words([("crane", "y g g b g\n")], words) == ["grace"]
    assert consistent_words([("crane", "\n"), ("shore", "b b b y g")], words) == ["crane", "grace"]
    assert consistent_words([], words) == list(words)
    assert consistent_words([("sheep", "g g g b b")], ("shelf", "sheep"), rule="standard") == ["shelf"]
    assert consistent_words([("sheep", "g g g b b")], ("shelf", "sheep")) == []
    assert len(consistent_words([])) == 400


# ------------------------------------------------------------------ the env, fixed word
def test_fixed_word_episode_exact():
    env = WordleEnv()
    assert env.reset(seed=0, options={"word": "crane"}) == ("Wordle:\n", {})
    assert env.hidden_word == "crane"
    assert env.step("s h o r e\n") == ("b b b y g\n", -1.0, False, False, {})
    assert env.step("grace") == ("b g g y g\n", -1.0, False, False, {})
    assert env.candidates == ["crane"]
    assert env.step("c r a n e\n") == ("g g g g g\n", 0.0, True, False, {"success": True})
    assert history_text(env.history) == "Wordle:\ns h o r e\nb b b y g\ngrace\nb g g y g\nc r a n e\ng g g g g\n"
    assert [t.is_action for t in env.history] == [False, True, False, True, False, True, False]
    assert guesses_from_history(env.history) == [("shore", "b b b y g"), ("grace", "b g g y g"), ("crane", "g g g g g")]
    with pytest.raises(EpisodeFinishedError):
        env.step("c r a n e\n")


def test_six_guesses_end_the_game():
    env = WordleEnv()
    env.reset(options={"word": "crane"})
    results = [env.step("s h o r e\n") for _ in range(6)]
    assert [r[1] for r in results] == [-1.0] * 6
    assert [r[2] for r in results] == [False] * 5 + [True]
    assert not any(r[3] for r in results)
    assert results[-1] == ("b b b y g\n", -1.0, True, False, {"success": False})
    assert sum(r[1] for r in results) == -6.0


def test_solving_on_the_sixth_guess():
    env = WordleEnv()
    env.reset(options={"word": "crane"})
    for _ in range(5):
        env.step("shore")
    assert env.step("crane") == ("g g g g g\n", 0.0, True, False, {"success": True})


@pytest.mark.parametrize(
    "action",
    ["C R A N E", "cranes", "c r a n", "zzzzz", "", "\n", "c\tr a n e", "crané", "1 2 3 4 5", "x" * 5000],
    ids=range(10),
)
def test_invalid_guess(action):
    env = WordleEnv()
    env.reset(options={"word": "crane"})
    assert env.step(action) == ("\n", -1.0, False, False, {"invalid": True})
    assert env.step("crane")[1:3] == (0.0, True)


@pytest.mark.parametrize("action", ["c r a n e\n", "crane", " c r a n e ", "cr an e", "crane\n\n"])
def test_guess_parsing_strips_and_removes_spaces_as_the_original(action):
    env = WordleEnv()
    env.reset(options={"word": "crane"})
    assert env.step(action) == ("g g g g g\n", 0.0, True, False, {"success": True})
    assert env.history[1].text == action.removesuffix("\n") + "\n"


def test_invalid_guesses_count_and_use_bad_word_reward():
    env = WordleEnv(bad_word_reward=-10.0)
    assert env.reward_range == (-10.0, 0.0)
    env.reset(options={"word": "crane"})
    results = [env.step("nope") for _ in range(6)]
    assert results[:5] == [("\n", -10.0, False, False, {"invalid": True})] * 5
    assert results[5] == ("\n", -10.0, True, False, {"invalid": True, "success": False})
    assert env.candidates == list(VOCAB)


def test_options_validation():
    env = WordleEnv()
    with pytest.raises(ValueError, match="must be a word of the vocabulary"):
        env.reset(options={"word": "zzzzz"})
    with pytest.raises(ValueError, match="unknown option"):
        env.reset(options={"goal": "crane"})


def test_valid_actions_are_the_vocabulary():
    actions = WordleEnv().valid_actions()
    assert len(actions) == 400 and actions[0] == "a c t o r\n" and actions[-1] == "z e b r a\n"


def test_custom_vocab_and_standard_rule():
    env = WordleEnv(vocab=["speed", "abide", "speed"], rule="standard")
    assert env.vocab == ("speed", "abide")
    env.reset(options={"word": "abide"})
    assert env.step("s p e e d\n")[0] == "b b y b y\n"
    with pytest.raises(ValueError, match="five-letter"):
        WordleEnv(vocab=["speed", "Abide"])
    with pytest.raises(ValueError, match="rule"):
        WordleEnv(rule="nyt")


# ------------------------------------------------------------------ resampling and seeds
def play(env: WordleEnv, seed: int, guesses: list[str]) -> list[tuple]:
    env.reset(seed=seed)
    out = []
    for g in guesses:
        out.append(env.step(g))
        if out[-1][2]:
            break
    return out


def test_seeds_determine_the_episode():
    guesses = ["crane", "shore", "black", "sheep", "sleep", "three"]
    env = WordleEnv()
    runs = [play(env, s, guesses) for s in range(20)]
    assert runs == [play(WordleEnv(), s, guesses) for s in range(20)]
    assert len({tuple(r[0] for r in run) for run in runs}) > 5


def test_resampled_feedback_is_consistent():
    env = WordleEnv()
    for seed in range(30):
        env.reset(seed=seed)
        assert env.hidden_word is None
        pairs = []
        for g in ["crane", "shore", "black", "sleep"]:
            obs = env.step(g)[0]
            pairs.append((g, obs))
            cands = env.candidates
            assert cands == consistent_words(pairs, VOCAB) and len(cands) >= 1
            if obs == "g g g g g\n":
                assert cands == [g]
                break


def test_one_word_vocab_is_solved_at_once_and_two_words_split():
    env = WordleEnv(vocab=["crane"])
    env.reset(seed=0)
    assert env.step("crane") == ("g g g g g\n", 0.0, True, False, {"success": True})
    env = WordleEnv(vocab=["crane", "grace"])
    firsts = Counter(play(env, s, ["crane"])[0][0] for s in range(200))
    assert set(firsts) == {"g g g g g\n", "y g g b g\n"} and 70 < firsts["g g g g g\n"] < 130


def test_resample_hidden_false_fixes_a_seeded_word():
    env = WordleEnv(resample_hidden=False)
    env.reset(seed=3)
    word = env.hidden_word
    assert word in VOCAB
    assert env.step("crane")[0] == feedback("crane", word) + "\n"
    env.reset(seed=3)
    assert env.hidden_word == word
    assert len({(env.reset(seed=s), env.hidden_word)[1] for s in range(50)}) > 30


def test_registry():
    env = lmrl_envs.make("wordle", bad_word_reward=-10.0)
    assert env.env_id == "wordle-v0" and env.bad_word_reward == -10.0 and env.max_steps == 6


class TestWordleConformance(EnvConformance):
    env_id = "wordle"
