"""What happens when things go wrong: resume mismatches, damaged checkpoints, non-finite losses, bad
arguments. Every case ends with exit code 2, one error line that names the problem and the fix, and
the run directory as it was."""

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from lmrl_algos import ALGORITHMS, make_config
from lmrl_algos.cli import main
from lmrl_algos.common.logging import MetricsLogger
from lmrl_algos.common.trainer import lr_factor

FLAGS = ["--batch-size", "4", "--max-length", "64", "--lr", "1e-3", "--device", "cpu", "--no-bf16", "--log-every", "1"]
WEIGHTS = "checkpoint/model/model.safetensors"


def _cli(capsys, argv):
    """Run the CLI; returns (exit code, stderr) and checks the error is one line with no traceback."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse
        code = e.code
    err = capsys.readouterr().err
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        assert "Traceback" not in err
        assert [line for line in lines if "error:" in line] == lines[-1:], err
    return code, err


def _snapshot(run):
    return {p.relative_to(run): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def _train_args(algo, data, out, *extra):
    return ["train", algo, "--env", "toy-count-v0", "--data", str(data), "--out", str(out), *FLAGS, *extra]


@pytest.fixture(scope="module")
def bc_run(toy_data, tmp_path_factory):
    """A finished 2-step BC run (a checkpoint at each step)."""
    out = tmp_path_factory.mktemp("robust") / "bc"
    assert main(_train_args("bc", toy_data, out, "--steps", "2", "--save-every", "1")) == 0
    return out


@pytest.fixture()
def run(bc_run, tmp_path):
    """A copy of `bc_run` a test may damage."""
    return shutil.copytree(bc_run, tmp_path / "run")


@pytest.mark.parametrize("algo", [a for a in ALGORITHMS if a != "bc"])
def test_resume_refuses_another_algorithm(algo, run, toy_data, capsys):
    before = _snapshot(run)
    code, err = _cli(capsys, _train_args(algo, toy_data, run, "--steps", "4", "--resume"))
    assert code == 2
    assert f"{run} holds a bc run, not {algo}; resume it with `lmrl-algos train bc ... --resume`" in err
    assert _snapshot(run) == before


def test_resume_refuses_changed_settings_by_name(run, toy_data, capsys):
    before = _snapshot(run)
    code, err = _cli(capsys, _train_args("bc", toy_data, run, "--steps", "4", "--resume", "--lr", "0.5"))
    assert code == 2
    assert f"--resume: {run} was started with other settings: --lr 0.5 (started with 0.001). Pass the values" in err
    assert "(only --steps, --time-budget, --device, --cpu-threads, --save-every, --save-minutes, --log-every, " \
           "--eval-every, --report-to, --gradient-checkpointing may change on --resume)" in err
    code, err = _cli(capsys, _train_args("bc", toy_data, run, "--steps", "4", "--resume", "--batch-size", "8",
                                         "--seed", "1"))
    assert code == 2
    assert "settings: --seed 1 (started with 0); --batch-size 8 (started with 4)." in err
    assert _snapshot(run) == before


def test_a_cosine_schedule_decays_to_zero_at_steps_and_its_steps_cannot_change_on_resume(toy_data, tmp_path, capsys):
    out = tmp_path / "cos"
    assert main(_train_args("bc", toy_data, out, "--steps", "4", "--lr-schedule", "cosine", "--lr", "0.01")) == 0
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    # LambdaLR's last_lr is the rate the next step would use: after 4 of 4 steps a cosine is at 0
    assert state["scheduler"]["_last_lr"] == [pytest.approx(0.0, abs=1e-12)]
    assert [round(lr_factor(s, make_config("bc", env="x", out="x", steps=4, lr_schedule="cosine")), 3)
            for s in range(4)] == [1.0, 0.854, 0.5, 0.146]
    before = _snapshot(out)
    code, err = _cli(capsys, _train_args("bc", toy_data, out, "--steps", "8", "--lr-schedule", "cosine",
                                         "--lr", "0.01", "--resume"))
    assert code == 2
    assert "--steps 8 (started with 4; --lr-schedule cosine decays over --steps, so they cannot change)" in err
    assert _snapshot(out) == before


def test_online_trainers_refuse_a_decaying_schedule(toy_data, tmp_path, capsys):
    code, err = _cli(capsys, _train_args("ppo", toy_data, tmp_path / "ppo", "--steps", "1", "--lr-schedule", "cosine"))
    assert code == 2
    assert "--lr-schedule cosine: the online trainers keep a constant rate" in err
    assert not (tmp_path / "ppo").exists()


def test_resume_may_extend_steps_and_change_how_often_it_saves_and_logs(run, toy_data, capsys, monkeypatch):
    monkeypatch.chdir(toy_data.parent)  # the same data file spelled relative, the same env by its short id
    args = ["train", "bc", "--env", "toy-count", "--data", toy_data.name, "--out", str(run), *FLAGS, "--resume",
            "--steps", "5", "--log-every", "2", "--save-every", "4", "--save-minutes", "0", "--time-budget", "600",
            "--eval-every", "0", "--device", "cpu", "--report-to", "tensorboard"]
    code, _ = _cli(capsys, args)
    assert code == 0
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    assert state["step"] == 5 and (state["config"]["log_every"], state["config"]["report_to"]) == (2, "tensorboard")
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 4, 5]  # 1, 2 from the first run (--log-every 1), then every 2 and the last


def _truncated_state(ckpt):
    text = (ckpt / "state.json").read_text()
    (ckpt / "state.json").write_text(text[: len(text) // 2])


def _garbage_optimizer(ckpt):
    (ckpt / "optimizer.pt").write_bytes(b"these bytes are not a torch file")


def _overwritten_header(ckpt):
    path = ckpt / "model" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[:8] = b"\xff" * 8  # the header length: now far past the end of the file
    path.write_bytes(bytes(data))


def _nan_weight(ckpt):
    path = ckpt / "model" / "model.safetensors"
    tensors = load_file(path)
    tensors["transformer.h.1.mlp.c_fc.weight"][3, 5] = float("nan")
    save_file(tensors, path, metadata={"format": "pt"})


@pytest.mark.parametrize(("damage", "message", "init_reads_it"), [
    (_truncated_state, "checkpoint/state.json: not valid JSON (", True),
    (_garbage_optimizer, "checkpoint/optimizer.pt: not a readable optimiser state of this run (", False),
    (_overwritten_header, "checkpoint/model/model.safetensors: unreadable (Error while deserializing header", True),
    (_nan_weight, "checkpoint/model/model.safetensors: tensor transformer.h.1.mlp.c_fc.weight holds nan or inf", True),
])
def test_a_damaged_checkpoint_is_refused(damage, message, init_reads_it, run, toy_data, tmp_path, capsys):
    damage(run / "checkpoint")
    before = _snapshot(run)
    code, err = _cli(capsys, _train_args("bc", toy_data, run, "--steps", "4", "--resume"))
    assert code == 2
    assert message in err and "the checkpoint is damaged: train again into a new --out" in err
    assert _snapshot(run) == before
    if init_reads_it:  # --init reads the model and state.json, not the optimiser
        code, err = _cli(capsys, _train_args("mc", toy_data, tmp_path / "mc", "--steps", "1", "--init", str(run)))
        assert code == 2 and f"--init: {run}/{message}" in err
        assert not (tmp_path / "mc" / "checkpoint").exists()


def test_a_non_finite_loss_stops_training_and_keeps_the_last_checkpoint(run, toy_data, capsys):
    # finite weights (they pass the checkpoint check) that blow up: step 3's loss is 3.5e36, step 4's nan
    path = run / WEIGHTS
    tensors = load_file(path)
    tensors["transformer.ln_f.weight"] *= 1e38
    save_file(tensors, path, metadata={"format": "pt"})
    before = _snapshot(run / "checkpoint")
    code, err = _cli(capsys, _train_args("bc", toy_data, run, "--steps", "6", "--resume"))
    assert code == 2
    assert (f"the loss became nan at step 4; training stopped and the last good checkpoint (step 2) is kept in "
            f"{run}/checkpoint. Train again in a new --out with a lower --lr") in err
    assert _snapshot(run / "checkpoint") == before
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]  # nothing of the diverged step 4 was logged
    assert 1e36 < rows[-1]["losses/total"] < 1e37


def test_a_continued_log_drops_the_rows_after_its_step(tmp_path):
    rows = "".join(json.dumps({"step": s, "losses/bc": float(s)}) + "\n" for s in (1, 2, 3, 4))
    (tmp_path / "metrics.jsonl").write_text(rows + '{"step": 5, "losses/b')  # the last line cut by a kill
    with MetricsLogger(tmp_path, total=6, initial=2, progress=False) as log:  # resumed from a step-2 checkpoint
        log.log(3, {"losses/bc": 30.0})
    got = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["losses/bc"]) for r in got] == [(1, 1.0), (2, 2.0), (3, 30.0)]
    MetricsLogger(tmp_path, total=6, initial=0, progress=False).close()  # a fresh run: nothing of the old one
    assert (tmp_path / "metrics.jsonl").read_text() == ""


def test_a_save_cut_between_its_renames_is_finished_on_resume(run, toy_data, capsys):
    (run / "checkpoint").rename(run / ".checkpoint.old")  # a kill after the first rename of `checkpoint.save`
    code, _ = _cli(capsys, _train_args("bc", toy_data, run, "--steps", "3", "--resume"))
    assert code == 0
    assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] == 3
    assert not (run / ".checkpoint.old").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_device_cuda_without_a_gpu(toy_data, tmp_path, capsys):
    code, err = _cli(capsys, _train_args("bc", toy_data, tmp_path / "o", "--device", "cuda"))
    assert code == 2 and "--device cuda but no CUDA GPU is visible; pass --device cpu (or auto)" in err
    code, err = _cli(capsys, ["train", "ppo", "--env", "toy-count-v0", "--data", str(toy_data), "--out",
                              str(tmp_path / "p"), "--device", "cuda"])
    assert code == 2 and "--device cuda but no CUDA GPU is visible" in err
    assert not (tmp_path / "o").exists() and not (tmp_path / "p").exists()


def _bad_args(tmp_path, toy_data):
    """(argv, message) pairs the CLI refuses; test_training.test_cli_errors has the data / model / init cases."""
    not_utf8 = tmp_path / "latin1.jsonl"
    not_utf8.write_bytes(b'{"format": "lmrl-episode/1", "texts": ["\xe9t\xe9"]}\n')  # Latin-1, not UTF-8
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    out = str(tmp_path / "o")
    bc = ["train", "bc", "--env", "toy-count-v0", "--data", str(toy_data), "--out", out]
    ppo = ["train", "ppo", "--env", "toy-count-v0", "--data", str(toy_data), "--out", out]
    return [
        ([], "the following arguments are required: command"),
        (["evaluate"], "argument command: invalid choice: 'evaluate'"),
        (["presets", "--preset", "maze"], "unrecognized arguments: --preset maze"),
        (["train"], "the following arguments are required: algo"),
        (["train", "dqn"], "argument algo: invalid choice: 'dqn'"),
        (["train", "bc", "--data", str(toy_data), "--out", out], "--env is required (e.g. --env maze-fo-v0)"),
        (["train", "bc", "--env", "toy-count-v0", "--data", str(toy_data)], "--out is required"),
        (["train", "bc", "--env", "toy-count-v0", "--out", out], "--data is required"),
        (bc + ["--steps", "0"], "--steps must be >= 1, got 0"),
        (bc + ["--steps", "ten"], "argument --steps: invalid int value: 'ten'"),
        (bc + ["--lr", "nan"], "--lr must be a finite number, got nan"),
        (bc + ["--lr", "1e38"], "--lr must be in (0, 1], got 1e+38"),
        (bc + ["--gamma", "inf"], "--gamma must be a finite number, got inf"),
        (bc + ["--seed", "-1"], "--seed must be >= 0, got -1"),
        (bc + ["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
        (bc + ["--time-budget", "-5"], "--time-budget must be > 0 seconds"),
        (bc + ["--save-minutes", "-1"], "--save-minutes must be >= 0 (0: off), got -1.0"),
        (bc + ["--eval-episodes", "0"], "--eval-episodes must be >= 1, got 0"),
        (bc + ["--device", "gpu"], "--device must be auto, cpu or cuda, got 'gpu'"),
        (bc + ["--preset", "mazes"], "--preset 'mazes': unknown; choose one of car-dealer, chess"),
        (bc + ["--resume"], f"--resume: no checkpoint in {out}; leave out --resume to start the run"),
        (bc + ["--out", str(a_file)], f"--out {a_file} is a file; pass a directory"),
        (bc[:5] + [str(tmp_path), "--out", out], f"--data {tmp_path}: no such file"),
        (bc[:5] + [str(not_utf8), "--out", out], f"{not_utf8}:1: not valid UTF-8"),
        (["train", "filtered_bc", *bc[2:], "--top-fraction", "nan"], "--top-fraction must be a finite number"),
        (["train", "mc", *bc[2:], "--beta", "-1"], "--beta must be >= 0"),
        (["train", "ilql", *bc[2:], "--polyak", "0"], "--polyak must be in (0, 1], got 0.0"),
        (ppo + ["--n-rollouts", "0"], "--n-rollouts must be >= 1"),
        (ppo + ["--lam", "1.5"], "--lam must be in [0, 1], got 1.5"),
        (ppo + ["--value-bias", "nan"], "--value-bias must be a finite number, got nan"),
        (ppo + ["--init", str(tmp_path / "missing")], f"--init: {tmp_path / 'missing'}: no lmrl-algos checkpoint"),
        (["train", "online_filtered_bc", *ppo[2:], "--keep-fraction", "0"], "--keep-fraction must be in (0, 1]"),
        (["train", "online_filtered_bc", "--env", "toy-count-v0", "--out", out],
         "online_filtered_bc: pass --init (a BC checkpoint) or --data"),
    ]


def test_bad_arguments_of_every_subcommand_exit_2_with_one_error_line(toy_data, tmp_path, capsys):
    for argv, message in _bad_args(tmp_path, toy_data):
        code, err = _cli(capsys, argv)
        assert code == 2, argv
        assert message in err, (argv, err)
    assert not (tmp_path / "o").exists()  # every refusal came before any work
