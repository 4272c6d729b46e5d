"""Tests of the Text-Nav task: map, rules, exact texts, walkthrough, limits, determinism."""

from __future__ import annotations

import pytest

import lmrl_envs
from lmrl_envs.tasks.text_nav import (
    EXITS,
    ITEMS,
    KITCHEN_DISTANCE,
    OBJECTIVE,
    ROOMS,
    HouseState,
    TextNavEnv,
    admissible_commands,
    room_distance,
    shortest_path,
    walkthrough,
)
from lmrl_envs.testing import EnvConformance

LIVING_ROOM_FO = (
    "Your objective is to put the stale food on the table in the living room into the fridge in the kitchen.\n"
    "You are in the living room. You see a table. On the table you see a stale food and a fresh food.\n"
    "There are exits to the east, south and west.\n"
    "You are carrying nothing.\n"
    "\n"
    "Admissible commands: go east, go south, go west, take fresh food from table, take stale food from table\n"
)
LIVING_ROOM_PO = (
    "Your objective is to put the stale food on the table in the living room into the fridge in the kitchen.\n"
    "You see a table. On the table you see a stale food and a fresh food.\n"
    "There are exits to the east, south and west.\n"
    "\n"
    "Admissible commands: go east, go south, go west, take fresh food from table, take stale food from table\n"
)


def make(observability: str = "full", room: str = "living room", **kwargs) -> tuple[TextNavEnv, str]:
    env = TextNavEnv(observability, **kwargs)
    obs, _ = env.reset(seed=0, options={"start_room": room})
    return env, obs


# ----------------------------------------------------------------------------- the house
def test_map_is_the_original_connections():
    assert ROOMS == ("bedroom", "office", "bathroom", "living room", "kitchen", "dining room", "garden", "backyard")
    assert EXITS == {
        "bedroom": {"south": "bathroom", "west": "living room"},
        "office": {"east": "bathroom", "north": "living room"},
        "bathroom": {"north": "bedroom", "west": "office"},
        "living room": {"east": "bedroom", "south": "office", "west": "dining room"},
        "kitchen": {"east": "dining room", "north": "garden", "west": "backyard"},
        "dining room": {"east": "living room", "west": "kitchen"},
        "garden": {"south": "kitchen"},
        "backyard": {"east": "kitchen"},
    }
    assert ITEMS == ("stale food", "fresh food", "bowl", "coffee cup", "plate", "utensils", "fruit")


def test_distances_and_paths():
    assert KITCHEN_DISTANCE == {"bedroom": 3, "office": 3, "bathroom": 4, "living room": 2, "kitchen": 0,
                                "dining room": 1, "garden": 1, "backyard": 1}
    assert room_distance("garden", "bathroom") == 5
    assert all(room_distance(a, b) == room_distance(b, a) for a in ROOMS for b in ROOMS)
    # Two shortest paths from the bathroom; ties go north first, as the original data collector did.
    assert shortest_path("bathroom", "living room") == ["go north\n", "go west\n"]
    assert shortest_path("garden", "bedroom") == ["go south\n", "go east\n", "go east\n", "go east\n"]
    assert shortest_path("kitchen", "kitchen") == []
    with pytest.raises(ValueError, match="rooms are: bedroom"):
        shortest_path("attic", "kitchen")


def test_initial_admissible_commands_per_room():
    assert admissible_commands(HouseState.initial("bedroom")) == ["go south", "go west", "take bowl from table"]
    assert admissible_commands(HouseState.initial("office")) == ["go east", "go north", "open chest"]
    assert admissible_commands(HouseState.initial("kitchen")) == ["go east", "go north", "go west", "open fridge"]
    assert admissible_commands(HouseState.initial("dining room")) == [
        "go east", "go west", "take coffee cup from table", "take plate from table"]
    assert admissible_commands(HouseState.initial("garden")) == ["go south"]


# ----------------------------------------------------------------------------- exact texts
def test_first_observation_fo_and_po():
    assert make("full")[1] == LIVING_ROOM_FO
    assert make("partial")[1] == LIVING_ROOM_PO
    assert LIVING_ROOM_FO.startswith(OBJECTIVE + "\n")


def test_step_observations_fo():
    env, _ = make("full")
    obs, reward, terminated, truncated, info = env.step("take stale food from table\n")
    assert obs == (
        "You take the stale food from the table.\n"
        "You are carrying: a stale food.\n"
        "\n"
        "Admissible commands: drop stale food, eat stale food, go east, go south, go west, "
        "put stale food on table, take fresh food from table\n"
    )
    assert (reward, terminated, truncated, info) == (0.0, False, False, {})
    obs = env.step("go west")[0]
    assert obs == (
        "You are in the dining room. You see a table. On the table you see a coffee cup and a plate.\n"
        "There are exits to the east and west.\n"
        "You are carrying: a stale food.\n"
        "\n"
        "Admissible commands: drop stale food, eat stale food, go east, go west, put stale food on table, "
        "take coffee cup from table, take plate from table\n"
    )


