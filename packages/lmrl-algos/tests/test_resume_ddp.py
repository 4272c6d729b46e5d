"""Resume after a kill gives the uninterrupted run's weights; 2-process DDP matches 1 process."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from lmrl_algos import make_config, train


def _weights(out):
    return load_file(out / "checkpoint" / "model" / "model.safetensors")


def _args(data, out, steps, extra=()):
    return ["train", "bc", "--env", "toy-count-v0", "--data", str(data), "--out", str(out), "--steps", str(steps),
            "--batch-size", "4", "--max-length", "64", "--lr", "1e-3", "--seed", "1", "--device", "cpu",
            "--no-bf16", *extra]


def _env():
    tests = os.path.dirname(__file__)
    return dict(os.environ, PYTHONPATH=tests + os.pathsep + os.environ.get("PYTHONPATH", ""))


RUNNER = "import conftest, sys; from lmrl_algos.cli import main; sys.exit(main(sys.argv[1:]))"


def test_resume_after_kill_matches_uninterrupted(toy_data, tmp_path):
    steps = 80
    full = tmp_path / "full"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(full), steps=steps, batch_size=4,
                      max_length=64, lr=1e-3, seed=1, device="cpu", bf16=False))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, *_args(toy_data, out, steps, ["--save-every", "5"])],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out / "checkpoint" / "state.json"
    deadline = time.time() + 60
    while time.time() < deadline and not (state.exists() and '"step": 1' in state.read_text()):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    import json

    killed_at = json.loads(state.read_text())["step"]
    assert 5 <= killed_at < steps, killed_at
    done = subprocess.run([sys.executable, "-c", RUNNER, *_args(toy_data, out, steps, ["--save-every", "5",
                                                                                       "--resume"])],
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    a, b = _weights(full), _weights(out)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)


def test_two_process_ddp_matches_single_process(toy_data, tmp_path):
    single = tmp_path / "single"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(single), steps=3, batch_size=4,
                      max_length=64, lr=1e-3, seed=1, device="cpu", bf16=False))
    ddp = tmp_path / "ddp"
    script = tmp_path / "run.py"
    script.write_text(RUNNER.replace("; ", "\n"))
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), *_args(toy_data, ddp, 3)], env=dict(_env(), OMP_NUM_THREADS="1"),
                          capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    a, b = _weights(single), _weights(ddp)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
