"""--report-to: TensorBoard event files and an offline W&B run hold the metrics and the config; a missing backend
is one warning line and the run goes on; an unknown name is exit 2 before any work."""

import json
import os
import struct
import subprocess
import sys

import pytest

from lmrl_algos import make_config, train
from lmrl_algos.cli import main
from lmrl_algos.common.config import ConfigError
from lmrl_algos.common.logging import parse_report_to

FAST = {"steps": 3, "batch_size": 4, "log_every": 1, "max_length": 64, "lr": 1e-3, "seed": 1, "device": "cpu",
        "bf16": False, "cpu_threads": 1}
TESTS = os.path.dirname(__file__)
RUNNER = "import conftest, sys; from lmrl_algos.cli import main; sys.exit(main(sys.argv[1:]))"
BLOCKED = "import sys; sys.modules['tensorboard'] = sys.modules['wandb'] = None; " + RUNNER  # as if not installed


def _rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _cli_args(data, out, report_to):
    return ["train", "bc", "--env", "toy-count-v0", "--data", str(data), "--out", str(out), "--steps", "3",
            "--batch-size", "4", "--log-every", "1", "--max-length", "64", "--lr", "1e-3", "--seed", "1",
            "--device", "cpu", "--no-bf16", "--cpu-threads", "1", "--report-to", report_to]


