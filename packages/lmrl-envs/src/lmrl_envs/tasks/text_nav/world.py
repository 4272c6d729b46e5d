"""The Text-Nav house as plain Python: map, furniture, objects, game rules and the texts they print.

Everything static (exits, shortest paths, command strings) is computed once at import time; a game
state is a small mutable `HouseState` that `apply_command` updates in place. This module knows
nothing of `TextEnv`; `env.py` wraps it.

Example:
    >>> state = HouseState.initial("living room")
    >>> admissible_commands(state)[:3]
    ['go east', 'go south', 'go west']
    >>> walkthrough(state)
    ['take stale food from table\\n', 'go west\\n', 'go west\\n', 'open fridge\\n', \
'insert stale food into fridge\\n', 'close fridge\\n']
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DIRECTIONS",
    "EXITS",
    "HouseState",
    "ITEMS",
    "KITCHEN_DISTANCE",
    "OBJECTIVE",
    "ROOMS",
    "admissible_commands",
    "apply_command",
    "describe_inventory",
    "describe_room",
    "room_distance",
    "shortest_path",
    "walkthrough",
]

OBJECTIVE = "Your objective is to put the stale food on the table in the living room into the fridge in the kitchen."
"""The objective sentence of the original game, shown in the first observation."""

ROOMS: tuple[str, ...] = (
    "bedroom", "office", "bathroom", "living room", "kitchen", "dining room", "garden", "backyard",
)
"""The 8 rooms, in the order of the original `make_game.py` (the start room is drawn from this tuple)."""

DIRECTIONS: tuple[str, ...] = ("north", "south", "east", "west")
"""Compass directions; shortest paths break ties in this order."""

_OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}

# (room, its exit, neighbour): each connection of the original `make_game.py`, e.g. bedroom.W-livingroom.E.
_CONNECTIONS = (
    ("bedroom", "west", "living room"),
    ("living room", "west", "dining room"),
    ("dining room", "west", "kitchen"),
    ("kitchen", "north", "garden"),
    ("living room", "south", "office"),
    ("office", "east", "bathroom"),
    ("bedroom", "south", "bathroom"),
    ("kitchen", "west", "backyard"),
)


def _build_exits() -> dict[str, dict[str, str]]:
    exits: dict[str, dict[str, str]] = {room: {} for room in ROOMS}
    for a, direction, b in _CONNECTIONS:
        exits[a][direction] = b
        exits[b][_OPPOSITE[direction]] = a
    # Alphabetical direction order, as TextWorld lists exits and commands.
    return {room: dict(sorted(ex.items())) for room, ex in exits.items()}


EXITS: dict[str, dict[str, str]] = _build_exits()
"""``EXITS[room][direction] -> neighbouring room``; directions sorted alphabetically."""


def _bfs_paths(start: str) -> dict[str, list[str]]:
    """Shortest direction sequences from `start` to every room, ties broken by `DIRECTIONS` order."""
    paths = {start: []}
    queue = deque([start])
    while queue:
        room = queue.popleft()
        for direction in DIRECTIONS:
            nxt = EXITS[room].get(direction)
            if nxt is not None and nxt not in paths:
                paths[nxt] = paths[room] + [direction]
                queue.append(nxt)
    return paths


_PATHS: dict[str, dict[str, list[str]]] = {room: _bfs_paths(room) for room in ROOMS}

KITCHEN_DISTANCE: dict[str, int] = {room: len(_PATHS[room]["kitchen"]) for room in ROOMS}
"""Number of moves from each room to the kitchen (kitchen 0 ... bathroom 4)."""


def _check_room(room: str) -> None:
    if room not in EXITS:
        raise ValueError(f"unknown room {room!r}; rooms are: {', '.join(ROOMS)}")


def room_distance(a: str, b: str) -> int:
    """Number of moves on a shortest path between two rooms.

    Example:
        >>> room_distance("bathroom", "kitchen")
        4
    """
    _check_room(a)
    _check_room(b)
    return len(_PATHS[a][b])


def shortest_path(start: str, goal: str) -> list[str]:
    """The ``"go <direction>\\n"`` actions of a shortest path (ties broken north, south, east, west).

    Example:
        >>> shortest_path("bathroom", "living room")
        ['go north\\n', 'go west\\n']
    """
    _check_room(start)
    _check_room(goal)
    return [f"go {d}\n" for d in _PATHS[start][goal]]


# ----------------------------------------------------------------------------- objects
ITEMS: tuple[str, ...] = ("stale food", "fresh food", "bowl", "coffee cup", "plate", "utensils", "fruit")
"""Portable objects, in the fixed order in which every list of objects is printed."""

_ARTICLE = {item: "a " + item for item in ITEMS} | {"utensils": "some utensils"}
_FOOD = frozenset({"stale food", "fresh food", "fruit"})

# Furniture id -> (printed name, room, is_container). Ids are unique; the three tables print as "table".
_FURNITURE: dict[str, tuple[str, str, bool]] = {
    "bedroom table": ("table", "bedroom", False),
    "living room table": ("table", "living room", False),
    "dining room table": ("table", "dining room", False),
    "chest": ("chest", "office", True),
    "fridge": ("fridge", "kitchen", True),
}
_ROOM_FURNITURE: dict[str, tuple[str, ...]] = {
    room: tuple(f for f, (_, r, _) in _FURNITURE.items() if r == room) for room in ROOMS
}
_CONTAINERS = tuple(f for f, (_, _, c) in _FURNITURE.items() if c)

_INITIAL_PLACES = {
    "stale food": "living room table",
    "fresh food": "living room table",
    "bowl": "bedroom table",
    "coffee cup": "dining room table",
    "plate": "dining room table",
    "utensils": "chest",
    "fruit": "fridge",
}
# An item's place is a furniture id, "player" (carried), "eaten", or "floor:<room>".
PLAYER, EATEN = "player", "eaten"
_FLOOR = {room: "floor:" + room for room in ROOMS}


@dataclass
class HouseState:
    """The full game state.

    Attributes:
        room: where the player is.
        places: item -> furniture id, ``"player"``, ``"eaten"`` or ``"floor:<room>"``.
        open: the containers (``"chest"``, ``"fridge"``) that are open.
    """

    room: str
    places: dict[str, str] = field(default_factory=lambda: dict(_INITIAL_PLACES))
    open: set[str] = field(default_factory=set)

    @classmethod
    def initial(cls, room: str) -> HouseState:
        """The start state of the original game with the player in `room`."""
        _check_room(room)
        return cls(room)

    def copy(self) -> HouseState:
        return HouseState(self.room, dict(self.places), set(self.open))

    @property
    def won(self) -> bool:
        """The win event: stale food in the fridge and the fridge closed."""
        return self.places["stale food"] == "fridge" and "fridge" not in self.open

    @property
    def lost(self) -> bool:
        """The fail event: the stale food was eaten."""
        return self.places["stale food"] == EATEN

    def items_at(self, place: str) -> list[str]:
        return [item for item in ITEMS if self.places[item] == place]


# ----------------------------------------------------------------------------- texts
def _join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' (TextWorld style: no serial comma)."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _listing(items: list[str]) -> str:
    return _join([_ARTICLE[i] for i in items])


_EXIT_LINES = {
    room: (f"There is an exit to the {next(iter(ex))}." if len(ex) == 1 else f"There are exits to the {_join(list(ex))}.")
    for room, ex in EXITS.items()
}


def describe_room(state: HouseState, show_location: bool) -> str:
    """The room description: (location,) furniture and what is visible on or in it, floor, exits.

    Example:
        >>> describe_room(HouseState.initial("kitchen"), show_location=True)
        'You are in the kitchen. You see a closed fridge.\\nThere are exits to the east, north and west.\\n'
    """
    room = state.room
    parts = [f"You are in the {room}."] if show_location else []
    for furniture in _ROOM_FURNITURE[room]:
        name, _, is_container = _FURNITURE[furniture]
        items = state.items_at(furniture)
        if not is_container:
            inside = f"On the {name} you see {_listing(items)}." if items else f"The {name} is empty."
            parts.append(f"You see a {name}. {inside}")
        elif furniture not in state.open:
            parts.append(f"You see a closed {name}.")
        else:
            inside = f"In the {name} you see {_listing(items)}." if items else f"The {name} is empty."
            parts.append(f"You see an open {name}. {inside}")
    floor = state.items_at(_FLOOR[room])
    if floor:
        parts.append(f"On the floor you see {_listing(floor)}.")
    if len(parts) == int(show_location):
        parts.append("There is nothing of interest here.")
    return " ".join(parts) + "\n" + _EXIT_LINES[room] + "\n"


def describe_inventory(state: HouseState) -> str:
    """The inventory line of the fully observed variant.

    Example:
        >>> describe_inventory(HouseState.initial("kitchen"))
        'You are carrying nothing.\\n'
    """
    carried = state.items_at(PLAYER)
    return f"You are carrying: {_listing(carried)}.\n" if carried else "You are carrying nothing.\n"


# ----------------------------------------------------------------------------- rules
# A command is an op tuple: ("go", direction) | ("take", item, place) | ("put", item, furniture)
# | ("open", furniture) | ("close", furniture) | ("eat", item) | ("drop", item).
_GO = {d: (f"go {d}", ("go", d)) for d in DIRECTIONS}
_OPEN = {f: (f"open {_FURNITURE[f][0]}", ("open", f)) for f in _CONTAINERS}
_CLOSE = {f: (f"close {_FURNITURE[f][0]}", ("close", f)) for f in _CONTAINERS}
_TAKE_FROM = {(i, f): (f"take {i} from {_FURNITURE[f][0]}", ("take", i, f)) for i in ITEMS for f in _FURNITURE}
_TAKE_FLOOR = {(i, r): (f"take {i}", ("take", i, _FLOOR[r])) for i in ITEMS for r in ROOMS}
_PUT = {
    (i, f): (f"{'insert' if c else 'put'} {i} {'into' if c else 'on'} {n}", ("put", i, f))
    for i in ITEMS for f, (n, _, c) in _FURNITURE.items()
}
_EAT = {i: (f"eat {i}", ("eat", i)) for i in ITEMS if i in _FOOD}
_DROP = {i: (f"drop {i}", ("drop", i)) for i in ITEMS}


def command_table(state: HouseState) -> dict[str, tuple]:
    """Admissible command -> op tuple, keys in alphabetical order (TextWorld's order)."""
    room = state.room
    cmds = [_GO[d] for d in EXITS[room]]
    for item in ITEMS:
        place = state.places[item]
        if place == PLAYER:
            cmds.append(_DROP[item])
            if item in _EAT:
                cmds.append(_EAT[item])
            for f in _ROOM_FURNITURE[room]:
                if not _FURNITURE[f][2] or f in state.open:
                    cmds.append(_PUT[item, f])
        elif place == _FLOOR[room]:
            cmds.append(_TAKE_FLOOR[item, room])
    for f in _ROOM_FURNITURE[room]:
        is_container = _FURNITURE[f][2]
        if is_container:
            cmds.append(_CLOSE[f] if f in state.open else _OPEN[f])
        if not is_container or f in state.open:
            cmds.extend(_TAKE_FROM[i, f] for i in state.items_at(f))
    cmds.sort()
    return dict(cmds)


def admissible_commands(state: HouseState) -> list[str]:
    """The admissible commands of a state, sorted (without examine/look/inventory, as the original).

    Example:
        >>> admissible_commands(HouseState.initial("office"))
        ['go east', 'go north', 'open chest']
    """
    return list(command_table(state))


def apply_command(state: HouseState, op: tuple) -> str:
    """Apply an admissible command's op tuple to `state` in place; return the feedback text."""
    kind = op[0]
    if kind == "go":
        state.room = EXITS[state.room][op[1]]
        return ""  # the caller prints the room description
    if kind == "take":
        _, item, place = op
        state.places[item] = PLAYER
        if place.startswith("floor:"):
            return f"You pick up the {item}.\n"
        return f"You take the {item} from the {_FURNITURE[place][0]}.\n"
    if kind == "put":
        _, item, furniture = op
        name, _, is_container = _FURNITURE[furniture]
        state.places[item] = furniture
        return f"You put the {item} {'into' if is_container else 'on'} the {name}.\n"
    if kind == "open":
        furniture = op[1]
        name = _FURNITURE[furniture][0]
        state.open.add(furniture)
        items = state.items_at(furniture)
        inside = f"In the {name} you see {_listing(items)}." if items else f"The {name} is empty."
        return f"You open the {name}. {inside}\n"
    if kind == "close":
        state.open.discard(op[1])
        return f"You close the {_FURNITURE[op[1]][0]}.\n"
    if kind == "eat":
        state.places[op[1]] = EATEN
        return f"You eat the {op[1]}.\n"
    if kind == "drop":
        state.places[op[1]] = _FLOOR[state.room]
        return f"You drop the {op[1]} on the floor.\n"
    raise ValueError(f"unknown op {op!r}")


# ----------------------------------------------------------------------------- walkthrough
def walkthrough(env_or_state: Any) -> list[str]:
    """The shortest solution from the current state, as action texts ending in ``"\\n"``.

    From the start state it is the original's walkthrough: the shortest path to the living room,
    ``take stale food from table``, the shortest path to the kitchen, ``open fridge``,
    ``insert stale food into fridge``, ``close fridge``. From any other state it fetches the stale
    food from wherever it is (opening a container if needed) and finishes the same way. Returns
    ``[]`` when the game is already won or lost (the stale food was eaten).

    Args:
        env_or_state: a `TextNavEnv` (its current state is used) or a `HouseState`.

    Example:
        >>> walkthrough(HouseState.initial("garden"))
        ['go south\\n', 'go east\\n', 'go east\\n', 'take stale food from table\\n', 'go west\\n', \
'go west\\n', 'open fridge\\n', 'insert stale food into fridge\\n', 'close fridge\\n']
    """
    state = env_or_state if isinstance(env_or_state, HouseState) else env_or_state.state
    if state.won or state.lost:
        return []
    room, place = state.room, state.places["stale food"]
    actions: list[str] = []
    if place == "fridge":  # inside the open fridge: just close it
        return shortest_path(room, "kitchen") + ["close fridge\n"]
    if place != PLAYER:
        where = place.removeprefix("floor:") if place.startswith("floor:") else _FURNITURE[place][1]
        actions += shortest_path(room, where)
        room = where
        if place.startswith("floor:"):
            actions.append("take stale food\n")
        else:
            name, _, is_container = _FURNITURE[place]
            if is_container and place not in state.open:
                actions.append(f"open {name}\n")
            actions.append(f"take stale food from {name}\n")
    actions += shortest_path(room, "kitchen")
    if "fridge" not in state.open:
        actions.append("open fridge\n")
    return actions + ["insert stale food into fridge\n", "close fridge\n"]
