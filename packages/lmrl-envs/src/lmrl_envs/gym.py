"""Gymnasium adapter: every lmrl task as a `gymnasium.Env` with `Text` spaces (extra ``[gymnasium]``).

Importing this module registers every lmrl env with Gymnasium as ``lmrl/<id>``::

    import gymnasium
    import lmrl_envs.gym  # noqa: F401  (or: gymnasium.make("lmrl_envs.gym:lmrl/wordle-v0"))

    env = gymnasium.make("lmrl/wordle-v0", render_mode="ansi")
    obs, info = env.reset(seed=0, options={"word": "crane"})   # obs == "Wordle:\\n"
    obs, reward, terminated, truncated, info = env.step("g r a c e")
    # obs == "Wordle:\\ng r a c e\\nb g g y g\\n": the whole history, the string a model conditions on

| | |
|---|---|
| observation | ``"history"`` (default): the texts of `TextEnv.history` joined, i.e. the exact prompt of the next action (after the task's truncation rule: FO Maze only the current board); ``"episode"``: every text of the episode; ``"latest"``: only the newest observation text |
| action | any string; the env normalises it as `TextEnv.step` does (one trailing ``"\\n"``) |
| spaces | `gymnasium.spaces.Text` over `CHARSET`; actions 0..`max_action_length` characters (default 1024), observations bounded from the task's step limit (`observation_max_length`) |
| reward, terminated, truncated | the task's, unchanged (the task's own step limit truncates; no `TimeLimit` wrapper is added) |
| info | the task's info dict (a deep copy, so no two steps share an object) |
| seeding | ``reset(seed=s)`` seeds the task's own generator with ``s``: the same bytes as ``lmrl_envs.make(id).reset(seed=s)`` and as episode seed ``s`` of an lmrl-data dataset |
| render | ``render_mode="ansi"``: the history text (what a policy sees); ``None``: nothing |

**The character set.** `gymnasium.spaces.Text` defaults to letters and digits, which rejects every
observation (they all hold spaces and newlines). `CHARSET` is ``"\\n"`` plus the printable
characters of Basic Latin (U+0020-U+007E), Latin-1 Supplement, Latin Extended-A and -B (U+00A1-U+024F)
and General Punctuation U+2010-U+2027 (dashes, curly quotes, ellipsis): 550 characters. It holds
every character of the built-in tasks' modules and data files, from which they build their texts
(English text; accented city and food names in Guess My City); a test checks it. Sampling
(``env.action_space.sample()``) draws from it.

**What the spaces do not restrict.** Like `TextEnv`, `step` accepts any string: an action with
other characters (an emoji, a tab, a CJK character) or longer than `max_action_length` is played
as usual, only the observations that hold it then lie outside `observation_space` (Gymnasium does
not enforce spaces; its passive checker warns once). An observation bound assumes each text a task
writes is at most `MAX_TASK_TEXT_LENGTH` characters (the built-in tasks: about 400 at most).
"""

from __future__ import annotations

import copy
from typing import Any

from lmrl_envs.core import TextEnv, history_text
from lmrl_envs.registry import list_envs, make

try:
    import gymnasium
    from gymnasium.spaces import Text as TextSpace
except ImportError as e:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        f"lmrl_envs.gym needs gymnasium ({e}); install the extra: pip install 'lmrl-envs[gymnasium]'"
    ) from e

__all__ = [
    "CHARSET",
    "MAX_ACTION_LENGTH",
    "MAX_TASK_TEXT_LENGTH",
    "NAMESPACE",
    "OBSERVATION_MODES",
    "TextGymEnv",
    "observation_max_length",
    "register_gymnasium_envs",
]

NAMESPACE = "lmrl"
"""Gymnasium namespace of the lmrl envs: ``lmrl/maze-fo-v0``."""


def _printable(lo: int, hi: int) -> str:
    return "".join(c for c in map(chr, range(lo, hi + 1)) if c.isprintable())


CHARSET: str = "\n" + _printable(0x20, 0x7E) + _printable(0xA1, 0x24F) + _printable(0x2010, 0x2027)
"""Characters of both spaces: newline, printable Basic Latin, Latin-1 Supplement, Latin Extended-A/B
(U+00A1-U+024F) and General Punctuation U+2010-U+2027."""

MAX_ACTION_LENGTH = 1024
"""Default longest action of the action space, in characters (the built-in tasks' datasets: at most ~200)."""

MAX_TASK_TEXT_LENGTH = 4096
"""Assumed longest text one task writes (an observation), used to bound the observation space."""

OBSERVATION_MODES = ("history", "episode", "latest")
"""What an observation holds: the task's history (default), the whole episode, or the newest text."""


