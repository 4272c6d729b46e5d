"""The CLI conventions shared by the four lmrl commands, as `lmrl-envs` keeps them: the task is ``--env ID`` (the
older positional id is an alias), and ``--help`` imports neither torch nor transformers."""

import subprocess
import sys

import pytest

from lmrl_envs.cli import main
from lmrl_envs.testing import run_cli_light


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["play", "--help"]])
def test_help_does_not_import_torch(argv):
    proc = run_cli_light("lmrl_envs.cli", argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: lmrl-envs")


@pytest.mark.parametrize("command", ["check", "play"])
def test_help_shows_env_not_the_positional_alias(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith(f"usage: lmrl-envs {command} [-h] [--env ENV]")
    assert f"`lmrl-envs {command} maze" in text  # the alias is documented under --env
    assert "positional arguments" not in text


@pytest.mark.parametrize("argv", [["check", "maze-fo", "wordle"], ["check", "--env", "maze-fo,wordle"],
                                  ["check", "--env", "maze-fo", "--env", "wordle"], ["check", "maze-fo", "--env", "wordle"]])
def test_check_takes_env_or_positional_ids(argv, capsys):
    assert main([*argv, "--episodes", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["ok   maze-fo", "ok   wordle"]


@pytest.mark.parametrize("argv", [["play", "nope"], ["play", "--env", "nope"]])
def test_play_takes_env_or_a_positional_id(argv, capsys):
    assert main(argv) == 2  # the id reached the registry
    assert "unknown env id 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["play"], "lmrl-envs play: error: the following arguments are required: --env"),
    (["play", "maze-fo", "--env", "wordle"], "the task is given twice (maze-fo and wordle): pass it once, as --env ID"),
    (["play", "--env", "wordle", "maze-fo"], "the task is given twice (wordle and maze-fo)"),
])
def test_play_needs_one_task(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_play_same_task_both_ways_is_fine():
    proc = subprocess.run([sys.executable, "-m", "lmrl_envs.cli", "play", "maze-fo", "--env", "maze-fo", "--seed", "1"],
                          input=":quit\n", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("maze-fo-v0, seed 1\n")
