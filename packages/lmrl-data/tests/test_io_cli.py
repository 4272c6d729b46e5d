"""Loading helpers, validation errors and the `lmrl-data` command line."""

from __future__ import annotations

import json

import pytest

from lmrl_data import GenerateConfig, bc_subset, filter_successes, filter_top_percent, generate, validate_dataset
from lmrl_data.cli import main
from lmrl_envs import DatasetError, Episode


def _ep(seed, ret, success):
    return Episode("t-v0", seed, ["o\n", "a\n", "o\n"], [False, True, False], [float(ret)], [0], terminated=success)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("d") / "maze"
    generate(GenerateConfig("maze-fo", str(out), episodes=40, seed=0, progress=False))
    return out


def test_filters():
    eps = [_ep(i, r, s) for i, (r, s) in enumerate([(-5, False), (0, True), (-1, True), (-3, False), (0, False)])]
    assert [e.seed for e in filter_successes(eps)] == [1, 2]
    assert [e.seed for e in filter_top_percent(eps, 40)] == [1, 4]
    assert [e.seed for e in filter_top_percent(eps, 50)] == [1, 2, 4]
    assert [e.seed for e in bc_subset(eps, "top10")] == [1]
    assert [e.seed for e in bc_subset(eps, "success")] == [1, 2]
    with pytest.raises(ValueError, match="unknown %BC filter"):
        bc_subset(eps, "best")


def _copy(dataset, tmp_path):
    out = tmp_path / "copy"
    out.mkdir()
    for p in dataset.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    return out


def test_validate_ok_and_cli(dataset, capsys):
    assert main(["validate", str(dataset)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {dataset} (eval.jsonl: ")


@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:2] + [lines[2][: len(lines[2]) // 2]] + lines[3:], "train.jsonl:3: not valid JSON"),
    (lambda lines: lines[:1] + [lines[1].replace('"lmrl-episode/1"', '"lmrl-episode/0"')] + lines[2:],
     "train.jsonl:2: format: expected 'lmrl-episode/1', got 'lmrl-episode/0'"),
    (lambda lines: lines[:4] + [lines[4].replace('"rewards":[', '"rewards":[1.0,')] + lines[5:],
     "train.jsonl:5: rewards: need one reward per action"),
    (lambda lines: lines[:1] + [lines[1].replace('"maze-fo-v0"', '"maze-po-v0"')] + lines[2:],
     "train.jsonl:2: env_id: 'maze-po-v0' != manifest task 'maze-fo-v0'"),
    (lambda lines: lines[:-1], "holds 36 episodes, manifest.json says 37"),
])
def test_validate_names_file_line_and_field(dataset, tmp_path, capsys, damage, message):
    out = _copy(dataset, tmp_path)
    lines = (out / "train.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) == 37
    (out / "train.jsonl").write_text("".join(damage(lines)))
    with pytest.raises(DatasetError, match=message.replace("[", r"\[").replace("(", r"\(")):
        validate_dataset(out)
    assert main(["validate", str(out)]) == 1
    assert message in capsys.readouterr().err


def test_validate_checksum_and_manifest(dataset, tmp_path):
    out = _copy(dataset, tmp_path)
    text = (out / "eval.jsonl").read_text()
    (out / "eval.jsonl").write_text(text.replace('"seed":', '"seed": ', 1))  # same content, other bytes
    with pytest.raises(DatasetError, match="eval.jsonl: sha256 .* modified after generation"):
        validate_dataset(out)
    m = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**m, "format": "lmrl-data-manifest/0"}))
    with pytest.raises(DatasetError, match="manifest.json: format: expected 'lmrl-data-manifest/1'"):
        validate_dataset(out)
    (out / "manifest.json").unlink()
    with pytest.raises(DatasetError, match="no manifest .* unfinished"):
        validate_dataset(out)


def test_cli_stats(dataset, capsys):
    assert main(["stats", str(dataset), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert stats["episodes"] == 40
    assert stats["success_rate"] == manifest["statistics"]["all"]["success_rate"]
    assert stats["length_mean"] == pytest.approx(manifest["statistics"]["all"]["length_mean"])
    assert main(["stats", str(dataset / "eval.jsonl")]) == 0
    assert capsys.readouterr().out.startswith("episodes        3\nlength ")
    assert main(["stats", str(dataset / "nope.jsonl")]) == 1


def test_cli_generate_and_errors(tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["generate", "maze-po", "--episodes", "12", "--out", str(out), "--seed", "4", "--quiet"]) == 0
    assert "12 episodes" not in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["task"]["env_id"] == "maze-po-v0"
    assert main(["generate", "maze-po", "--episodes", "13", "--out", str(out), "--quiet"]) == 1
    assert "already holds a finished dataset" in capsys.readouterr().err
    assert main(["generate", "mase-fo", "--episodes", "3", "--out", str(tmp_path / "x")]) == 2
    assert "unknown dataset id 'mase-fo'. Did you mean 'maze-fo'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["generate", "maze-fo", "--episodes", "3", "--out", str(tmp_path / "y"), "--param", "bad"]) == 2


def test_cli_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env_id in ("maze-fo-v0", "maze-po-v0", "text-nav-fo-v0", "text-nav-po-v0", "wordle-v0", "chess-v0",
                   "endgames-v0", "twenty-questions-v0", "guess-my-city-v0", "car-dealer-v0"):
        assert env_id in out
    assert "1,100,000 episodes  %BC=top30" in out
