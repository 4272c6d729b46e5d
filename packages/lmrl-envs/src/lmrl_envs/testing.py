"""Test helpers for environment authors: a pytest base class that runs the conformance checker.

A new task gets conformance coverage with three lines in its test file::

    from lmrl_envs.testing import EnvConformance

    class TestMyTaskConformance(EnvConformance):
        env_id = "my-task"
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, ClassVar

from lmrl_envs.checker import check_env
from lmrl_envs.core import StepResult, TextEnv

__all__ = ["CountEnv", "EnvConformance", "run_cli_light"]

class CountEnv(TextEnv):
    """A toy task for tests of trainers and the benchmark: say "up" twice to win (reward 1); anything else costs
    -1 and counts as invalid. Full history, at most 4 actions; `valid_actions` offers "up" and "down".

    Example:
        >>> env = CountEnv()
        >>> _ = env.reset(seed=0)
        >>> [env.step("up\\n")[1] for _ in range(2)]  # (observation, reward, terminated, truncated, info)
        [0.0, 1.0]
    """

    reward_range = (-1.0, 1.0)
    max_steps = 4

    def _reset(self, options):
        self.count = 0
        return "Count:\n", {}

    def _step(self, action):
        if action == "up\n":
            self.count += 1
            if self.count == 2:
                return StepResult("Win\n", 1.0, terminated=True, info={"success": True})
            return StepResult("ok\n", 0.0)
        return StepResult("no\n", -1.0, info={"invalid": True})

    def valid_actions(self):
        return ["up\n", "down\n"]


_LIGHT = """import importlib, sys
main = importlib.import_module(sys.argv[1]).main
try:
    main(sys.argv[2:])
except SystemExit as e:
    assert e.code == 0, e.code
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
sys.exit(f"{sys.argv[2:]} imported {heavy}" if heavy else 0)
"""


def run_cli_light(cli_module: str, argv: list[str]) -> subprocess.CompletedProcess:
    """Run ``cli_module.main(argv)`` in a fresh interpreter; the return code is non-zero (with the reason on
    stderr) if it failed or imported torch or transformers: the check that ``--help`` and light commands of the
    four lmrl CLIs stay fast.

    Example:
        >>> run_cli_light("lmrl_envs.cli", ["--help"]).returncode
        0
    """
    return subprocess.run([sys.executable, "-c", _LIGHT, cli_module, *argv], capture_output=True, text=True)


class EnvConformance:
    """Subclass with ``env_id`` (and optionally ``env_kwargs``, ``n_episodes``, ``check_imports``) to run
    `check_env`; it also checks the task's record (`test_task_record`)."""

    env_id: ClassVar[str]
    env_kwargs: ClassVar[dict[str, Any]] = {}
    n_episodes: ClassVar[int] = 3
    check_imports: ClassVar[bool] = True
    """Also check, in a fresh interpreter, that making the env imports no torch (False for an env registered only
    inside the test process, which a fresh interpreter cannot make)."""

    def test_conformance(self) -> None:
        report = check_env(self.env_id, n_episodes=self.n_episodes, env_kwargs=dict(self.env_kwargs),
                           check_imports=self.check_imports)
        assert report["episodes"] == self.n_episodes
        assert report["steps"] >= self.n_episodes

    def test_listed_in_registry(self) -> None:
        import lmrl_envs

        assert lmrl_envs.spec(self.env_id).id in lmrl_envs.list_envs()

    def test_task_record(self) -> None:
        """The record's entry points resolve, the env accepts the first start of its protocol, and a
        re-ranking task has its candidates (given, or the env's `valid_actions()`)."""
        import lmrl_envs

        record = lmrl_envs.spec(self.env_id).task
        starts = record.protocol.start_options()
        assert bool(starts) == (record.protocol.kind != "seeds")
        env = lmrl_envs.make(self.env_id, **self.env_kwargs)
        try:
            env.reset(seed=0, options=starts[0] if starts else None)
            if record.protocol.optimal_first_actions is not None:
                assert record.protocol.first_actions(starts[0])
            if record.decoding.rerank:
                assert record.decoding.candidates or env.valid_actions()
        finally:
            env.close()
