"""`TextNavEnv`: the Text-Nav house game behind the lmrl `TextEnv` contract (see the package docstring)."""

from __future__ import annotations

from typing import Any, ClassVar

from lmrl_envs.core import StepResult, TextEnv
from lmrl_envs.tasks.text_nav.world import (
    OBJECTIVE,
    ROOMS,
    HouseState,
    apply_command,
    command_table,
    describe_inventory,
    describe_room,
)

__all__ = ["DEFAULT_MAX_STEPS", "INVALID_FEEDBACK", "TextNavEnv"]

DEFAULT_MAX_STEPS = 20
"""Actions per episode: the original's interactive `play` limit (its data collector used 15)."""

INVALID_FEEDBACK = "That's not a valid command.\n"
"""Feedback for an action that is not one of the admissible commands (the state does not change)."""

WIN_FEEDBACK = "You won: the stale food is in the closed fridge.\n"
LOSE_FEEDBACK = "You lost: you ate the stale food.\n"


class TextNavEnv(TextEnv):
    """Put the stale food into the fridge, in a house of 8 rooms described in text.

    Args:
        observability: ``"full"`` names the room in each room description and appends the
            inventory to every observation; ``"partial"`` shows neither.
        max_steps: actions before the episode is truncated.

    Example:
        >>> env = TextNavEnv("partial")
        >>> obs, info = env.reset(seed=0, options={"start_room": "kitchen"})
        >>> print(obs, end="")
        Your objective is to put the stale food on the table in the living room into the fridge in the kitchen.
        You see a closed fridge.
        There are exits to the east, north and west.
        <BLANKLINE>
        Admissible commands: go east, go north, go west, open fridge
        >>> env.step("open fridge")[0].splitlines()[0]
        'You open the fridge. In the fridge you see a fruit.'
    """

    reward_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    max_steps = DEFAULT_MAX_STEPS
    option_keys: ClassVar[frozenset[str]] = frozenset({"start_room"})

    def __init__(self, observability: str = "full", max_steps: int = DEFAULT_MAX_STEPS) -> None:
        super().__init__()
        if observability not in ("full", "partial"):
            raise ValueError(f"observability must be 'full' or 'partial', got {observability!r}")
        if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        self.observability = observability
        self.full = observability == "full"
        self.max_steps = max_steps
        self._state = HouseState.initial(ROOMS[0])
        self._commands: dict[str, tuple] = {}

    @property
    def state(self) -> HouseState:
        """A copy of the current game state (room, where each object is, open containers)."""
        return self._state.copy()

    def valid_actions(self) -> list[str]:
        """The admissible commands as action texts (``"go east\\n"``, ...); ``[]`` once the episode ended."""
        return [] if self.done else [c + "\n" for c in self._commands]

    # ------------------------------------------------------------------ hooks
    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        room = options.get("start_room")
        if room is None:
            room = self.rng.choice(ROOMS)
        elif room not in ROOMS:
            raise ValueError(f"start_room {room!r} is not a room; valid rooms: {', '.join(ROOMS)}")
        self._state = HouseState.initial(room)
        return OBJECTIVE + "\n" + describe_room(self._state, self.full) + self._tail(), {"start_room": room}

    def _step(self, action: str) -> StepResult:
        command = action.strip()
        # Case and runs of spaces are forgiven; a second line is not (a model stops at the first newline).
        op = None if "\n" in command else self._commands.get(" ".join(command.split()).lower())
        info: dict[str, Any] = {}
        if op is None:
            feedback = INVALID_FEEDBACK
            info["invalid"] = True
        else:
            feedback = apply_command(self._state, op) or describe_room(self._state, self.full)
        terminated = self._state.won or self._state.lost
        reward = 1.0 if self._state.won else 0.0
        if terminated:
            feedback += WIN_FEEDBACK if self._state.won else LOSE_FEEDBACK
            info["success"] = self._state.won
        truncated = not terminated and self.steps >= self.max_steps
        if truncated:
            info["success"] = False
        return StepResult(feedback + self._tail(), reward, terminated, truncated, info)

    def _tail(self) -> str:
        """Inventory (full observability) and the admissible-commands line; refreshes the command table."""
        self._commands = command_table(self._state)
        inventory = describe_inventory(self._state) if self.full else ""
        return inventory + "\nAdmissible commands: " + ", ".join(self._commands) + "\n"
