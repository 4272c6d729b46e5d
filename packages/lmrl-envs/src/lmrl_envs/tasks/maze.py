"""Maze: reach the goal of a fixed 10x13 double-T maze by text moves (LMRL-Gym "Maze", FO and PO).

=================  ==========================================================================
Ids                ``maze-fo-v0`` (``observability="full"``), ``maze-po-v0`` (``"partial"``)
Turns              one action per step; up to 100 moves, then one more step ends it
Observation (FO)   ``"The goal is at position 8, 6. Your current position is at position 5, 3.
                   There are walls to your left, below you.\\n"``
Observation (PO)   ``"There are walls to your left, below you.\\n"`` (walls only)
Action             exactly one of ``"move left\\n"``, ``"move right\\n"``, ``"move up\\n"``,
                   ``"move down\\n"``
Reward             -1 per step that does not reach the goal, 0 on the step that reaches it,
                   -4 for any other action string
Terminated         on reaching the goal (observation ``"Success\\n"``, ``info["success"] = True``)
Truncated          the step after 100 non-goal steps returns ``("Failure\\n", -1)``; so the
                   lowest return of an episode without invalid actions is -101
History            FO: only the current observation. PO: the last ``last_k = 40`` texts.
                   An invalid action (and the final step) resets the history to the newest
                   observation alone, as the original does.
Start              uniform over the 25 free cells other than the goal;
                   ``options={"init_position": (row, col)}`` picks one
Simulator          none (pure Python tables, precomputed at import)
=================  ==========================================================================

Grid (1 = wall), coordinates are ``(row, col)``, the goal is ``(8, 6)``::

    1111111111111
    1000001000001
    1110111110111
    1110111110111
    1110111110111
    1110000000111
    1111110111111
    1111110111111
    1111110111111
    1111111111111

Coordinates print with their digits space-separated (column 10 is ``"1 0"``), and walls are
listed in the order right, left, above, below, with the phrases ``"There are no walls near
you."``, ``"There is a wall above you."`` and ``"There are walls to your right, above you."``;
the strings are byte-for-byte those of the original (``describe_observation_give_position`` and
``describe_observation_only_walls``). Moving into a wall is a legal action that leaves the
position unchanged (reward -1).

The optimal policy (BFS shortest path) averaged over the 25 start cells returns exactly -6.84,
the paper's normalisation maximum for FO Maze (`optimal_return`).

Differences from the original, and why:

* The start cell is drawn from the env's own seeded generator (the original used the global
  ``random`` module), so ``reset(seed=s)`` determines the episode.
* The final "Failure" step is reported as ``truncated`` (a time limit), the goal as
  ``terminated``; the original had one ``done`` flag.
* The goal is fixed at (8, 6) (the original's benchmark configuration); there is no ``goal``
  option.
* The original's invalid-action step also counts toward the 100-step limit; so does ours.

Helpers for other packages: `MAZE`, `GOAL`, `ACTIONS`, `free_cells`, `start_cells`,
`bfs_distances`, `optimal_actions`, `optimal_return`, `position_from_observation`,
`shortest_path_policy`, `describe_full`, `describe_walls`; for the task record's evaluation
protocol (`lmrl_envs.spec("maze-fo").task.protocol`): `start_options`, `optimal_first_actions`.

Version log:

* v0: first version, faithful to LMRL-Gym's ``double_t_maze`` with ``standard_reward``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from lmrl_envs.core import StepResult, TextEnv, TextHistory

__all__ = [
    "ACTIONS",
    "GOAL",
    "MAZE",
    "STEP_LIMIT",
    "MazeEnv",
    "bfs_distances",
    "describe_full",
    "describe_walls",
    "free_cells",
    "optimal_actions",
    "optimal_first_actions",
    "optimal_return",
    "position_from_observation",
    "shortest_path_policy",
    "start_cells",
    "start_options",
]

Cell = tuple[int, int]

MAZE: tuple[str, ...] = (
    "1111111111111",
    "1000001000001",
    "1110111110111",
    "1110111110111",
    "1110111110111",
    "1110000000111",
    "1111110111111",
    "1111110111111",
    "1111110111111",
    "1111111111111",
)
"""The double-T maze, one string per row; ``"1"`` is a wall, ``"0"`` a free cell."""

GOAL: Cell = (8, 6)
"""The fixed goal cell ``(row, col)``."""

ACTIONS: dict[str, Cell] = {
    "move left\n": (0, -1),
    "move right\n": (0, 1),
    "move up\n": (-1, 0),
    "move down\n": (1, 0),
}
"""The 4 legal action strings and their ``(d_row, d_col)``, in the original's order."""

STEP_LIMIT = 100
"""Non-goal steps after which the next step returns ``"Failure\\n"`` and ends the episode."""

_WALL_DIRECTIONS = (("to your right", (0, 1)), ("to your left", (0, -1)), ("above you", (-1, 0)), ("below you", (1, 0)))


