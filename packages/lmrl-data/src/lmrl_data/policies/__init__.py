"""The dataset recipes: one per env id, each a behaviour policy with the paper's Table 1 row.

Policies are referenced by ``"module:Class"`` strings and imported only when a dataset is made, so
importing `lmrl_data` does not import any task (or chess engine) module. A new task adds its data
policy with `register_recipe` (and, optionally, its best scripted policy as the expert).

Example:
    >>> from lmrl_data.policies import get_recipe
    >>> get_recipe("maze-fo").env_id, get_recipe("maze-fo").default_episodes
    ('maze-fo-v0', 1240)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import lmrl_envs
from lmrl_data.policies.base import BehaviourPolicy, PaperStats, Recipe, seeded_rng
from lmrl_envs.task import load_entry_point

__all__ = ["EXPERTS", "RECIPES", "BehaviourPolicy", "PaperStats", "Recipe", "get_recipe", "make_policy",
           "register_recipe", "seeded_rng"]

_P = "lmrl_data.policies"

# Tolerances: |ours - paper| allowed per statistic at full size (see README, "Targets").
_MAZE = Recipe(
    env_id="maze-fo-v0",
    policy=f"{_P}.maze:MazeSubmazePolicy",
    params={"solver_prob": 0.15, "center_prob": 0.17, "max_horizon": 101},
    default_episodes=1240,
    description="Walks restricted to one of 3 sub-mazes (left arm, right arm, goal stem) that share the "
                "junction cell (5, 6), so walks can be stitched: 15% shortest-path moves, 85% random; "
                "log-uniform horizon 1..101; only goal-stem episodes can succeed.",
    paper=PaperStats(1240, 19.7, 24.5, 0.11, -19.7, 24.5),
    tolerance={"length_mean": 3.0, "success_rate": 0.03, "return_mean": 3.0},
    bc_filter="success",
)

RECIPES: dict[str, Recipe] = {
    "maze-fo-v0": _MAZE,
    "maze-po-v0": Recipe(**{**_MAZE.__dict__, "env_id": "maze-po-v0",
                            "description": "Same seeds and actions as maze-fo-v0, with partially observed "
                                           "(walls-only) observations."}),
    "text-nav-fo-v0": Recipe(
        env_id="text-nav-fo-v0",
        policy=f"{_P}.text_nav:HalfHousePolicy",
        params={"walkthrough_prob": 1.0, "other_half_prob": 0.2, "near_half_prob": 0.75, "max_steps": 15},
        default_episodes=2500,
        description="Two policies, each following the walkthrough in one half of the house (rooms split by "
                    "distance to the kitchen) and mostly random elsewhere (walkthrough w.p. 0.2), chosen 75%/25%; "
                    "episodes cut at 15 steps.",
        paper=PaperStats(2500, 12.2, 8.77, 0.26, 0.258, 0.424),
        tolerance={"length_mean": 2.0, "success_rate": 0.04, "return_mean": 0.04},
        bc_filter="success",
    ),
    "wordle-v0": Recipe(
        env_id="wordle-v0",
        policy=f"{_P}.wordle:RandomMixturePolicy",
        params={"prob_smart": 0.33},
        default_episodes=1_100_000,
        description="RandomMixturePolicy: a word consistent with the feedback so far with probability 0.33, "
                    "else a uniformly random vocabulary word (paper: 1M train + 100k eval).",
        paper=PaperStats(1_000_000, 4.82, 1.27, 0.70, -4.12, 1.59),
        tolerance={"length_mean": 0.3, "success_rate": 0.06, "return_mean": 0.3},
        bc_filter="top30",
    ),
    "chess-v0": Recipe(
        env_id="chess-v0",
        policy=f"{_P}.chess:WeakenedEnginePolicy",
        params={"elo_min": 800, "elo_max": 1600, "random_at_min": 0.15, "random_at_max": 0.0, "preset": "fast", "nodes": 4000},
        default_episodes=625_000,
        description="White = Stockfish (4000 nodes) weakened by random moves, strength drawn per game from "
                    "'Elo' 800-1600 (random-move probability 0.15 -> 0.0), against the env's fast Stockfish opponent.",
        paper=PaperStats(625_000, 46.7, 18.16, 0.60, 0.210, 0.970),
        tolerance={"length_mean": 10.0, "success_rate": 0.15, "return_mean": 0.3},
        bc_filter="success",
    ),
    "endgames-v0": Recipe(
        env_id="endgames-v0",
        policy=f"{_P}.chess:EndgameMixturePolicy",
        params={"random_prob": 0.3, "preset": "fast", "nodes": 2000},
        default_episodes=97_756,
        description="From the env's random K+Q / K+R / K+Q+R / K+R+R vs K positions: White's engine (2000 nodes) "
                    "mixed with random moves (random with probability 0.3).",
        paper=PaperStats(97_756, 11.9, 12.0, 0.59, 0.586, 0.492),
        tolerance={"length_mean": 4.0, "success_rate": 0.1, "return_mean": 0.15},
        bc_filter="success",
    ),
    "twenty-questions-v0": Recipe(
        env_id="twenty-questions-v0",
        policy=f"{_P}.twenty_questions:MixedAskerPolicy",
        params={"tiers": [{"label": "random", "weight": 0.85, "greedy_prob": 0.0},
                          {"label": "greedy", "weight": 0.15, "greedy_prob": 1.0}]},
        default_episodes=100_000,
        description="Two askers over the knowledge base, both tracking the consistent objects: 85% random "
                    "questions, 15% greedy information gain; guess when one object is left or on question 20.",
        paper=PaperStats(100_000, 14.9, 4.38, 0.31, -17.3, 2.56),
        tolerance={"length_mean": 3.0, "success_rate": 0.06, "return_mean": 1.5},
        bc_filter="top10",
    ),
    "guess-my-city-v0": Recipe(
        env_id="guess-my-city-v0",
        policy=f"{_P}.guess_my_city:MixedCityAskerPolicy",
        params={"tiers": [{"label": "random", "weight": 0.644, "greedy_prob": 0.0},
                          {"label": "cautious", "weight": 0.356, "greedy_prob": 0.5, "min_guess_turn": 20}],
                "open_questions": False},
        default_episodes=100_000,
        description="Two yes/no askers over the knowledge base, both tracking the consistent cities: 64.4% "
                    "random questions (guess when one city is left), 35.6% cautious (greedy w.p. 0.5, one guess at "
                    "question 20).",
        paper=PaperStats(100_000, 18.8, 4.57, 0.53, -18.8, 4.12),
        tolerance={"length_mean": 2.0, "success_rate": 0.06, "return_mean": 1.5},
        bc_filter="top10",
    ),
    "car-dealer-v0": Recipe(
        env_id="car-dealer-v0",
        policy=f"{_P}.car_dealer:ScriptedSellerPolicy",
        params={"weights": {"discount": 1 / 3, "features": 1 / 3, "concise": 1 / 3}},
        default_episodes=19_000,
        description="The env's three scripted seller styles (discount / features / concise), one per episode "
                    "uniformly, against the rule buyer.",
        paper=PaperStats(19_000, 16.5, 3.61, 0.53, 0.562, 0.422),
        tolerance={"length_mean": 10.0, "success_rate": 0.06, "return_mean": 0.1},
        bc_filter="top10",
    ),
}
RECIPES["text-nav-po-v0"] = Recipe(**{**RECIPES["text-nav-fo-v0"].__dict__, "env_id": "text-nav-po-v0",
                                      "description": "Same seeds and policy as text-nav-fo-v0, partially observed."})


def get_recipe(env_id: str) -> Recipe:
    """The recipe of a dataset id (versioned, or unversioned meaning the newest version).

    Raises:
        KeyError: unknown id, with the closest known ids.
    """
    if env_id in RECIPES:
        return RECIPES[env_id]
    versions = [k for k in RECIPES if lmrl_envs.task_name(k) == env_id]
    if versions:
        return RECIPES[max(versions, key=lambda k: int(k.rsplit("-v", 1)[1]))]
    known = sorted(RECIPES) + sorted({lmrl_envs.task_name(k) for k in RECIPES})
    close = difflib.get_close_matches(env_id, known, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise KeyError(f"unknown dataset id {env_id!r}.{hint} Known: {', '.join(sorted(RECIPES))} (see `lmrl-data list`)")


def register_recipe(recipe: Recipe, expert: tuple[str | Callable[..., BehaviourPolicy], dict[str, Any]] | None = None
                    ) -> Recipe:
    """Add a new task's data policy: its dataset recipe, and optionally its expert (`EXPERTS`).

    Args:
        recipe: the recipe; ``recipe.env_id`` must be a registered, versioned env id.
        expert: ``("module:Class", kwargs)`` (or the class itself) of the task's best scripted policy, for
            ``make_policy(env, "expert")`` and ``lmrl-eval evaluate --policy expert``.

    Raises:
        ValueError: the id is not a registered, versioned env id, or already has a recipe.

    Example:
        >>> lmrl_envs.register("guess-number-v0", GuessNumber, task=TaskRecord(...))             # doctest: +SKIP
        >>> register_recipe(Recipe("guess-number-v0", "my_pkg.data:GuessPolicy", default_episodes=500))  # doctest: +SKIP
        >>> register_recipe(RECIPES["maze-fo-v0"])
        Traceback (most recent call last):
        ...
        ValueError: 'maze-fo-v0' already has a recipe (lmrl_data.RECIPES)
    """
    try:
        registered = lmrl_envs.spec(recipe.env_id).id
    except KeyError as e:
        raise ValueError(f"recipe for {recipe.env_id!r}: register the env first (lmrl_envs.register); {e.args[0]}") from None
    if registered != recipe.env_id:
        raise ValueError(f"recipe env_id {recipe.env_id!r}: give the versioned id, {registered!r}")
    if recipe.env_id in RECIPES:
        raise ValueError(f"{recipe.env_id!r} already has a recipe (lmrl_data.RECIPES)")
    RECIPES[recipe.env_id] = recipe
    if expert is not None:
        EXPERTS[recipe.env_id] = expert
    return recipe


EXPERTS: dict[str, tuple[str | Callable[..., BehaviourPolicy], dict]] = {
    "maze-fo-v0": (f"{_P}.experts:MazeBFSExpert", {}),
    "maze-po-v0": (f"{_P}.experts:MazeBFSExpert", {}),
    "text-nav-fo-v0": (f"{_P}.experts:TextNavWalkthroughExpert", {}),
    "text-nav-po-v0": (f"{_P}.experts:TextNavWalkthroughExpert", {}),
    "wordle-v0": (f"{_P}.experts:WordleInfoGainExpert", {}),
    "chess-v0": (f"{_P}.experts:EngineExpert", {"nodes": 20_000}),
    "endgames-v0": (f"{_P}.experts:EngineExpert", {"nodes": 20_000}),
    "twenty-questions-v0": (f"{_P}.twenty_questions:InfoGainExpertPolicy", {}),
    "guess-my-city-v0": (f"{_P}.guess_my_city:CityInfoGainExpert", {}),
    "car-dealer-v0": (f"{_P}.car_dealer:ScriptedSellerPolicy", {"weights": {"features": 1.0}}),
}
"""Each task's best scripted policy: ``"module:Class"`` and its keyword arguments (see `make_policy`)."""


