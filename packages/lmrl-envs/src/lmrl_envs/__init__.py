"""lmrl-envs: the text-environment contract of lmrl and the 8 LMRL-Gym tasks.

Example:
    >>> import lmrl_envs
    >>> env = lmrl_envs.make("maze-fo")
    >>> obs, info = env.reset(seed=0)
    >>> obs.endswith("\\n")
    True
"""

from lmrl_envs.checker import check_env
from lmrl_envs.core import (
    CONTRACT_VERSION,
    EpisodeFinishedError,
    StepResult,
    Text,
    TextEnv,
    TextHistory,
    chat_messages,
    completion_action,
    history_text,
    normalize_action,
)
from lmrl_envs.episode import EPISODE_FORMAT, DatasetError, Episode, filter_episodes, read_episodes, write_episodes
from lmrl_envs.registry import EnvSpec, list_envs, list_tasks, make, register, spec, task_name
from lmrl_envs.task import Decoding, EvalProtocol, Normalization, TaskRecord
from lmrl_envs.vector import EpisodeSpec, Policy, VectorEnv, as_policy, rollout, specs_from_seeds

__version__ = "0.1.0"

__all__ = [
    "CONTRACT_VERSION",
    "EPISODE_FORMAT",
    "DatasetError",
    "Decoding",
    "EnvSpec",
    "Episode",
    "EpisodeFinishedError",
    "EpisodeSpec",
    "EvalProtocol",
    "Normalization",
    "Policy",
    "StepResult",
    "TaskRecord",
    "Text",
    "TextEnv",
    "TextHistory",
    "VectorEnv",
    "as_policy",
    "check_env",
    "chat_messages",
    "completion_action",
    "filter_episodes",
    "history_text",
    "list_envs",
    "list_tasks",
    "make",
    "normalize_action",
    "read_episodes",
    "register",
    "rollout",
    "spec",
    "specs_from_seeds",
    "task_name",
    "write_episodes",
]
