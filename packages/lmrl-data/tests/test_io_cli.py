"""Loading helpers, validation errors and the `lmrl-data` command line."""

from __future__ import annotations

import json

import pytest

from lmrl_data import GenerateConfig, bc_subset, generate, validate_dataset
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
    assert [e.seed for e in bc_subset(eps, "top40")] == [1, 4]
    assert [e.seed for e in bc_subset(eps, "top50")] == [1, 2, 4]
    assert [e.seed for e in bc_subset(eps, "top10")] == [1]
    assert [e.seed for e in bc_subset(eps, "success")] == [1, 2]
    for bad in ("best", "top0", "top150", "topx"):
        with pytest.raises(ValueError, match="unknown %BC filter"):
            bc_subset(eps, bad)


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
    with pytest.raises(DatasetError, match="no manifest, so .* is not an lmrl-data dataset"):
        validate_dataset(out)
    (out / ".partial").mkdir()
    with pytest.raises(DatasetError, match="no manifest .* unfinished: re-run the same `lmrl-data generate`"):
        validate_dataset(out)


def _set(m, dotted, value):
    """A copy of manifest `m` with the field at a dotted path (keys may hold dots: "files.train.jsonl.sha256")."""
    m = json.loads(json.dumps(m))
    obj, rest = m, dotted
    while "." in rest:
        key = next(k for k in obj if rest.startswith(k + "."))
        obj, rest = obj[key], rest[len(key) + 1:]
    obj[rest] = value
    return m


@pytest.mark.parametrize(("field", "value", "message"), [
    ("counts.train", 99, "episodes: 40 != counts train + eval (102)"),
    ("episodes", 41, "episodes: 41 != counts train + eval (40)"),
    ("counts", {"train": 37}, "counts: expected {'train': n, 'eval': n}"),
    ("counts.eval", -3, "counts: expected {'train': n, 'eval': n} with counts >= 0"),
    ("files", {}, r"files: must list exactly ['eval.jsonl', 'train.jsonl'], got []"),
    ("files", None, "files: must list exactly ['eval.jsonl', 'train.jsonl'], got None"),
    ("files.train.jsonl.episodes", 36, "files.train.jsonl.episodes: 36 != counts.train (37)"),
    ("files.eval.jsonl.sha256", None, "files.eval.jsonl.sha256: missing or not a hex sha256, got None (every manifest"),
    ("files.eval.jsonl.sha256", "abc", "files.eval.jsonl.sha256: missing or not a hex sha256, got 'abc'"),
    ("files.eval.jsonl.bytes", 5, "files.eval.jsonl.bytes: 5 != the file's "),
])
def test_validate_checks_the_manifest_itself(dataset, tmp_path, capsys, field, value, message):
    out = _copy(dataset, tmp_path)
    m = json.loads((out / "manifest.json").read_text())
    assert (m["episodes"], m["counts"]) == (40, {"train": 37, "eval": 3})
    (out / "manifest.json").write_text(json.dumps(_set(m, field, value)))
    with pytest.raises(DatasetError) as err:
        validate_dataset(out)
    assert str(err.value).startswith(f"{out / 'manifest.json'}: ") and message in str(err.value), err.value
    assert main(["validate", str(out)]) == 1
    assert message in capsys.readouterr().err


def test_validate_does_not_follow_files_out_of_the_directory(dataset, tmp_path):
    out = _copy(dataset, tmp_path)
    m = json.loads((out / "manifest.json").read_text())
    outside = tmp_path / "train.jsonl"
    outside.write_bytes((out / "train.jsonl").read_bytes())
    files = {"../train.jsonl" if k == "train.jsonl" else k: v for k, v in m["files"].items()}
    (out / "manifest.json").write_text(json.dumps({**m, "files": files}))
    with pytest.raises(DatasetError, match=r"files: must list exactly \['eval.jsonl', 'train.jsonl'\], got "
                                           r"\['../train.jsonl', 'eval.jsonl'\]"):
        validate_dataset(out)
    (out / "manifest.json").write_text(json.dumps(m))
    (out / "train.jsonl").unlink()
    (out / "train.jsonl").symlink_to(outside)  # same bytes, but outside the dataset
    with pytest.raises(DatasetError, match=r"train.jsonl: resolves to .*, outside the dataset directory"):
        validate_dataset(out)