def test_step_observations_po():
    env, _ = make("partial", room="kitchen")
    assert env.step("go north\n")[0] == (
        "There is nothing of interest here.\nThere is an exit to the south.\n\nAdmissible commands: go south\n"
    )
    env.step("go south\n")
    assert env.step("open fridge\n")[0] == (
        "You open the fridge. In the fridge you see a fruit.\n"
        "\n"
        "Admissible commands: close fridge, go east, go north, go west, take fruit from fridge\n"
    )
    env.step("take fruit from fridge\n")
    assert env.step("go west\n")[0] == (
        "There is nothing of interest here.\nThere is an exit to the east.\n"
        "\n"
        "Admissible commands: drop fruit, eat fruit, go east\n"
    )
    assert env.step("drop fruit\n")[0] == (
        "You drop the fruit on the floor.\n\nAdmissible commands: go east, take fruit\n"
    )
    env.step("go east\n")
    assert env.step("go west\n")[0] == (
        "On the floor you see a fruit.\nThere is an exit to the east.\n\nAdmissible commands: go east, take fruit\n"
    )
    assert env.step("take fruit\n")[0] == "You pick up the fruit.\n\nAdmissible commands: drop fruit, eat fruit, go east\n"


def test_containers_and_empty_table():
    env, _ = make("full", room="office")
    assert env.step("open chest\n")[0] == (
        "You open the chest. In the chest you see some utensils.\n"
        "You are carrying nothing.\n"
        "\n"
        "Admissible commands: close chest, go east, go north, take utensils from chest\n"
    )
    env.step("take utensils from chest\n")
    env.step("go north\n")
    env.step("go east\n")
    env.step("take bowl from table\n")
    assert "You are carrying: a bowl and some utensils.\n" in env.step("go west\n")[0]
    env.step("go east\n")
    obs = env.step("put utensils on table\n")[0]
    assert obs.startswith("You put the utensils on the table.\nYou are carrying: a bowl.\n")
    env2, _ = make("partial", room="bedroom")
    env2.step("take bowl from table\n")
    env2.step("go west\n")
    assert env2.step("go east\n")[0] == (
        "You see a table. The table is empty.\nThere are exits to the south and west.\n\n"
        "Admissible commands: drop bowl, go south, go west, put bowl on table\n"
    )


# ----------------------------------------------------------------------------- win, fail, invalid, limits
@pytest.mark.parametrize("observability", ["full", "partial"])
@pytest.mark.parametrize("room", ROOMS)
def test_walkthrough_solves_from_every_room(observability, room):
    env, _ = make(observability, room=room)
    actions = walkthrough(env)
    assert len(actions) == KITCHEN_DISTANCE["living room"] + 4 + room_distance(room, "living room")
    results = [env.step(a) for a in actions]
    assert [r[1] for r in results] == [0.0] * (len(actions) - 1) + [1.0]
    assert all(not r[2] and not r[3] for r in results[:-1])
    _, _, terminated, truncated, info = results[-1]
    assert (terminated, truncated, info) == (True, False, {"success": True})
    assert env.done and env.valid_actions() == []
    assert all(not r[4].get("invalid") for r in results)


def test_win_observation_exact():
    env, _ = make("partial", room="kitchen")
    for a in walkthrough(env)[:-1]:
        env.step(a)
    assert env.step("close fridge\n")[0] == (
        "You close the fridge.\nYou won: the stale food is in the closed fridge.\n"
        "\nAdmissible commands: go east, go north, go west, open fridge\n"
    )


def test_eating_the_stale_food_fails():
    env, _ = make("full")
    env.step("take stale food from table\n")
    obs, reward, terminated, truncated, info = env.step("eat stale food\n")
    assert obs == (
        "You eat the stale food.\nYou lost: you ate the stale food.\nYou are carrying nothing.\n"
        "\nAdmissible commands: go east, go south, go west, take fresh food from table\n"
    )
    assert (reward, terminated, truncated, info) == (0.0, True, False, {"success": False})
    assert walkthrough(env) == []


def test_eating_other_food_does_not_end():
    env, _ = make("partial")
    env.step("take fresh food from table\n")
    obs, reward, terminated, truncated, info = env.step("eat fresh food\n")
    assert obs == "You eat the fresh food.\n\nAdmissible commands: go east, go south, go west, take stale food from table\n"
    assert (reward, terminated, truncated, info) == (0.0, False, False, {})


def test_closing_the_fridge_without_the_stale_food_does_not_win():
    env, _ = make("full", room="kitchen")
    env.step("open fridge\n")
    assert env.step("close fridge\n")[1:] == (0.0, False, False, {})


@pytest.mark.parametrize("action", ["look", "examine table", "inventory", "", "go up", "take stale food",
                                    "take stale food from table please", "go east\ngo west", "\x00", "去东边"])