def _is_free(cell: Cell) -> bool:
    r, c = cell
    return 0 <= r < len(MAZE) and 0 <= c < len(MAZE[0]) and MAZE[r][c] == "0"


def free_cells() -> list[Cell]:
    """All 26 free cells in row-major order (the goal included).

    Example:
        >>> len(free_cells()), free_cells()[0]
        (26, (1, 1))
    """
    return [(r, c) for r, row in enumerate(MAZE) for c, v in enumerate(row) if v == "0"]


def start_cells() -> list[Cell]:
    """The 25 start cells (free cells other than the goal) in row-major order.

    Example:
        >>> len(start_cells()), GOAL in start_cells()
        (25, False)
    """
    return [cell for cell in free_cells() if cell != GOAL]


def start_options() -> list[dict[str, Cell]]:
    """The reset options of the 25 start cells, in `start_cells` order: the evaluation protocol's starts.

    Example:
        >>> start_options()[0]
        {'init_position': (1, 1)}
    """
    return [{"init_position": cell} for cell in start_cells()]


def _coord(n: int) -> str:
    return " ".join(str(n))


def _describe_walls(cell: Cell) -> str:
    walls = [name for name, (dr, dc) in _WALL_DIRECTIONS if MAZE[cell[0] + dr][cell[1] + dc] == "1"]
    if not walls:
        return "There are no walls near you."
    if len(walls) == 1:
        return f"There is a wall {walls[0]}."
    return f"There are walls {', '.join(walls)}."


def describe_full(cell: Cell) -> str:
    """The fully observed (FO) observation at `cell`.

    Example:
        >>> describe_full((1, 10))
        'The goal is at position 8, 6. Your current position is at position 1, 1 0. There are walls above you, below you.\\n'
    """
    return (
        f"The goal is at position {_coord(GOAL[0])}, {_coord(GOAL[1])}. "
        f"Your current position is at position {_coord(cell[0])}, {_coord(cell[1])}. {_describe_walls(cell)}\n"
    )


def describe_walls(cell: Cell) -> str:
    """The partially observed (PO) observation at `cell`: the walls only.

    Example:
        >>> describe_walls((5, 3))
        'There are walls to your left, below you.\\n'
    """
    return f"{_describe_walls(cell)}\n"


def bfs_distances(goal: Cell = GOAL) -> dict[Cell, int]:
    """Shortest-path distance (in moves) from every free cell to `goal`.

    Example:
        >>> bfs_distances()[(5, 6)], bfs_distances()[(1, 1)]
        (3, 12)
    """
    if not _is_free(goal):
        raise ValueError(f"goal {goal!r} is not a free cell of the maze; free cells: {free_cells()}")
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ACTIONS.values():
            nxt = (r + dr, c + dc)
            if nxt not in dist and _is_free(nxt):
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    return dist


_DIST = bfs_distances()


def optimal_actions(position: Cell) -> list[str]:
    """The actions that move one step closer to the goal from `position` (empty at the goal).

    Example:
        >>> optimal_actions((5, 3))
        ['move right\\n']
    """
    position = tuple(position)
    if position not in _DIST:
        raise ValueError(f"{position!r} is not a free cell of the maze; free cells: {free_cells()}")
    d = _DIST[position]
    return [a for a, (dr, dc) in ACTIONS.items() if _DIST.get((position[0] + dr, position[1] + dc)) == d - 1]


def optimal_first_actions(options: dict[str, Any]) -> list[str]:
    """`optimal_actions` of the start cell in reset options (the protocol's move accuracy).

    Example:
        >>> optimal_first_actions({"init_position": (5, 3)})
        ['move right\\n']
    """
    return optimal_actions(options["init_position"])


def optimal_return(position: Cell | None = None) -> float:
    """Return of the shortest-path policy from `position`, or its mean over the 25 start cells.

    Each non-goal step costs -1 and the goal step 0, so a start at distance d returns -(d - 1).

    Example:
        >>> optimal_return()
        -6.84
    """
    if position is not None:
        return -float(_DIST[tuple(position)] - 1)
    starts = start_cells()
    return -sum(_DIST[c] - 1 for c in starts) / len(starts)


_POSITION_RE = re.compile(r"Your current position is at position ([\d ]+), ([\d ]+)\.")


def position_from_observation(observation: str) -> Cell:
    """Parse the position out of a fully observed (FO) observation.

    Example:
        >>> position_from_observation(describe_full((1, 10)))
        (1, 10)
    """
    m = _POSITION_RE.search(observation)
    if m is None:
        raise ValueError(
            f"no position in {observation!r}: only fully observed (maze-fo) observations carry the position"
        )
    return int(m[1].replace(" ", "")), int(m[2].replace(" ", ""))