def test_validate_reports_bad_bytes_and_deep_nesting_by_file_and_line(dataset, tmp_path, capsys):
    out = _copy(dataset, tmp_path)
    lines = (out / "train.jsonl").read_bytes().splitlines(keepends=True)
    (out / "train.jsonl").write_bytes(b"".join(lines[:4] + [b"\x80" + lines[4]] + lines[5:]))
    assert main(["validate", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"invalid: {out / 'train.jsonl'}:5: not valid UTF-8 (byte 0x80 at byte 1 of the line); the file is " \
                  "corrupt or not an episode file\n"
    (out / "eval.jsonl").write_bytes(b"[" * 50_000 + b"]" * 50_000 + b"\n")
    assert main(["validate", str(out)]) == 1
    assert f"invalid: {out / 'eval.jsonl'}:1: JSON nested too deeply to parse" in capsys.readouterr().err
    assert main(["stats", str(out / "eval.jsonl")]) == 1
    assert "eval.jsonl:1: JSON nested too deeply" in capsys.readouterr().err
    (out / "manifest.json").write_bytes(b"{" + b"\xff" * 3 + b"}")
    assert main(["validate", str(out)]) == 1
    assert "manifest.json: manifest is not valid UTF-8 (byte 2)" in capsys.readouterr().err


def test_cli_stats(dataset, capsys):
    assert main(["stats", str(dataset), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert stats["episodes"] == 40
    assert stats["success_rate"] == manifest["statistics"]["all"]["success_rate"]
    assert stats["length_mean"] == pytest.approx(manifest["statistics"]["all"]["length_mean"])
    assert main(["stats", str(dataset / "eval.jsonl")]) == 0
    assert capsys.readouterr().out.startswith("episodes        3\nlength ")
    assert main(["stats", str(dataset / "nope.jsonl")]) == 2


def test_cli_generate_and_errors(tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["generate", "maze-po", "--episodes", "12", "--out", str(out), "--seed", "4", "--quiet"]) == 0
    assert "12 episodes" not in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["task"]["env_id"] == "maze-po-v0"
    assert main(["generate", "maze-po", "--episodes", "13", "--out", str(out), "--quiet"]) == 2
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


@pytest.mark.parametrize("argv, message", [
    (["validate", "{tmp}/missing"], "lmrl-data validate: {tmp}/missing: no such dataset directory or .jsonl file"),
    (["stats", "{tmp}/missing/train.jsonl"], "lmrl-data stats: {tmp}/missing/train.jsonl: no such dataset directory"),
    (["validate"], "lmrl-data validate: error: the following arguments are required: path"),
    (["generate", "maze-fo", "--episodes", "abc", "--out", "{tmp}/o"],
     "argument --episodes: expected a positive integer, got 'abc' (see lmrl-data generate --help)"),
    (["generate", "maze-fo", "--episodes", "0", "--out", "{tmp}/o"], "argument --episodes: expected a positive integer"),
    (["generate", "maze-fo", "--episodes", "-3", "--out", "{tmp}/o"], "argument --episodes: expected a positive integer"),
    (["generate", "maze-fo", "--episodes", "1e3", "--out", "{tmp}/o"], "argument --episodes: expected a positive"),
    (["generate", "maze-fo", "--workers", "0", "--out", "{tmp}/o"], "argument --workers: expected a positive integer"),
    (["generate", "maze-fo", "--eval-percent", "101", "--out", "{tmp}/o"], "argument --eval-percent: expected a perc"),
    (["generate", "maze-fo", "--eval-percent", "nan", "--out", "{tmp}/o"], "argument --eval-percent: expected a perc"),
    (["generate", "maze-fo", "--seed", "x", "--out", "{tmp}/o"], "argument --seed: invalid int value: 'x'"),
    (["generate", "maze-fo", "--episodes", "3"], "the following arguments are required: --out"),
    (["generate", "no-such-env", "--episodes", "3", "--out", "{tmp}/o"], "unknown dataset id 'no-such-env'"),
    (["generate", "maze-fo", "--episodes", "3", "--out", "{tmp}/o", "--param", "center_prob=abc"],
     "policy parameter center_prob='abc' must be a number like its default 0.17"),
    (["generate", "maze-fo", "--episodes", "3", "--out", "{tmp}/o", "--param", "nope=1"], "unknown policy parameter"),
    (["generate", "maze-fo", "--episodes", "3", "--out", "{tmp}/a-file"], "{tmp}/a-file is a file, not a directory"),
    (["frobnicate"], "lmrl-data: error: argument command: invalid choice: 'frobnicate'"),
    ([], "lmrl-data: error: the following arguments are required: command"),
])
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path, cli, argv, message):
    (tmp_path / "a-file").write_text("not a directory\n")
    rc, err = cli([a.format(tmp=tmp_path) for a in argv])
    assert rc == 2
    assert message.format(tmp=tmp_path) in err and err.count("\n") == 1 and err.endswith("\n"), err
    assert not (tmp_path / "o").exists()