def observation_max_length(max_steps: int, observation: str = "history",
                           max_action_length: int = MAX_ACTION_LENGTH) -> int:
    """The longest observation an episode of at most `max_steps` actions from the action space gives.

    An episode holds at most `max_steps` actions of ``max_action_length + 1`` characters (the
    newline `step` adds) and ``max_steps + 1`` task texts of at most `MAX_TASK_TEXT_LENGTH`; a
    history is a suffix of it; ``"latest"`` is one task text.

    Example:
        >>> observation_max_length(6, "history", 1024)
        34822
        >>> observation_max_length(6, "latest")
        4096
    """
    if observation == "latest":
        return MAX_TASK_TEXT_LENGTH
    return max_steps * (max_action_length + 1) + (max_steps + 1) * MAX_TASK_TEXT_LENGTH


class TextGymEnv(gymnasium.Env):
    """A `TextEnv` as a `gymnasium.Env` with `Text` observation and action spaces.

    Args:
        env: a registered lmrl id (``"maze-fo"``, ``"wordle-v0"``) or a `TextEnv` instance.
        observation: ``"history"`` (the joined `TextEnv.history`, default), ``"episode"`` (every text
            of the episode) or ``"latest"`` (the newest observation text only).
        render_mode: ``"ansi"`` (`render` returns the history text) or None.
        max_action_length: the longest action of `action_space`, in characters.
        charset: the characters of both spaces (default `CHARSET`).
        **env_kwargs: constructor arguments of the task (only with an id), e.g. ``nodes=50`` for chess.

    Example:
        >>> env = TextGymEnv("wordle")
        >>> env.reset(seed=0, options={"word": "crane"})
        ('Wordle:\\n', {})
        >>> env.step("g r a c e")
        ('Wordle:\\ng r a c e\\nb g g y g\\n', -1.0, False, False, {})
        >>> env.observation_space.contains("Wordle:\\ng r a c e\\nb g g y g\\n")
        True
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, env: str | TextEnv, *, observation: str = "history", render_mode: str | None = None,
                 max_action_length: int = MAX_ACTION_LENGTH, charset: str = CHARSET, **env_kwargs: Any) -> None:
        if observation not in OBSERVATION_MODES:
            raise ValueError(f"observation must be one of {OBSERVATION_MODES}, got {observation!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        if not isinstance(max_action_length, int) or isinstance(max_action_length, bool) or max_action_length < 1:
            raise ValueError(f"max_action_length must be a positive int, got {max_action_length!r}")
        if isinstance(env, TextEnv):
            if env_kwargs:
                raise TypeError(f"env_kwargs {sorted(env_kwargs)} can only be used with an env id, not a TextEnv instance")
            self.text_env = env
        elif isinstance(env, str):
            self.text_env = make(env, **env_kwargs)
        else:
            raise TypeError(f"env must be an lmrl env id (str) or a TextEnv, got {type(env).__name__}")
        self.observation_mode = observation
        self.render_mode = render_mode
        self.action_space = TextSpace(max_action_length, min_length=0, charset=charset)
        self.observation_space = TextSpace(
            observation_max_length(self.text_env.max_steps, observation, max_action_length), min_length=1,
            charset=charset)

    def _observation(self, latest: str) -> str:
        if self.observation_mode == "history":
            return history_text(self.text_env.history)
        if self.observation_mode == "episode":
            return history_text(self.text_env.episode_texts)
        return latest

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start an episode; `seed` seeds the task's generator, `options` are the task's reset options."""
        super().reset(seed=seed)
        obs, info = self.text_env.reset(seed=seed, options=options)
        return self._observation(obs), copy.deepcopy(info)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Play one action; returns ``(observation, reward, terminated, truncated, info)``.

        Raises:
            lmrl_envs.EpisodeFinishedError: the episode has ended (call `reset`).
            TypeError: `action` is not a string.
        """
        obs, reward, terminated, truncated, info = self.text_env.step(action)
        return self._observation(obs), reward, terminated, truncated, copy.deepcopy(info)

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: the history text (empty before the first reset)."""
        if self.render_mode == "ansi":
            return history_text(self.text_env.history)
        return None

    def close(self) -> None:
        """Close the task (engine processes, models); safe to call twice."""
        self.text_env.close()


def register_gymnasium_envs() -> list[str]:
    """Register every lmrl env (`lmrl_envs.list_envs()`) with Gymnasium as ``lmrl/<id>``.

    Called when this module is imported; call it again after registering your own lmrl tasks.
    Ids already in Gymnasium's registry are left as they are. Nothing is imported until an env is
    made (the entry point is a string).

    Returns:
        The Gymnasium ids of all lmrl envs, sorted.

    Example:
        >>> "lmrl/maze-fo-v0" in register_gymnasium_envs()
        True
    """
    ids = []
    for env_id in list_envs():
        gym_id = f"{NAMESPACE}/{env_id}"
        if gym_id not in gymnasium.registry:
            gymnasium.register(gym_id, entry_point=f"{__name__}:TextGymEnv", kwargs={"env": env_id})
        ids.append(gym_id)
    return ids


register_gymnasium_envs()
