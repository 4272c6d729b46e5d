"""The CLI conventions shared by the four lmrl commands, as `lmrl-algos` keeps them: hyphenated algorithm names
(the underscore spellings are aliases), ``--cpu-threads`` (alias ``--threads``), and a ``--help`` that imports
neither torch nor transformers (the flags are read from the config classes' source)."""

import dataclasses
import json
import sys

import pytest

from lmrl_algos import ALGORITHMS
from lmrl_algos.cli import TRAIN_COMMANDS, _read_class, build_parser, config_fields, main
from lmrl_algos.common.config import field_docs
from lmrl_envs.testing import run_cli_light

FLAGS = ["--batch-size", "4", "--max-length", "64", "--lr", "1e-3", "--device", "cpu", "--no-bf16"]



@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["train", "bc", "--help"],
                                  ["train", "filtered_bc", "--help"], ["train", "online-filtered-bc", "--help"],
                                  ["presets", "--help"], ["merge", "--help"]])
def test_help_does_not_import_torch(argv):
    proc = run_cli_light("lmrl_algos.cli", argv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: lmrl-algos")


def test_presets_does_not_import_torch():
    proc = run_cli_light("lmrl_algos.cli", ["presets"])
    assert proc.returncode == 0, proc.stderr
    assert "maze" in proc.stdout


def test_train_commands_are_the_algorithms_with_hyphens():
    assert [name.replace("-", "_") for name in TRAIN_COMMANDS] == list(ALGORITHMS)
    for name, entry in TRAIN_COMMANDS.items():
        module, _, cls = entry.partition(":")
        assert ALGORITHMS[name.replace("-", "_")][0].__module__ == module
        assert ALGORITHMS[name.replace("-", "_")][0].__name__ == cls


@pytest.mark.parametrize("name", list(TRAIN_COMMANDS))
def test_fields_read_from_source_are_the_dataclass_fields(name):
    cls = ALGORITHMS[name.replace("-", "_")][0]
    doc, fields = _read_class(*TRAIN_COMMANDS[name].split(":"))  # the source reading, not the import fallback
    docs = field_docs(cls)
    assert [(f.name, f.type, f.default, f.doc) for f in fields] == [
        (f.name, f.type, f.default, docs.get(f.name, "")) for f in dataclasses.fields(cls)]
    assert doc.splitlines()[0] == cls.__doc__.splitlines()[0]
    assert config_fields(TRAIN_COMMANDS[name]) == (doc, fields)


def test_help_shows_each_algorithm_once_with_its_alias(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "usage: lmrl-algos train [-h] algo ..." in text
    assert text.count("filtered-bc (filtered_bc)") == 1
    assert text.count("online-filtered-bc (online_filtered_bc)") == 1
    assert "\n    filtered_bc" not in text and "," + "filtered_bc" not in text  # no second entry or choice
    with pytest.raises(SystemExit):
        main(["train", "filtered_bc", "--help"])
    assert capsys.readouterr().out.startswith("usage: lmrl-algos train filtered-bc ")  # the canonical name


@pytest.mark.parametrize("spelling, algo", [("filtered-bc", "filtered_bc"), ("filtered_bc", "filtered_bc"),
                                            ("online-filtered-bc", "online_filtered_bc"),
                                            ("online_filtered_bc", "online_filtered_bc")])
def test_both_spellings_reach_the_same_config(spelling, algo, toy_data, tmp_path, capsys):
    flag = "--top-fraction" if algo == "filtered_bc" else "--keep-fraction"
    out = tmp_path / "run"
    argv = ["train", spelling, "--env", "toy-count-v0", "--data", str(toy_data), "--out", str(out), flag, "2"]
    assert main(argv) == 2
    assert f"lmrl-algos: error: {flag} must be in (0, 1], got 2.0" in capsys.readouterr().err
    assert not out.exists()


def test_filtered_bc_trains_under_its_hyphenated_name(toy_data, tmp_path):
    out = tmp_path / "pbc"
    assert main(["train", "filtered-bc", "--env", "toy-count-v0", "--data", str(toy_data), "--out", str(out),
                 "--steps", "1", "--success-only", "--threads", "1", *FLAGS]) == 0
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["algo"] == "filtered_bc"  # names inside checkpoints are unchanged
    assert state["config"]["cpu_threads"] == 1


def test_threads_is_an_alias_of_cpu_threads(capsys):
    parse = build_parser().parse_args
    assert parse(["train", "bc", "--threads", "2"]).cpu_threads == 2
    assert parse(["train", "bc", "--cpu-threads", "3"]).cpu_threads == 3
    with pytest.raises(SystemExit):
        main(["train", "bc", "--help"])
    assert "--cpu-threads CPU_THREADS, --threads CPU_THREADS" in capsys.readouterr().out


def test_a_class_the_source_reading_cannot_handle_is_imported(tmp_path, monkeypatch):
    (tmp_path / "cli_probe_config.py").write_text(
        "from dataclasses import dataclass, field\n\nfrom lmrl_algos.common.config import TrainConfig\n\n\n"
        "@dataclass(frozen=True)\nclass ProbeConfig(TrainConfig):\n    \"\"\"A probe.\"\"\"\n\n"
        "    names: list = field(default_factory=list)\n    \"\"\"Not a literal default.\"\"\"\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    doc, fields = config_fields("cli_probe_config:ProbeConfig")
    assert "cli_probe_config" in sys.modules  # imported, since the source alone does not give the default
    assert doc == "A probe." and fields[0].name == "env"
    assert (fields[-1].name, fields[-1].doc) == ("names", "Not a literal default.")
    monkeypatch.delitem(sys.modules, "cli_probe_config")
