"""Test helpers for environment authors: a pytest base class that runs the conformance checker.

A new task gets conformance coverage with three lines in its test file::

    from lmrl_envs.testing import EnvConformance

    class TestMyTaskConformance(EnvConformance):
        env_id = "my-task"
"""

from __future__ import annotations

from typing import Any, ClassVar

from lmrl_envs.checker import check_env

__all__ = ["EnvConformance"]


class EnvConformance:
    """Subclass with ``env_id`` (and optionally ``env_kwargs``, ``n_episodes``) to run `check_env`."""

    env_id: ClassVar[str]
    env_kwargs: ClassVar[dict[str, Any]] = {}
    n_episodes: ClassVar[int] = 3

    def test_conformance(self) -> None:
        report = check_env(self.env_id, n_episodes=self.n_episodes, env_kwargs=dict(self.env_kwargs))
        assert report["episodes"] == self.n_episodes
        assert report["steps"] >= self.n_episodes

    def test_listed_in_registry(self) -> None:
        import lmrl_envs

        assert lmrl_envs.spec(self.env_id).id in lmrl_envs.list_envs()