def test_invalid_commands(action):
    env, _ = make("full")
    obs, reward, terminated, truncated, info = env.step(action)
    assert obs == LIVING_ROOM_FO.replace(OBJECTIVE + "\n", "").replace(
        "You are in the living room. You see a table. On the table you see a stale food and a fresh food.\n"
        "There are exits to the east, south and west.\n", "That's not a valid command.\n")
    assert (reward, terminated, truncated, info) == (0.0, False, False, {"invalid": True})
    assert env.state == HouseState.initial("living room")


def test_case_and_spaces_are_forgiven():
    env, _ = make("partial")
    obs, _, _, _, info = env.step("  Take   STALE food from table \n")
    assert obs.startswith("You take the stale food from the table.\n") and info == {}
    assert env.history[-2].text == "  Take   STALE food from table \n"


def test_step_limit_truncates():
    env, _ = make("full")
    for i in range(1, 21):
        _, reward, terminated, truncated, info = env.step("go east\n" if i % 2 else "go west\n")
        if i < 20:
            assert (terminated, truncated, info) == (False, False, {})
    assert (reward, terminated, truncated, info) == (0.0, False, True, {"success": False})
    assert env.done and env.steps == 20 and len(env.history) == 41
    env, _ = make("partial", max_steps=3)
    assert [env.step("nope")[3] for _ in range(3)] == [False, False, True]


def test_walkthrough_from_midgame_states():
    state = HouseState.initial("garden")
    state.places["stale food"] = "floor:bathroom"
    state.open.add("fridge")
    # Two shortest paths from the living room to the bathroom: south (office) is tried before east.
    assert walkthrough(state) == ["go south\n", "go east\n", "go east\n", "go south\n", "go east\n",
                                  "take stale food\n", "go north\n", "go west\n", "go west\n", "go west\n",
                                  "insert stale food into fridge\n", "close fridge\n"]
    state = HouseState.initial("office")
    state.places["stale food"] = "chest"
    assert walkthrough(state) == ["open chest\n", "take stale food from chest\n", "go north\n", "go west\n",
                                  "go west\n", "open fridge\n", "insert stale food into fridge\n", "close fridge\n"]
    state = HouseState.initial("bedroom")
    state.places["stale food"] = "fridge"
    assert walkthrough(state) == []  # already won: in the closed fridge
    state.open.add("fridge")
    assert walkthrough(state) == ["go west\n", "go west\n", "go west\n", "close fridge\n"]


def test_walkthrough_after_detours_still_wins():
    env, _ = make("partial", room="dining room")
    for a in ["go east\n", "take stale food from table\n", "go south\n", "drop stale food\n", "go east\n"]:
        env.step(a)
    results = [env.step(a) for a in walkthrough(env)]
    assert results[-1][1:] == (1.0, True, False, {"success": True})


# ----------------------------------------------------------------------------- seeds, options, construction
def test_determinism_and_start_distribution():
    def run(seed):
        env = TextNavEnv("partial")
        texts = [env.reset(seed=seed)[0]]
        for _ in range(6):
            texts.append(env.step(env.valid_actions()[0])[0])
        return texts, env.state.room

    assert run(7) == run(7)
    env = TextNavEnv("full")
    starts = [env.reset(seed=seed)[1]["start_room"] for seed in range(400)]
    assert set(starts) == set(ROOMS) and min(starts.count(r) for r in ROOMS) > 25
    env = TextNavEnv("full")
    a = [env.reset(seed=3)[1]["start_room"]] + [env.reset()[1]["start_room"] for _ in range(5)]
    b = [env.reset(seed=3)[1]["start_room"]] + [env.reset()[1]["start_room"] for _ in range(5)]
    assert a == b


def test_options_and_constructor_validation():
    env = TextNavEnv()
    assert env.reset(seed=1, options={"start_room": "garden"})[1] == {"start_room": "garden"}
    with pytest.raises(ValueError, match="valid rooms: bedroom, office"):
        env.reset(options={"start_room": "attic"})
    with pytest.raises(ValueError, match="valid options: start_room"):
        env.reset(options={"goal": "kitchen"})
    with pytest.raises(ValueError, match="'full' or 'partial'"):
        TextNavEnv("fo")
    with pytest.raises(ValueError, match="positive int"):
        TextNavEnv(max_steps=0)


def test_registry_and_valid_actions():
    fo, po = lmrl_envs.make("text-nav-fo"), lmrl_envs.make("text-nav-po")
    assert (fo.env_id, fo.observability, po.env_id, po.observability) == (
        "text-nav-fo-v0", "full", "text-nav-po-v0", "partial")
    assert fo.valid_actions() == []  # before reset
    fo.reset(seed=0, options={"start_room": "office"})
    assert fo.valid_actions() == ["go east\n", "go north\n", "open chest\n"]
    state = fo.state
    state.room = "kitchen"  # a copy: the env is unaffected
    assert fo.state.room == "office"


class TestTextNavFOConformance(EnvConformance):
    env_id = "text-nav-fo"


class TestTextNavPOConformance(EnvConformance):
    env_id = "text-nav-po"
