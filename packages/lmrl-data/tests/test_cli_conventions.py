"""The CLI conventions shared by the four lmrl commands, as `lmrl-data` keeps them: the task is ``--env ID`` (the
older positional id is an alias), ``--workers`` is parallel workers running environments, and ``--help`` imports
neither torch nor transformers."""


import pytest

from lmrl_data.cli import main
from lmrl_envs.testing import run_cli_light


@pytest.mark.parametrize("argv", [["--help"], ["generate", "--help"], ["stats", "--help"], ["export", "--help"]])
def test_help_does_not_import_torch(argv):
    proc = run_cli_light("lmrl_data.cli", argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: lmrl-data")


def test_generate_help_shows_env_and_the_meaning_of_workers(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: lmrl-data generate [-h] [--env ENV] [--episodes EPISODES] --out OUT")
    assert "`lmrl-data generate maze-fo` (positional, the older form) is the same" in text
    assert "positional arguments" not in text
    assert "--workers WORKERS parallel workers running the environments: processes generating the episodes" in text


def test_env_and_positional_id_make_the_same_dataset(tmp_path, cli):
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli(["generate", "--env", "maze-po", "--episodes", "6", "--out", str(a), "--seed", "2", "--quiet"])[0] == 0
    assert cli(["generate", "maze-po", "--episodes", "6", "--out", str(b), "--seed", "2", "--quiet"])[0] == 0
    assert (a / "train.jsonl").read_bytes() == (b / "train.jsonl").read_bytes()
    assert (a / "eval.jsonl").read_bytes() == (b / "eval.jsonl").read_bytes()
    # the same id both ways is one task
    assert cli(["generate", "maze-po", "--env", "maze-po", "--episodes", "6", "--out", str(b), "--seed", "2",
                "--quiet"])[0] == 0


@pytest.mark.parametrize("argv, message", [
    (["generate", "--episodes", "3", "--out", "{tmp}/o"],
     "lmrl-data generate: error: the following arguments are required: --env (see lmrl-data generate --help)"),
    (["generate", "maze-fo", "--env", "wordle", "--out", "{tmp}/o"],
     "lmrl-data generate: error: the task is given twice (maze-fo and wordle): pass it once, as --env ID"),
    (["generate", "--env", "mase-fo", "--episodes", "3", "--out", "{tmp}/o"], "unknown dataset id 'mase-fo'"),
])
def test_generate_needs_one_known_task(tmp_path, cli, argv, message):
    rc, err = cli([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert rc == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