def make_policy(env_id: str, kind: str = "behaviour", seed: int = 0) -> BehaviourPolicy:
    """A scripted policy for a task, implementing the `lmrl_envs.Policy` protocol.

    Args:
        env_id: a dataset/env id (``"maze-fo"`` or ``"maze-fo-v0"``).
        kind: ``"behaviour"`` (the dataset recipe's behaviour policy) or ``"expert"`` (the task's best
            scripted policy: the upper bound used for normalisation; see `EXPERTS`). Experts of Maze,
            Text-Nav and Chess/Endgames read the game state from the env that `lmrl_envs.rollout`
            passes to ``begin_episode(slot, seed, env)`` (privileged access).
        seed: mixed into the policy's per-episode generators; 0 gives the datasets' streams.

    Raises:
        KeyError: unknown id. ValueError: unknown kind.

    Example:
        >>> import lmrl_envs
        >>> eps = lmrl_envs.rollout(lmrl_envs.make("maze-fo"), make_policy("maze-fo", "expert"), 25, seed=0)
        >>> all(e.success for e in eps)
        True
    """
    recipe = get_recipe(env_id)
    if kind == "behaviour":
        policy = recipe.make_policy()
    elif kind == "expert":
        if recipe.env_id not in EXPERTS:
            raise KeyError(f"{recipe.env_id} has no expert policy; add one with "
                           f"lmrl_data.policies.register_recipe(recipe, expert=('module:Class', kwargs))")
        entry, params = EXPERTS[recipe.env_id]
        policy = load_entry_point(entry)(**params)
    else:
        raise ValueError(f"kind must be 'behaviour' or 'expert', got {kind!r}")
    policy.policy_seed = seed
    return policy