def shortest_path_policy(histories: Sequence[TextHistory]) -> list[str]:
    """A policy for `lmrl_envs.rollout` on ``maze-fo``: the first optimal action from the current cell.

    The position is read from the last observation of each history (FO observations carry it).

    Example:
        >>> import lmrl_envs
        >>> eps = lmrl_envs.rollout(lmrl_envs.make("maze-fo"), shortest_path_policy, 25, seed=0)
        >>> all(e.success for e in eps)
        True
    """
    return [optimal_actions(position_from_observation(h[-1].text))[0] for h in histories]


# ------------------------------------------------------------------ precomputed tables
# Cells are numbered by their index in free_cells(); `_MOVES[i]` maps each action string to the
# index reached (the same index when the move hits a wall).
_CELLS: tuple[Cell, ...] = tuple(free_cells())
_INDEX: dict[Cell, int] = {cell: i for i, cell in enumerate(_CELLS)}
_GOAL_INDEX = _INDEX[GOAL]
_MOVES: tuple[dict[str, int], ...] = tuple(
    {a: _INDEX.get((r + dr, c + dc), _INDEX[(r, c)]) for a, (dr, dc) in ACTIONS.items()} for r, c in _CELLS
)
_OBS = {"full": tuple(describe_full(c) for c in _CELLS), "partial": tuple(describe_walls(c) for c in _CELLS)}
_STEP_RESULTS = {k: tuple(StepResult(o, -1.0) for o in obs) for k, obs in _OBS.items()}
_INVALID_RESULTS = {k: tuple(StepResult(o, -4.0, info={"invalid": True}) for o in obs) for k, obs in _OBS.items()}
_SUCCESS = StepResult("Success\n", 0.0, terminated=True, info={"success": True})
_FAILURE = StepResult("Failure\n", -1.0, truncated=True, info={"success": False})


class MazeEnv(TextEnv):
    """The double-T maze, fully (``"full"``) or partially (``"partial"``) observed.

    Args:
        observability: ``"full"`` (goal and position shown; history = current observation) or
            ``"partial"`` (walls only; history = the last `last_k` texts).
        last_k: texts kept in the history; default 1 for ``"full"`` and 40 for ``"partial"``.

    Example:
        >>> env = MazeEnv("full")
        >>> env.reset(options={"init_position": (5, 3)})[0]
        'The goal is at position 8, 6. Your current position is at position 5, 3. There are walls to your left, below you.\\n'
        >>> env.step("move right\\n")[:4]
        ('The goal is at position 8, 6. Your current position is at position 5, 4. There are walls above you, below you.\\n', -1.0, False, False)
    """

    reward_range: ClassVar[tuple[float, float]] = (-4.0, 0.0)
    max_steps: ClassVar[int] = STEP_LIMIT + 1
    option_keys: ClassVar[frozenset[str]] = frozenset({"init_position"})

    def __init__(self, observability: str = "full", last_k: int | None = None) -> None:
        super().__init__()
        if observability not in _OBS:
            raise ValueError(f"observability must be 'full' or 'partial', got {observability!r}")
        if last_k is None:
            last_k = 1 if observability == "full" else 40
        if not isinstance(last_k, int) or last_k < 1:
            raise ValueError(f"last_k must be a positive int, got {last_k!r}")
        self.observability = observability
        self.last_k = last_k
        self._obs = _OBS[observability]
        self._results = _STEP_RESULTS[observability]
        self._invalid_results = _INVALID_RESULTS[observability]
        self._pos = 0

    @property
    def position(self) -> Cell:
        """The agent's current cell ``(row, col)``."""
        return _CELLS[self._pos]

    def valid_actions(self) -> list[str]:
        return list(ACTIONS)

    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        if "init_position" in options:
            cell = options["init_position"]
            try:
                cell = (int(cell[0]), int(cell[1])) if len(cell) == 2 else None
            except (TypeError, ValueError):
                cell = None
            if cell not in _INDEX or cell == GOAL:
                raise ValueError(
                    f"init_position must be a free non-goal cell (row, col), got {options['init_position']!r}; "
                    f"valid cells: {start_cells()}"
                )
        else:
            cell = _CELLS[self.rng.choice(_START_INDICES)]
        self._pos = _INDEX[cell]
        return self._obs[self._pos], {"position": cell}

    def _step(self, action: str) -> StepResult:
        if self._steps > STEP_LIMIT:
            return _FAILURE
        nxt = _MOVES[self._pos].get(action)
        if nxt is None:
            return self._invalid_results[self._pos]
        self._pos = nxt
        if nxt == _GOAL_INDEX:
            return _SUCCESS
        return self._results[nxt]

    def _new_history_start(self, result: StepResult) -> int:
        n = len(self._texts)
        if result.info is not None:  # invalid action, success or failure: keep the newest observation only
            return n - 1
        return max(self._history_start, n - self.last_k)


_START_INDICES: tuple[int, ...] = tuple(_INDEX[c] for c in start_cells())
