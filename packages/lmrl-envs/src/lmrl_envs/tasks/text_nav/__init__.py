"""Text-Nav: carry the stale food to the fridge in a text house (LMRL-Gym "Text-Nav", FO and PO).

=================  ==========================================================================
Ids                ``text-nav-fo-v0`` (``observability="full"``), ``text-nav-po-v0``
                   (``"partial"``)
Turns              one command per step; at most 20 (``max_steps``), then truncated
Observation        feedback text, then ``"\\nAdmissible commands: go east, go north, ...\\n"``
                   (the admissible commands, sorted, in every observation). The first one
                   starts with the objective sentence and the start room's description.
                   FO: room descriptions start ``"You are in the kitchen."`` and every
                   observation has the line ``"You are carrying: a stale food."`` (or
                   ``"You are carrying nothing."``) before the commands. PO: neither.
Action             one admissible command: ``go north|south|east|west``, ``take X``,
                   ``take X from Y``, ``put X on Y``, ``insert X into Y``, ``open Y``,
                   ``close Y``, ``eat X``, ``drop X`` (case and spacing are ignored)
Reward             1 on the step that wins, else 0 (return range [0, 1])
Terminated         win: the stale food is in the fridge and the fridge is closed
                   (``info["success"] = True``); fail: the stale food is eaten (reward 0,
                   ``info["success"] = False``)
Truncated          after ``max_steps`` = 20 actions without ending (``info["success"] = False``)
Invalid action     anything not admissible: feedback ``"That's not a valid command.\\n"``,
                   state unchanged, reward 0, ``info["invalid"] = True``; the step counts
History            full (an episode is at most 41 short texts)
Start              uniform over the 8 rooms (``self.rng``); ``options={"start_room": "garden"}``
Simulator          a native Python engine of the original TextWorld game (``world.py``); no
                   TextWorld, no Inform 7
=================  ==========================================================================

The house (exactly the connections of the original ``make_game.py``)::

                  garden
                    |
    backyard -- kitchen -- dining room -- living room -- bedroom
                                              |             |
                                            office ----- bathroom

Objects: a stale food and a fresh food on the living-room table; a bowl on the bedroom table; a
coffee cup and a plate on the dining-room table; utensils in a closed chest (office); a fruit in
a closed fridge (kitchen). The garden, backyard and bathroom hold no furniture. The objective
sentence is the original's: ``"Your objective is to put the stale food on the table in the living
room into the fridge in the kitchen."`` The optimal walkthrough (`walkthrough`) is the shortest
path to the living room, ``take stale food from table``, the shortest path to the kitchen,
``open fridge``, ``insert stale food into fridge``, ``close fridge``: 6 to 9 actions (6 from the
living room, 9 from the garden and the backyard).

Example observation (FO, after ``go west`` from the living room)::

    You are in the dining room. You see a table. On the table you see a coffee cup and a plate.
    There are exits to the east and west.
    You are carrying: a stale food.

    Admissible commands: drop stale food, eat stale food, go east, go west, put stale food on table, ...

Admissible commands follow TextWorld's rules: ``go`` per exit; ``take X`` for objects on the
floor, ``take X from Y`` for objects on a table or in an open container; ``open``/``close`` for
the container in the room; for each carried object ``drop X``, ``eat X`` (food only: stale food,
fresh food, fruit), ``put X on table`` and ``insert X into Y`` (open container) where present.
``examine``, ``look`` and ``inventory`` are left out, as the original removes them.

Differences from the original, and why:

* No TextWorld/Inform 7 (which often fails to install): a ~300-line Python engine with the same
  map, objects, commands and win/fail events. The sentences are our own short, fixed ones
  (TextWorld's grammar draws varied flavour text); a room is described on reset and after each
  move, other commands print one line of feedback, as in TextWorld.
* Full observability shows the inventory in the first observation too (the original appended it
  only after steps); the location is named in every room description.
* The original env had no step limit (its data collector stopped at 15 actions, interactive play
  at 20); we truncate at 20 so that every episode ends: this leaves room for the longest optimal
  walkthrough (9) plus detours, and stays close to the dataset's horizon.
* An unrecognised command gets our fixed feedback (TextWorld printed parser errors such as
  "You can't see any such thing.") and ``info["invalid"]``; only admissible commands act (the
  original also accepted some non-listed commands such as ``examine``).
* The start room comes from the env's seeded generator (the original used the global ``random``
  module and rebuilt and recompiled the game on every reset); the broken pieces of the
  original env (``Text(command, true)``, ``reset`` returning a tuple of characters) are not
  reproduced.
* The end of a game adds one line (``"You won: the stale food is in the closed fridge."`` /
  ``"You lost: you ate the stale food."``) instead of TextWorld's score banner.

Helpers for other packages: `ROOMS`, `EXITS`, `ITEMS`, `OBJECTIVE`, `KITCHEN_DISTANCE`,
`room_distance`, `shortest_path`, `walkthrough`, `HouseState` (``env.state`` is a copy of the
current one), `admissible_commands`.

Version log: v0 (lmrl 0.1): first version.

Example:
    >>> env = TextNavEnv("full")
    >>> _ = env.reset(seed=0, options={"start_room": "bedroom"})
    >>> rewards = [env.step(a)[1] for a in walkthrough(env)]
    >>> rewards[-1], env.done
    (1.0, True)
"""

from lmrl_envs.tasks.text_nav.env import DEFAULT_MAX_STEPS, INVALID_FEEDBACK, TextNavEnv
from lmrl_envs.tasks.text_nav.world import (
    DIRECTIONS,
    EXITS,
    ITEMS,
    KITCHEN_DISTANCE,
    OBJECTIVE,
    ROOMS,
    HouseState,
    admissible_commands,
    room_distance,
    shortest_path,
    walkthrough,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "DIRECTIONS",
    "EXITS",
    "INVALID_FEEDBACK",
    "ITEMS",
    "KITCHEN_DISTANCE",
    "OBJECTIVE",
    "ROOMS",
    "HouseState",
    "TextNavEnv",
    "admissible_commands",
    "room_distance",
    "shortest_path",
    "walkthrough",
]
