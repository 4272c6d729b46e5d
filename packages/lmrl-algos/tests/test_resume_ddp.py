"""Resume after a kill gives the uninterrupted run's weights; 2-process DDP matches 1 process."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from lmrl_algos import make_config, train
from lmrl_algos.cli import main


def _weights(out):
    return load_file(out / "checkpoint" / "model" / "model.safetensors")


def _args(data, out, steps, extra=()):
    return ["train", "bc", "--env", "toy-count-v0", "--data", str(data), "--out", str(out), "--steps", str(steps),
            "--batch-size", "4", "--max-length", "64", "--lr", "1e-3", "--seed", "1", "--device", "cpu",
            "--no-bf16", "--cpu-threads", "1", *extra]


def _env():
    tests = os.path.dirname(__file__)
    return dict(os.environ, PYTHONPATH=tests + os.pathsep + os.environ.get("PYTHONPATH", ""))


RUNNER = "import conftest, sys; from lmrl_algos.cli import main; sys.exit(main(sys.argv[1:]))"


def test_resume_after_kill_matches_uninterrupted(toy_data, tmp_path):
    steps = 80
    full = tmp_path / "full"
    # one thread in both processes: the weights are compared to 1e-6, and a sum over more threads rounds differently
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(full), steps=steps, batch_size=4,
                      max_length=64, lr=1e-3, seed=1, device="cpu", bf16=False, cpu_threads=1))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, *_args(toy_data, out, steps, ["--save-every", "5"])],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out / "checkpoint" / "state.json"
    deadline = time.time() + 60
    while time.time() < deadline and not (state.exists() and '"step": 1' in state.read_text()):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
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


def test_a_kill_before_the_first_save_every_step_keeps_a_checkpoint_by_time_and_logs_each_step_once(toy_data, tmp_path):
    steps, out = 200, tmp_path / "killed"
    every = ["--save-every", "1000", "--log-every", "1"]  # --save-every is never reached: only time saves
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, *_args(toy_data, out, steps, [*every, "--save-minutes", "1e-6"])],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out / "checkpoint" / "state.json"
    deadline = time.time() + 60
    while time.time() < deadline and not state.exists():
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(state.read_text())["step"]
    assert 1 <= killed_at < steps, killed_at
    threads = torch.get_num_threads()
    try:  # resumed in this process (--cpu-threads 1 sets torch's thread count: given back after)
        assert main(_args(toy_data, out, steps, [*every, "--save-minutes", "0", "--resume"])) == 0
    finally:
        torch.set_num_threads(threads)
    logged = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert logged == list(range(1, steps + 1))  # the rows the killed process wrote after its checkpoint are gone


def test_two_process_ddp_matches_single_process(toy_data, tmp_path):
    single = tmp_path / "single"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(single), steps=3, batch_size=4,
                      max_length=64, lr=1e-3, seed=1, device="cpu", bf16=False))
    ddp = tmp_path / "ddp"
    script = tmp_path / "run.py"
    script.write_text(RUNNER.replace("; ", "\n"))
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), *_args(toy_data, ddp, 3, ["--report-to", "tensorboard"])],
                          env=dict(_env(), OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    a, b = _weights(single), _weights(ddp)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
    # only rank 0 reports: one metrics row per step, and one TensorBoard event file (or one missing-package warning)
    assert [json.loads(line)["step"] for line in (ddp / "metrics.jsonl").read_text().splitlines()] == [3]
    if importlib.util.find_spec("tensorboard"):
        assert len(list((ddp / "tb").glob("events.out.tfevents.*"))) == 1
    else:
        assert proc.stderr.count("--report-to tensorboard: the tensorboard package is not installed") == 1


ONLINE_RUNNER = '''
import json, os, sys
import conftest
from safetensors.torch import save_file
from lmrl_algos.cli import main
from lmrl_algos.common import online

rank, out = int(os.environ["RANK"]), sys.argv[-1]
collect, save = online.OnlineRun.collect, online.OnlineRun.save

def recording_collect(self):  # instrumentation: which episodes each rank holds after the gather
    eps = collect(self)
    with open(os.path.join(out, f"rank{rank}_round{self.round}.json"), "w") as f:
        json.dump([[e.seed, e.texts] for e in eps], f)
    return eps

def recording_save(self, extra=None):  # instrumentation: each rank's weights
    save_file({k: v.detach().clone() for k, v in self.model.state_dict().items()}, os.path.join(out, f"rank{rank}.st"))
    save(self, extra)

online.OnlineRun.collect, online.OnlineRun.save = recording_collect, recording_save
if os.environ.get("LMRL_TEST_SKEW"):  # rank 1 computes another loss, as kernels that are not bitwise deterministic would
    step = online.OnlineRun.optimizer_step
    online.OnlineRun.optimizer_step = lambda self, loss: step(self, loss * (1.5 if rank == 1 else 1.0))
sys.exit(main(sys.argv[1:-1]))
'''


@pytest.mark.parametrize("algo, skew", [("online_filtered_bc", False), ("ppo", False), ("online_filtered_bc", True)])
def test_two_process_online_rollouts_are_sharded_and_ranks_stay_identical(algo, skew, toy_data, tmp_path):
    """With ``skew`` rank 1's loss is 1.5x rank 0's: the ranks still end identical because they apply the same
    all-reduced gradient (without the all-reduce they drift apart)."""
    bc = tmp_path / "bc"
    train(make_config("bc", env="toy-count-v0", data=str(toy_data), out=str(bc), steps=3, batch_size=4,
                      max_length=64, lr=1e-3, seed=1, device="cpu", bf16=False))
    out = tmp_path / "online"
    out.mkdir()
    script = tmp_path / "online.py"
    script.write_text(ONLINE_RUNNER)
    args = ["train", algo, "--env", "toy-count-v0", "--init", str(bc), "--out", str(out), "--steps", "2",
            "--n-rollouts", "8", "--rollout-batch", "4", "--max-new-tokens", "4", "--batch-size", "4",
            "--lr", "1e-3", "--seed", "1", "--device", "cpu", str(out)]
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), *args], env=dict(_env(), OMP_NUM_THREADS="1", **({"LMRL_TEST_SKEW": "1"} if skew else {})),
                          capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    seed0 = 1 * 1_000_003
    for r in range(2):
        held = [json.loads((out / f"rank{k}_round{r}.json").read_text()) for k in range(2)]
        assert held[0] == held[1]  # every rank holds the whole round ...
        assert [seed for seed, _ in held[0]] == list(range(seed0 + 8 * r, seed0 + 8 * r + 8))  # ... in seed order
    a, b = load_file(out / "rank0.st"), load_file(out / "rank1.st")
    saved = _weights(out)
    for k in a:
        assert torch.equal(a[k], b[k]), k  # the replicated update keeps the ranks identical
    for k in saved:
        assert torch.equal(saved[k], a["lm." + k] if "lm." + k in a else a[k]), k