def _run(code, args, tmp_path, **wandb_env):
    """The CLI in a fresh interpreter, with no W&B credentials or settings but `wandb_env` (HOME is a tmp dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(PYTHONPATH=TESTS + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1",
               HOME=str(tmp_path / "home"), NETRC=str(tmp_path / "no-netrc"), **wandb_env)
    return subprocess.run([sys.executable, "-c", code, *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)


def test_parse_report_to():
    assert parse_report_to("none") == ()
    assert parse_report_to("tensorboard") == ("tensorboard",)
    assert parse_report_to(" wandb , TensorBoard,wandb") == ("wandb", "tensorboard")
    assert parse_report_to(["tensorboard", "wandb"]) == ("tensorboard", "wandb")
    with pytest.raises(ConfigError, match=r"unknown backend 'tensorbaord' \(did you mean tensorboard\?\)"):
        parse_report_to("tensorbaord")
    with pytest.raises(ConfigError, match="'none' cannot be combined"):
        parse_report_to("none,wandb")
    with pytest.raises(ConfigError, match="empty backend name"):
        parse_report_to("tensorboard,")


def test_unknown_backend_is_exit_2_before_any_work(toy_data, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_cli_args(toy_data, out, "tensorboard,mlflow")) == 2
    err = capsys.readouterr().err
    assert err.startswith("lmrl-algos: error: --report-to: unknown backend 'mlflow'; choose auto, none, tensorboard, wandb")
    assert not out.exists()


def test_tensorboard_event_files_hold_the_metrics_and_the_config(toy_data, tmp_path):
    pytest.importorskip("tensorboard", reason="--report-to tensorboard needs lmrl-algos[tensorboard]")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    out = tmp_path / "run"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(out), report_to="tensorboard", **FAST))
    acc = EventAccumulator(str(out / "tb"), size_guidance={"tensors": 0, "scalars": 0})
    acc.Reload()
    rows = _rows(out)
    loss = acc.Scalars("losses/total")
    assert [s.step for s in loss] == [r["step"] for r in rows] == [1, 2, 3]
    assert [s.value for s in loss] == pytest.approx([r["losses/total"] for r in rows], rel=1e-6)
    content = acc.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    hp = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
    assert hp["algo"].string_value == "bc"
    assert hp["env"].string_value == "toy-count-v0"
    assert hp["report_to"].string_value == "tensorboard"
    assert (hp["lr"].number_value, hp["steps"].number_value, hp["batch_size"].number_value) == (1e-3, 3, 4)
    assert "eval_every" not in hp  # None: only in the text table
    text = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text.startswith("| setting | value |\n|---|---|\n| algo | \"bc\" |\n")
    assert "| lr | 0.001 |\n" in text and "| eval_every | null |\n" in text


@pytest.mark.parametrize("mode", ["offline", "unset"])
def test_wandb_offline_run_holds_the_config_and_the_metrics(mode, toy_data, tmp_path):
    pytest.importorskip("wandb", reason="--report-to wandb needs lmrl-algos[wandb]")
    from wandb.proto import wandb_internal_pb2

    out, wandb_dir = tmp_path / "run", tmp_path / "wandb-dir"
    # "offline": the documented way; "unset": no credentials, so the run must go offline by itself, not prompt
    wandb_env = {"WANDB_MODE": "offline", "WANDB_DIR": str(wandb_dir)} if mode == "offline" else {}
    proc = _run(RUNNER, _cli_args(toy_data, out, "wandb"), tmp_path, **wandb_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "lmrl-algos: warning" not in proc.stderr
    root = (wandb_dir if mode == "offline" else out) / "wandb"
    runs = sorted(root.glob("offline-run-*"))
    assert len(runs) == 1, sorted(root.iterdir())
    records = [wandb_internal_pb2.Record.FromString(r) for r in _leveldb_records(next(runs[0].glob("run-*.wandb")))]
    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    config = {item.key: json.loads(item.value_json) for item in run.config.update}
    assert (run.project, run.display_name, run.job_type) == ("lmrl", "run", "bc")
    assert {k: config[k] for k in ("algo", "env", "lr", "steps", "report_to", "eval_every")} == {
        "algo": "bc", "env": "toy-count-v0", "lr": 1e-3, "steps": 3, "report_to": "wandb", "eval_every": None}
    history = [{item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in r.history.item}
               for r in records if r.WhichOneof("record_type") == "history"]
    rows = _rows(out)
    assert [h["_step"] for h in history] == [1, 2, 3]
    assert [h["losses/total"] for h in history] == pytest.approx([r["losses/total"] for r in rows])


def test_missing_backends_warn_once_each_and_the_run_goes_on(toy_data, tmp_path):
    out = tmp_path / "run"
    proc = _run(BLOCKED, _cli_args(toy_data, out, "tensorboard,wandb"), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    metrics = out / "metrics.jsonl"
    assert warnings == [
        f"lmrl-algos: warning: --report-to tensorboard: the tensorboard package is not installed, so metrics go to "
        f"{metrics} only; pip install 'lmrl-algos[tensorboard]' (or: pip install tensorboard)",
        f"lmrl-algos: warning: --report-to wandb: the wandb package is not installed, so metrics go to "
        f"{metrics} only; pip install 'lmrl-algos[wandb]' (or: pip install wandb)",
    ]
    assert [r["step"] for r in _rows(out)] == [1, 2, 3]
    assert (out / "checkpoint" / "state.json").exists()
    assert not (out / "tb").exists() and not (out / "wandb").exists()


def test_auto_is_tensorboard_when_installed_and_silent_otherwise(toy_data, tmp_path):
    quiet = _run(BLOCKED, _cli_args(toy_data, tmp_path / "blocked", "auto"), tmp_path)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert "warning" not in quiet.stderr and not (tmp_path / "blocked" / "tb").exists()
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    assert parse_report_to("auto") == ("tensorboard",)
    out = tmp_path / "default"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(out), **FAST))  # report_to left at auto
    assert any((out / "tb").rglob("events.out.tfevents.*"))


def _leveldb_records(path):
    """The records of a W&B transaction log (``run-*.wandb``): a 7-byte header, then LevelDB log format (32 KiB
    blocks of chunks: crc32c, little-endian length, type 1 full / 2 first / 3 middle / 4 last)."""
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, parts = 7, 32768, b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        parts = chunk if kind in (1, 2) else parts + chunk
        if kind in (1, 4):
            yield parts
