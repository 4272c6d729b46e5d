"""`lmrl-envs play`, the real CLI in a subprocess fed on stdin: rules and colour key, :help and :quit as commands
(not moves), the return and success at the end, the hidden word revealed. Deterministic through --seed."""

import subprocess
import sys

import lmrl_envs

SEED = 3


def _play(env_id, lines, seed=SEED):
    return subprocess.run([sys.executable, "-m", "lmrl_envs.cli", "play", env_id, "--seed", str(seed)],
                          input="".join(line + "\n" for line in lines), capture_output=True, text=True, timeout=60)


def _replay(guesses, seed=SEED):
    """The same game in-process: the env after the guesses."""
    env = lmrl_envs.make("wordle")
    env.reset(seed=seed)
    for g in guesses:
        env.step(g + "\n")
    return env


def _solving_guesses(seed=SEED):
    """Guesses that solve the seeded game: always the first word that still fits the feedback."""
    env, guesses = lmrl_envs.make("wordle"), []
    env.reset(seed=seed)
    while not env.done:
        guesses.append(env.candidates[0])
        env.step(guesses[-1] + "\n")
    assert env.episode_texts[-1].text == "g g g g g\n" and len(guesses) < 6
    return guesses


def test_wordle_rules_help_is_not_a_move_and_the_solved_word_is_shown():
    guesses = _solving_guesses()
    proc = _play("wordle", [guesses[0], ":help", ":hlep", *guesses[1:]])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    start = out.split("=" * 30, 1)[0]
    assert start.startswith("wordle-v0, seed 3\nFind the hidden five-letter word in 6 guesses.")
    for key in ("  g  green   right letter, right place\n", "  y  yellow  the letter is in the word, in another place\n",
                "  b  black   the letter is not in the word\n"):
        assert key in start  # the colour key before the first move
    help_shown = out.split("your action> ")[2]  # the answer to the second line, ":help"
    assert help_shown.startswith("Find the hidden five-letter word")
    assert "  :help   show the rules and these commands\n  :quit   end the game (exit code 0)\n" in help_shown
    assert "unknown command :hlep; commands: :help, :quit\n" in out
    # neither :help nor :hlep was played: one reward line per guess, and the game was solved on the last one
    assert out.count("your action> reward ") == len(guesses)
    n = len(guesses)
    assert f"episode over (terminated) after {n} actions: return {1 - n:+g}, success yes\n" in out
    assert out.endswith(f"The word was {guesses[-1]}.\n")
    assert out.count("the model sees") == n  # the board is shown again only after a move


def test_wordle_lost_game_reveals_a_word_that_fits_the_feedback():
    guesses = ["crane", "zzzzz", "sheep", "plant", "bound", "girth"]  # "zzzzz": invalid, still a guess
    proc = _play("wordle", guesses)
    assert proc.returncode == 0, proc.stderr
    env = _replay(guesses)
    assert env.done and env.episode_texts[-1].text != "g g g g g\n"
    assert f"episode over (terminated) after 6 actions: return {-6:+g}, success no\n" in proc.stdout
    reveal = env.play_reveal()
    assert proc.stdout.endswith(reveal + "\n")
    word = reveal.split()[3].rstrip(".,")
    assert word in env.candidates and word not in guesses


def test_quit_ends_the_game_cleanly_and_later_lines_are_not_played():
    proc = _play("wordle", ["crane", ":quit", "sheep"])
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.count("your action> reward ") == 1
    env = _replay(["crane"])
    assert proc.stdout.endswith("episode not finished, 1 action: return so far -1, success no\n"
                                + env.play_reveal() + "\n")


def test_other_tasks_help_shows_their_documentation_table_and_end_of_input_ends_the_game():
    proc = _play("maze-po", [":help", "move left", "fly"])
    assert proc.returncode == 0, proc.stderr
    help_shown = proc.stdout.split("your action> ")[1]
    assert help_shown.startswith('Maze: reach the goal of a fixed 10x13 double-T maze by text moves')
    assert "\nReward             -1 per step that does not reach the goal" in help_shown
    assert "  :quit   end the game (exit code 0)\n" in help_shown
    env = lmrl_envs.make("maze-po")
    env.reset(seed=SEED)
    total = env.step("move left\n")[1] + env.step("fly\n")[1]
    assert total == -5  # -1 for a move, -4 for an action string the maze does not know
    assert proc.stdout.endswith(f"(end of input)\nepisode not finished, 2 actions: return so far {total:+g}, "
                                "success no\n")
