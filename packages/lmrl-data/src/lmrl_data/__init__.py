"""lmrl-data: regenerable offline datasets for the 8 LMRL-Gym tasks.

Each dataset is made by a scripted behaviour policy (a *recipe*, `lmrl_data.policies.RECIPES`; a new
task adds its own with `register_recipe`) playing the `lmrl_envs` environment; episode i uses seed
``seed + i``, so a dataset is a pure function of (recipe, size, seed) and the bytes do not depend on
the number of worker processes.

Example:
    >>> import tempfile
    >>> import lmrl_data
    >>> out = tempfile.mkdtemp()
    >>> manifest = lmrl_data.generate(lmrl_data.GenerateConfig("maze-fo", out, episodes=8, progress=False))
    >>> sum(manifest["counts"].values())
    8
    >>> len(list(lmrl_data.iter_episodes(out, "all")))
    8
"""

__version__ = "0.1.1"

from lmrl_data.export import episode_to_chat, export_chat  # noqa: E402
from lmrl_data.generate import GenerateConfig, generate, is_eval, play_episodes  # noqa: E402
from lmrl_data.io import (  # noqa: E402
    bc_subset,
    iter_episodes,
    read_manifest,
    validate_dataset,
)
from lmrl_data.policies import (  # noqa: E402
    EXPERTS,
    RECIPES,
    BehaviourPolicy,
    Recipe,
    get_recipe,
    make_policy,
    register_recipe,
)
from lmrl_data.stats import episode_stats, format_stats  # noqa: E402

__all__ = [
    "EXPERTS",
    "RECIPES",
    "BehaviourPolicy",
    "GenerateConfig",
    "Recipe",
    "bc_subset",
    "episode_stats",
    "episode_to_chat",
    "export_chat",
    "format_stats",
    "generate",
    "get_recipe",
    "is_eval",
    "iter_episodes",
    "make_policy",
    "play_episodes",
    "read_manifest",
    "register_recipe",
    "validate_dataset",
]
