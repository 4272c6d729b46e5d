"""Generation: determinism across worker counts, manifest, resume, atomicity, cut-off episodes."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from lmrl_data import GenerateConfig, Recipe, episode_stats, generate, is_eval, iter_episodes, validate_dataset
from lmrl_data.cli import main
from lmrl_data.io import file_sha256
from lmrl_data.policies import BehaviourPolicy
from lmrl_envs import DatasetError, StepResult, TextEnv, read_episodes

gen = importlib.import_module("lmrl_data.generate")  # the module (lmrl_data.generate is the function)


class CountEnv(TextEnv):
    """Say "up" to add 1; reaching 3 ends the episode with success; anything else is invalid (-2)."""

    max_steps = 6

    def _reset(self, options):
        self.n = 0
        return "Count: 0\n", {}

    def _step(self, action):
        if action != "up\n":
            return StepResult(f"Count: {self.n}\n", -2.0, info={"invalid": True})
        self.n += 1
        if self.n == 3:
            return StepResult("Done\n", 0.0, terminated=True, info={"success": True})
        return StepResult(f"Count: {self.n}\n", -1.0)


class CountPolicy(BehaviourPolicy):
    """Even seeds: "up" always. Odd seeds: "down" first, then stop after 2 actions (cut-off)."""

    name = "count"

    def start(self, seed, rng):
        return {"seed": seed, "moves": 0}

    def choose(self, history, state, rng):
        state["moves"] += 1
        if state["seed"] % 2:
            return None if state["moves"] > 2 else ("down\n" if state["moves"] == 1 else "up\n")
        return "up\n"

    def describe(self, state):
        return {"parity": state["seed"] % 2}


TOY = Recipe("count-v0", CountPolicy, default_episodes=4, env_entry=CountEnv)


def _gen(tmp_path, name, **kw):
    kw.setdefault("progress", False)
    return generate(GenerateConfig(kw.pop("env_id", "maze-fo"), str(tmp_path / name), **kw), kw.pop("recipe", None))


def test_toy_episodes_exact(tmp_path):
    m = generate(GenerateConfig("count", str(tmp_path / "t"), episodes=4, seed=10, eval_percent=0, progress=False), TOY)
    eps = list(iter_episodes(tmp_path / "t", "train"))
    assert [e.seed for e in eps] == [10, 11, 12, 13]
    even, odd = eps[0], eps[1]
    assert even.texts == ["Count: 0\n", "up\n", "Count: 1\n", "up\n", "Count: 2\n", "up\n", "Done\n"]
    assert even.rewards == [-1.0, -1.0, 0.0] and even.terminated and not even.truncated
    assert even.info == {"success": True, "invalid_actions": 0, "behaviour": {"parity": 0}}
    assert odd.texts == ["Count: 0\n", "down\n", "Count: 0\n", "up\n", "Count: 1\n"]
    assert odd.rewards == [-2.0, -1.0] and odd.truncated and not odd.terminated
    assert odd.info == {"success": False, "cut_off": True, "invalid_actions": 1, "final_context_start": 0,
                        "behaviour": {"parity": 1}}
    s = m["statistics"]["all"]
    assert (s["episodes"], s["length_mean"], s["success_rate"], s["return_mean"]) == (4, 2.5, 0.5, -2.5)
    assert s["invalid_action_rate"] == 2 / 10
    assert m["counts"] == {"train": 4, "eval": 0}


def test_same_bytes_for_1_and_2_workers(tmp_path):
    a = _gen(tmp_path, "a", episodes=60, seed=5, workers=1, shard_size=7)
    b = _gen(tmp_path, "b", episodes=60, seed=5, workers=2, shard_size=7)
    for name in ("train.jsonl", "eval.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert a["files"] == b["files"]
    c = _gen(tmp_path, "c", episodes=60, seed=6)
    assert c["files"]["train.jsonl"]["sha256"] != a["files"]["train.jsonl"]["sha256"]


def test_manifest_contents(tmp_path):
    m = _gen(tmp_path, "m", episodes=50, seed=3)
    out = tmp_path / "m"
    assert sorted(p.name for p in out.iterdir()) == ["eval.jsonl", "manifest.json", "train.jsonl"]
    disk = json.loads((out / "manifest.json").read_text())
    assert disk["format"] == "lmrl-data-manifest/1"
    assert disk["task"]["env_id"] == "maze-fo-v0" and disk["task"]["env_version"] == 0
    assert disk["generator"] == {"name": "lmrl-data", "version": "0.1.1"}
    assert disk["policy"]["name"] == "lmrl_data.policies.maze:MazeSubmazePolicy"
    assert disk["policy"]["params"] == {"solver_prob": 0.15, "center_prob": 0.17, "max_horizon": 101}
    assert (disk["seed"], disk["episodes"], disk["eval_percent"]) == (3, 50, 10.0)
    ev = [i for i in range(50) if is_eval(i, 10.0)]
    assert disk["counts"] == {"train": 50 - len(ev), "eval": len(ev)}
    assert [e.seed for e in iter_episodes(out, "eval")] == [3 + i for i in ev]
    for name in ("train.jsonl", "eval.jsonl"):
        assert disk["files"][name]["sha256"] == file_sha256(out / name)
        assert disk["files"][name]["bytes"] == (out / name).stat().st_size
    in_order = sorted(iter_episodes(out, "all"), key=lambda e: e.seed)
    assert disk["statistics"]["all"] == episode_stats(in_order)
    assert disk["statistics"]["eval"] == episode_stats(iter_episodes(out, "eval"))
    assert validate_dataset(out) == {"files": {"eval.jsonl": len(ev), "train.jsonl": 50 - len(ev)}, "episodes": 50}
    assert "_elapsed_s" not in disk and m["_elapsed_s"] > 0


def test_split_is_about_ten_percent():
    assert sum(is_eval(i, 10.0) for i in range(10_000)) == 1036
    assert not any(is_eval(i, 0.0) for i in range(1000)) and all(is_eval(i, 100.0) for i in range(1000))


def test_po_replays_fo_actions(tmp_path):
    _gen(tmp_path, "fo", episodes=20, seed=0, eval_percent=0)
    _gen(tmp_path, "po", env_id="maze-po", episodes=20, seed=0, eval_percent=0)
    fo, po = list(iter_episodes(tmp_path / "fo")), list(iter_episodes(tmp_path / "po"))
    for a, b in zip(fo, po, strict=True):
        assert [t for t, x in zip(a.texts, a.is_action) if x] == [t for t, x in zip(b.texts, b.is_action) if x]
        assert (a.rewards, a.success, a.info["options"]) == (b.rewards, b.success, b.info["options"])
        assert b.env_id == "maze-po-v0" and "position" not in b.texts[0]


def test_resume_after_interrupt_gives_same_bytes(tmp_path, monkeypatch):
    ref = _gen(tmp_path, "ref", episodes=30, seed=1, shard_size=4)
    calls = {"n": 0}
    real = gen._run_shard

    def flaky(job):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(gen, "_run_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        _gen(tmp_path, "r", episodes=30, seed=1, shard_size=4)
    out = tmp_path / "r"
    assert not (out / "manifest.json").exists() and not (out / "train.jsonl").exists()
    assert sorted(p.name for p in (out / ".partial").glob("shard-*.jsonl")) == [
        "shard-000000000.jsonl", "shard-000000004.jsonl", "shard-000000008.jsonl"]
    monkeypatch.setattr(gen, "_run_shard", real)
    m = _gen(tmp_path, "r", episodes=30, seed=1, shard_size=4)
    assert m["files"] == ref["files"] and not (out / ".partial").exists()
    # a finished dataset is not regenerated
    before = (out / "train.jsonl").stat().st_mtime_ns
    again = _gen(tmp_path, "r", episodes=30, seed=1, shard_size=4)
    assert again["files"] == ref["files"] and (out / "train.jsonl").stat().st_mtime_ns == before


def _interrupted(tmp_path, monkeypatch, name, after, **kw):
    """Start a generation and stop it (Ctrl-C) after `after` shards, as a user would."""
    real, calls = gen._run_shard, {"n": 0}

    def flaky(job):
        calls["n"] += 1
        if calls["n"] > after:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(gen, "_run_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        _gen(tmp_path, name, **kw)
    monkeypatch.setattr(gen, "_run_shard", real)
    return tmp_path / name / ".partial"


def test_resume_redoes_a_shard_that_fails_its_checksum(tmp_path, monkeypatch, caplog):
    ref = _gen(tmp_path, "ref", episodes=30, seed=1, shard_size=4)
    partial = _interrupted(tmp_path, monkeypatch, "r", 3, episodes=30, seed=1, shard_size=4)
    assert sorted(p.name for p in partial.glob("shard-*")) == [
        "shard-000000000.jsonl", "shard-000000000.jsonl.sha256", "shard-000000004.jsonl",
        "shard-000000004.jsonl.sha256", "shard-000000008.jsonl", "shard-000000008.jsonl.sha256"]
    cut = partial / "shard-000000004.jsonl"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # truncated by hand
    (partial / "shard-000000008.jsonl.sha256").unlink()  # as if killed between the shard and its checksum
    forged = partial / "shard-000000000.jsonl"  # a line removed, the checksum forged to match
    forged.write_bytes(b"".join(forged.read_bytes().splitlines(keepends=True)[1:]))
    (partial / "shard-000000000.jsonl.sha256").write_text(file_sha256(forged) + "\n")
    with pytest.raises(DatasetError, match="no manifest .* unfinished: re-run the same"):
        validate_dataset(tmp_path / "r")
    m = _gen(tmp_path, "r", episodes=30, seed=1, shard_size=4)
    assert m["files"] == ref["files"] and not partial.exists()
    for name in ("train.jsonl", "eval.jsonl", "manifest.json"):
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    redone = sorted(r.getMessage().split()[0].rsplit("/", 1)[1] for r in caplog.records if "playing its" in r.getMessage())
    assert redone == ["shard-000000000.jsonl", "shard-000000004.jsonl", "shard-000000008.jsonl"]


def test_refuses_an_out_with_files_it_did_not_write(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "train.jsonl").write_text("my own data\n")
    (out / "notes.txt").write_text("keep me\n")
    with pytest.raises(FileExistsError, match=r"mine holds files lmrl-data generate did not write \(notes.txt, "
                                              r"train.jsonl\); nothing was changed. Choose another --out, or pass "
                                              r"--overwrite"):
        _gen(tmp_path, "mine", episodes=6)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "train.jsonl"]
    assert (out / "train.jsonl").read_text() == "my own data\n"
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(FileExistsError, match="mine already holds a manifest.json that lmrl-data generate did not "
                                              "write; nothing was changed"):
        _gen(tmp_path, "mine", episodes=6)
    m = _gen(tmp_path, "mine", episodes=6, overwrite=True)
    ref = _gen(tmp_path, "ref", episodes=6)
    assert m["files"] == ref["files"] and validate_dataset(out)["episodes"] == 6
    assert sorted(p.name for p in out.iterdir()) == ["eval.jsonl", "manifest.json", "notes.txt", "train.jsonl"]
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert _gen(tmp_path, "mine", episodes=6)["files"] == ref["files"]  # its own dataset: nothing to do, no refusal


def test_overwrite_replaces_another_dataset_or_unfinished_run(tmp_path, monkeypatch):
    _gen(tmp_path, "d", episodes=10, seed=0)
    ref = _gen(tmp_path, "ref", episodes=11, seed=0)
    assert _gen(tmp_path, "d", episodes=11, seed=0, overwrite=True)["files"] == ref["files"]
    partial = _interrupted(tmp_path, monkeypatch, "u", 1, episodes=12, seed=0, shard_size=4)
    with pytest.raises(FileExistsError, match=r"holds an unfinished generation with other settings .*re-run that "
                                              r"command to finish it"):
        _gen(tmp_path, "u", episodes=11, seed=0)
    assert (partial / "shard-000000000.jsonl").exists()
    assert _gen(tmp_path, "u", episodes=11, seed=0, overwrite=True)["files"] == ref["files"]
    assert not partial.exists()


def test_cli_refuses_foreign_files_with_exit_2(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "train.jsonl").write_text("precious\n")
    args = ["generate", "maze-fo", "--episodes", "5", "--out", str(out), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lmrl-data generate: {out} holds files lmrl-data generate did not write (train.jsonl)")
    assert "--overwrite" in err and err.count("\n") == 1
    assert (out / "train.jsonl").read_text() == "precious\n" and sorted(p.name for p in out.iterdir()) == ["train.jsonl"]
    assert main([*args, "--overwrite"]) == 0
    assert validate_dataset(out)["episodes"] == 5


def test_other_settings_never_overwrite(tmp_path):
    _gen(tmp_path, "d", episodes=10, seed=0)
    digest = file_sha256(tmp_path / "d" / "train.jsonl")
    with pytest.raises(FileExistsError, match="other settings"):
        _gen(tmp_path, "d", episodes=11, seed=0)
    assert file_sha256(tmp_path / "d" / "train.jsonl") == digest
    with pytest.raises(ValueError, match="unknown policy parameter"):
        _gen(tmp_path, "e", episodes=5, params={"nope": 1})
    with pytest.raises(KeyError, match="unknown dataset id 'maze-foo'"):
        _gen(tmp_path, "f", env_id="maze-foo", episodes=5)
    assert not (tmp_path / "e").exists() and not (tmp_path / "f").exists()


def test_param_override_is_recorded(tmp_path):
    m = _gen(tmp_path, "p", episodes=30, params={"center_prob": 1.0})
    assert m["policy"]["params"]["center_prob"] == 1.0
    assert {e.info["behaviour"]["submaze"] for e in read_episodes(tmp_path / "p" / "train.jsonl")} == {"center"}


def test_import_does_not_import_torch():
    code = "import sys, lmrl_data, lmrl_data.cli, lmrl_data.generate; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
