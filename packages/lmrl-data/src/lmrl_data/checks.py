"""Checks of what a Maze dataset supports: its observed transitions, offline value iteration on them,
and the return of the policy that samples actions with their dataset frequencies.

The position of every step is replayed from the episode's start cell (``info["options"]
["init_position"]``, recorded by the generator) and its actions, so the checks read ``maze-fo``
and ``maze-po`` datasets alike (PO observations carry no position).

* `maze_transitions`: the ``(cell, action, reward, next_cell)`` tuples that occur in the data.
* `offline_value_iteration`: the best return from each cell using only observed transitions
  (``-inf`` where the data holds no route to the goal): a dataset "stitches" when every start cell
  gets a finite value.
* `frequency_policy_return`: the paper's 50-point normalisation constant for Maze (-83) is described
  as the return of a policy sampling actions with their dataset frequencies; this recomputes it.

Example:
    >>> import tempfile
    >>> from lmrl_data import GenerateConfig, generate, iter_episodes
    >>> out = tempfile.mkdtemp()
    >>> _ = generate(GenerateConfig("maze-fo", out, episodes=300, seed=0, progress=False))
    >>> eps = list(iter_episodes(out, "all"))
    >>> values = offline_value_iteration(eps)
    >>> all(values[c] > -math.inf for c in start_cells())
    True
    >>> -101 <= frequency_policy_return(eps, episodes_per_cell=4) <= 0
    True
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

import lmrl_envs
from lmrl_envs import Episode
from lmrl_envs.tasks.maze import ACTIONS, GOAL, free_cells, position_from_observation, start_cells

__all__ = ["action_frequencies", "frequency_policy_return", "maze_transitions", "offline_value_iteration"]

Cell = tuple[int, int]
_FREE = frozenset(free_cells())


def _start_cell(ep: Episode) -> Cell:
    init = (ep.info.get("options") or {}).get("init_position")
    if init is not None:
        return int(init[0]), int(init[1])
    return position_from_observation(ep.texts[0])  # FO data without recorded options


def maze_transitions(episodes: Iterable[Episode]) -> Iterator[tuple[Cell, str, float, Cell]]:
    """Every step of the episodes as ``(cell, action, reward, next_cell)``, replayed from the start cell.

    Actions that are not one of the 4 moves (invalid) leave the position unchanged, as in the env.

    Example:
        >>> ep = Episode("maze-po-v0", 0, ["o\\n", "move right\\n", "o\\n"], [False, True, False], [-1.0], [0],
        ...              truncated=True, info={"options": {"init_position": [5, 3]}})
        >>> list(maze_transitions([ep]))
        [((5, 3), 'move right\\n', -1.0, (5, 4))]
    """
    for ep in episodes:
        pos = _start_cell(ep)
        actions = [t for t, is_act in zip(ep.texts, ep.is_action, strict=True) if is_act]
        for action, reward in zip(actions, ep.rewards, strict=True):
            nxt = pos
            if action in ACTIONS:
                dr, dc = ACTIONS[action]
                cand = (pos[0] + dr, pos[1] + dc)
                nxt = cand if cand in _FREE else pos
            yield pos, action, float(reward), nxt
            pos = nxt


def action_frequencies(episodes: Iterable[Episode]) -> dict[Cell, Counter]:
    """How often each action is taken in each cell (only the 4 legal moves are counted).

    Example:
        >>> ep = Episode("maze-fo-v0", 0, ["o\\n", "move left\\n", "o\\n", "move left\\n", "o\\n"],
        ...              [False, True, False, True, False], [-1.0, -1.0], [0, 0], truncated=True,
        ...              info={"options": {"init_position": [5, 3]}})
        >>> dict(action_frequencies([ep])[(5, 3)])
        {'move left\\n': 2}
    """
    freq: dict[Cell, Counter] = defaultdict(Counter)
    for cell, action, _, _ in maze_transitions(episodes):
        if action in ACTIONS:
            freq[cell][action] += 1
    return dict(freq)


def offline_value_iteration(episodes: Iterable[Episode], max_iters: int = 1000) -> dict[Cell, float]:
    """Undiscounted value iteration restricted to the transitions observed in the data.

    ``V(goal) = 0`` and ``V(s) = max over observed (s, a, r, s') of r + V(s')``; a cell from which no
    observed chain of transitions reaches the goal keeps ``-inf``. With every move observed, V equals
    the optimal return (`lmrl_envs.tasks.maze.optimal_return`).

    Args:
        episodes: maze episodes (FO or PO).
        max_iters: sweep limit (the values converge in at most 26 sweeps on this maze).

    Returns:
        The value of every free cell (the goal's is 0).

    Example:
        >>> ep = Episode("maze-fo-v0", 0, ["o\\n", "move down\\n", "Success\\n"], [False, True, False], [0.0], [0],
        ...              terminated=True, info={"options": {"init_position": [7, 6]}})
        >>> v = offline_value_iteration([ep])
        >>> v[(7, 6)], v[(1, 1)]
        (0.0, -inf)
    """
    edges: set[tuple[Cell, float, Cell]] = {(s, r, n) for s, _, r, n in maze_transitions(episodes)}
    values = {cell: -math.inf for cell in _FREE}
    values[GOAL] = 0.0
    for _ in range(max_iters):
        changed = False
        for s, r, n in edges:
            if s != GOAL and r + values[n] > values[s]:
                values[s] = r + values[n]
                changed = True
        if not changed:
            break
    return values


def frequency_policy_return(
    episodes: Iterable[Episode], episodes_per_cell: int = 200, seed: int = 0, env_id: str = "maze-fo"
) -> float:
    """Mean return of the policy that samples, in each cell, an action with its dataset frequency.

    The policy is rolled out in the env (its 100-step limit: the lowest return is -101) from each of
    the 25 start cells `episodes_per_cell` times; a cell never seen in the data gets uniform moves.
    Since the policy sees the true cell, the same number results for FO and PO data of one recipe.

    Args:
        episodes: maze episodes (FO or PO) whose action frequencies define the policy.
        episodes_per_cell: rollouts per start cell (the standard error is about 25 / sqrt(25 x this)).
        seed: seeds the policy's sampling.
        env_id: the env to roll out in.

    Returns:
        The mean return over all rollouts (all start cells weighted equally).

    Example:
        >>> ep = Episode("maze-fo-v0", 0, ["o\\n", "move down\\n", "Success\\n"], [False, True, False], [0.0], [0],
        ...              terminated=True, info={"options": {"init_position": [7, 6]}})
        >>> -101 <= frequency_policy_return([ep], episodes_per_cell=2) <= 0
        True
    """
    uniform = (list(ACTIONS), [1] * len(ACTIONS))
    table = {cell: (list(c), list(c.values())) for cell, c in action_frequencies(episodes).items()}
    rng = random.Random(f"lmrl-data/frequency-policy/{seed}")
    env = lmrl_envs.make(env_id)
    total, count = 0.0, 0
    for cell in start_cells():
        for _ in range(episodes_per_cell):
            env.reset(options={"init_position": cell})
            ret, done = 0.0, False
            while not done:
                actions, weights = table.get(env.position, uniform)
                _, reward, terminated, truncated, _ = env.step(rng.choices(actions, weights)[0])
                ret += reward
                done = terminated or truncated
            total += ret
            count += 1
    return total / count
