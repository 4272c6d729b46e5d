"""Maze behaviour policy: random walks restricted to one of three symmetric sub-mazes that share the junction.

The split (coordinates ``(row, col)``, goal ``(8, 6)``; J = the junction ``(5, 6)``)::

    1111111111111        L = left arm (12 cells): the left T-bar (row 1, cols 1-5), its stem
    1LLLLL1RRRRR1            (col 3, rows 2-4), the left half of the cross-bar (row 5, cols 3-5) and J
    111L11111R111        R = right arm (12 cells): the mirror image (row 1 cols 7-11, col 9
    111L11111R111            rows 2-4, row 5 cols 7-9) and J
    111L11111R111        C = central stem (4 cells): col 6, rows 5-8 (J included), the goal at its foot
    111LLLJRRR111        J = (5, 6) belongs to all three sub-mazes
    111111C111111
    111111C111111
    111111G111111
    1111111111111

Per episode the policy picks a sub-maze (C with probability `center_prob`, else L or R evenly), a
start cell uniformly inside it (never the goal; J can start an episode of any sub-maze), and a
horizon ``H = floor(exp(U(0, ln(max_horizon + 1))))`` (log-uniform on 1..max_horizon). Each move is,
with probability `solver_prob`, a shortest-path move toward the goal ("sub-optimal solver": when
that move would leave the sub-maze, i.e. "move down" at J in an arm, it falls back to a random
move) and otherwise uniformly random among the 4 moves; a move that would leave the sub-maze is
redrawn (bumping into a wall is allowed, as in the env). After H moves the trajectory is cut
(truncated).

Why the sub-mazes overlap at J (the paper's stitching test): with disjoint sub-mazes (arms ending
at (5, 5) and (5, 7)) no transition crosses a boundary, so the data held no route to the goal from
22 of the 25 start cells and no offline method could succeed outside the stem. With J in every
sub-maze, arm episodes walk (5, 5) -> J and (5, 7) -> J and stem episodes walk J -> goal; offline
value iteration on the observed transitions (`lmrl_data.checks.offline_value_iteration`) then finds
the optimal return from all 25 start cells (tested on 300 episodes). Arm episodes still cannot step
from J into the stem, so only episodes of C reach the goal (the paper: "only trajectories starting
in the goal's submaze succeed"); reaching it from an arm requires stitching. The alternative overlap
(C also holding (5, 5) and (5, 7)) also stitches, but puts more distant start cells in C and
lowers the success rate (0.093 at the same `center_prob`); adding J to the arms leaves C, and hence
Table 1, unchanged.

The position is tracked by the policy itself (start cell + moves), so the same seed gives the same
actions in ``maze-fo`` and ``maze-po``: the PO dataset replays the FO one with PO observations.

Why these knobs (the paper gives only the split and the 15 % / 85 % mix): without a horizon every
arm episode runs to the 101-step limit (mean length ~70, paper 19.7); the log-uniform horizon has
mean 21.7 and standard deviation 25.2, which reproduces the paper's heavy-tailed length (19.7 +-
24.5). ``center_prob = 0.17`` sets the success rate to the paper's 0.11 (a uniform start over the
25 cells would put 12 % of episodes in C and succeed 7.7 % of the time).

Measured (seed 0, the full 1,240 episodes; ``lmrl-data stats``; FO and PO identical): success
0.111 (paper 0.11), length 18.7 +- 24.3 (paper 19.7 +- 24.5), return -18.6 +- 24.4 (paper -19.7 +-
24.5). The policy that samples each cell's actions with their frequencies in that dataset
(`lmrl_data.checks.frequency_policy_return`, 25 x 400 rollouts) returns -83.0, the paper's
normalisation constant -83 (disjoint sub-mazes: -89.7); other 1,240-episode seeds give -80 to -84.
"""

from __future__ import annotations

import math
import random
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_envs import TextHistory
from lmrl_envs.tasks.maze import ACTIONS, GOAL, free_cells, optimal_actions

__all__ = ["JUNCTION", "SUBMAZES", "MazeSubmazePolicy"]

_FREE = frozenset(free_cells())
JUNCTION = (5, 6)
"""The cell where the arms meet the goal's stem; it belongs to all three sub-mazes."""
_LEFT = frozenset({(1, c) for c in range(1, 6)} | {(r, 3) for r in (2, 3, 4)} | {(5, 3), (5, 4), (5, 5), JUNCTION})
_RIGHT = frozenset({(1, c) for c in range(7, 12)} | {(r, 9) for r in (2, 3, 4)} | {(5, 7), (5, 8), (5, 9), JUNCTION})
_CENTER = frozenset({(r, 6) for r in (5, 6, 7, 8)})
SUBMAZES: dict[str, frozenset[tuple[int, int]]] = {"left": _LEFT, "right": _RIGHT, "center": _CENTER}
"""The three sub-mazes (sets of free cells): they cover the 26 free cells and share only `JUNCTION`."""

_ACTION_LIST = list(ACTIONS)


def _move(pos: tuple[int, int], action: str) -> tuple[int, int]:
    dr, dc = ACTIONS[action]
    nxt = (pos[0] + dr, pos[1] + dc)
    return nxt if nxt in _FREE else pos


class MazeSubmazePolicy(BehaviourPolicy):
    """Sub-maze-restricted mixture of a shortest-path solver and random moves (see the module doc).

    Args:
        solver_prob: probability of a solver move (paper: 15 %).
        center_prob: probability of the goal's sub-maze.
        max_horizon: the longest trajectory (moves) before it is cut.

    Example:
        >>> p = MazeSubmazePolicy()
        >>> opts = p.episode_options(0)
        >>> p.begin_episode(0, 0)
        >>> p.act([()], [0])[0] in ACTIONS
        True
    """

    name = "maze-submaze"

    def __init__(self, solver_prob: float = 0.15, center_prob: float = 0.17, max_horizon: int = 101) -> None:
        super().__init__(solver_prob=solver_prob, center_prob=center_prob, max_horizon=max_horizon)
        self.solver_prob, self.center_prob, self.max_horizon = solver_prob, center_prob, max_horizon

    def _plan(self, seed: int) -> tuple[str, tuple[int, int], int]:
        rng = self.episode_rng("plan", seed)
        u = rng.random()
        sub = "center" if u < self.center_prob else ("left" if rng.random() < 0.5 else "right")
        cell = rng.choice(sorted(SUBMAZES[sub] - {GOAL}))
        horizon = min(self.max_horizon, int(math.exp(rng.uniform(0.0, math.log(self.max_horizon + 1)))))
        return sub, cell, max(1, horizon)

    def episode_options(self, seed: int) -> dict[str, Any]:
        return {"init_position": list(self._plan(seed)[1])}

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        sub, cell, horizon = self._plan(seed)
        return {"submaze": sub, "pos": cell, "horizon": horizon, "moves": 0, "solver_moves": 0}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str | None:
        if state["moves"] >= state["horizon"]:
            return None
        pos, sub = state["pos"], SUBMAZES[state["submaze"]]
        action = None
        if rng.random() < self.solver_prob:
            inside = [a for a in optimal_actions(pos) if _move(pos, a) in sub]
            if inside:
                action = rng.choice(inside)
                state["solver_moves"] += 1
        while action is None:
            a = rng.choice(_ACTION_LIST)
            if _move(pos, a) in sub:
                action = a
        state["pos"] = _move(pos, action)
        state["moves"] += 1
        return action

    def describe(self, state: dict[str, Any]) -> dict[str, Any]:
        return {"submaze": state["submaze"], "horizon": state["horizon"], "solver_moves": state["solver_moves"]}
