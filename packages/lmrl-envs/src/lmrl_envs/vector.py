"""Vectorised stepping and the one rollout loop every lmrl package uses.

`VectorEnv` steps N environments together. Each slot plays a stream of episodes given by
`EpisodeSpec`s (a seed and reset options); when a slot's episode ends it records the finished
`Episode` and immediately starts the next spec (auto-reset, continuous batching), so the batch
stays full until the specs run out. Slow environments (a chess engine, a language-model oracle) can
be stepped in a thread pool (`workers=`), so one slow step does not serialise the batch.

`rollout(envs, policy, n_episodes)` is the loop on top: it asks the policy for one action per
active slot, steps, and returns the episodes in spec order, whatever the batch size.

Example:
    >>> import lmrl_envs
    >>> envs = [lmrl_envs.make("maze-fo") for _ in range(4)]
    >>> episodes = rollout(envs, lambda hs: ["move up\\n"] * len(hs), n_episodes=8, seed=0)
    >>> len(episodes), episodes[0].seed
    (8, 0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lmrl_envs.core import TextEnv, TextHistory
from lmrl_envs.episode import Episode

__all__ = ["EpisodeSpec", "Policy", "VectorEnv", "as_policy", "rollout", "specs_from_seeds"]


@dataclass(frozen=True)
class EpisodeSpec:
    """What determines one episode: the reset seed and options (e.g. a maze start cell)."""

    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


def specs_from_seeds(n: int, seed: int = 0, options: dict[str, Any] | None = None) -> list[EpisodeSpec]:
    """`n` specs with seeds ``seed, seed + 1, ...`` (the default protocol of `rollout`)."""
    return [EpisodeSpec(seed + i, dict(options or {})) for i in range(n)]


@runtime_checkable
class Policy(Protocol):
    """Maps a batch of histories to one action string each.

    `slots[i]` names the vector slot that `histories[i]` comes from, so a policy can keep per-slot
    state (e.g. a KV cache); `end_episode(slot)` is called when that slot's episode ends.

    Optional, used by `rollout` when present:

    - ``wants_valid_actions = True``: `act` is called as
      ``act(histories, slots, valid_actions=[env.valid_actions() for each slot])`` (a list per
      history, or None where the task has no small action set): re-ranking decoders and random
      policies use it.
    - ``begin_episode(slot, seed, env)``: called after a slot's env is reset, with the episode's
      seed (so a policy can seed itself per episode, independent of batching) and the env
      (privileged access for scripted solvers and behaviour policies).
    - ``episode_info(slot) -> dict``: recorded as ``info["behaviour"]`` of the finished episode.
    - An action of ``None`` ends that slot's episode there (recorded as truncated, with
      ``info["cut_off"] = True``): behaviour policies with a random horizon use it.
    """

    def act(self, histories: Sequence[TextHistory], slots: Sequence[int]) -> list[str]: ...

    def end_episode(self, slot: int) -> None: ...


class _FnPolicy:
    def __init__(self, fn: Callable[[Sequence[TextHistory]], Sequence[str]]):
        self.fn = fn

    def act(self, histories: Sequence[TextHistory], slots: Sequence[int]) -> list[str]:
        return list(self.fn(histories))

    def end_episode(self, slot: int) -> None:
        pass


def as_policy(policy: Policy | Callable[[Sequence[TextHistory]], Sequence[str]]) -> Policy:
    """Accept a `Policy` or a plain function ``histories -> actions``."""
    if hasattr(policy, "act"):
        return policy  # type: ignore[return-value]
    if callable(policy):
        return _FnPolicy(policy)
    raise TypeError(f"a policy must have .act(histories, slots) or be callable, got {type(policy).__name__}")


class _Recorder:
    """Per-slot bookkeeping of the running episode."""

    __slots__ = ("spec", "index", "rewards", "context_start", "invalid", "last_info")

    def __init__(self, spec: EpisodeSpec, index: int):
        self.spec, self.index = spec, index
        self.rewards: list[float] = []
        self.context_start: list[int] = []
        self.invalid = 0
        self.last_info: dict[str, Any] = {}


class VectorEnv:
    """N environments stepped together with auto-reset from a stream of episode specs.

    Args:
        envs: the environments (one per slot), e.g. ``[make("wordle") for _ in range(64)]``.
        specs: the episodes to play, in order; slots take the next one as they free up.
            Default: an endless stream with seeds ``seed, seed + 1, ...``.
        seed: first seed of the default stream.
        workers: step environments in a thread pool of this size (for slow envs); 0 = inline.

    Example:
        >>> import lmrl_envs
        >>> venv = VectorEnv([lmrl_envs.make("wordle") for _ in range(2)], seed=0)
        >>> [h[0].text for h in venv.histories()]
        ['Wordle:\\n', 'Wordle:\\n']
        >>> obs, rewards, terminated, truncated, infos = venv.step(["c r a n e\\n", "x\\n"])
        >>> rewards
        [-1.0, -1.0]
    """

    def __init__(self, envs: Sequence[TextEnv], specs: Iterable[EpisodeSpec] | None = None, *, seed: int = 0,
                 workers: int = 0):
        if not envs:
            raise ValueError("VectorEnv needs at least one environment")
        self.envs = list(envs)
        self._specs: Iterator[EpisodeSpec] = iter(specs) if specs is not None else _endless(seed)
        self._next_index = 0
        self._pool = ThreadPoolExecutor(workers) if workers > 0 else None
        self._rec: list[_Recorder | None] = [None] * len(self.envs)
        self.finished: list[tuple[int, Episode]] = []
        """(spec index, episode) of every episode finished so far; `pop_finished` drains it."""
        for slot in range(len(self.envs)):
            self._start(slot)

    @property
    def num_envs(self) -> int:
        return len(self.envs)

    def active_slots(self) -> list[int]:
        """Slots with a running episode (all of them until the specs run out)."""
        return [i for i, r in enumerate(self._rec) if r is not None]

    def histories(self, slots: Sequence[int] | None = None) -> list[TextHistory]:
        """Current histories of the given (default: active) slots."""
        slots = self.active_slots() if slots is None else slots
        return [self.envs[i].history for i in slots]

    def valid_actions(self, slots: Sequence[int] | None = None) -> list[list[str] | None]:
        """`valid_actions()` of the given (default: active) slots' envs."""
        slots = self.active_slots() if slots is None else slots
        return [self.envs[i].valid_actions() for i in slots]

    def step(self, actions: Sequence[str], slots: Sequence[int] | None = None):
        """Step the given (default: all active) slots; finished slots reset to their next spec.

        Returns:
            Lists ``observations, rewards, terminated, truncated, infos`` aligned with `slots`. For a
            slot whose episode ended, the observation is the final one and
            ``infos[i]["episode"]`` holds the finished `Episode`.
        """
        slots = self.active_slots() if slots is None else list(slots)
        if len(actions) != len(slots):
            raise ValueError(f"got {len(actions)} actions for {len(slots)} slots")
        for s in slots:
            if self._rec[s] is None:
                raise ValueError(f"slot {s} has no running episode")
        starts = [self.envs[s].history_start for s in slots]
        if self._pool is None:
            results = [self._step_one(s, a) for s, a in zip(slots, actions, strict=True)]
        else:
            results = list(self._pool.map(lambda sa: self._step_one(*sa), zip(slots, actions, strict=True)))
        out = ([], [], [], [], [])
        for slot, start, (obs, reward, term, trunc, info) in zip(slots, starts, results, strict=True):
            rec = self._rec[slot]
            if info.get("cut_off"):
                if not rec.rewards:
                    raise ValueError(f"the policy ended the episode in slot {slot} (action None) before its first action")
                rec.last_info = {"success": False, "cut_off": True}
            else:
                rec.rewards.append(reward)
                rec.context_start.append(start)
                rec.invalid += bool(info.get("invalid", False))
                rec.last_info = info
            if term or trunc:
                info = dict(info, episode=self._finish(slot, term, trunc))
                self._start(slot)
            for lst, v in zip(out, (obs, reward, term, trunc, info), strict=True):
                lst.append(v)
        return out

    def current_seed(self, slot: int) -> int | None:
        """Seed of the episode running in `slot` (None when idle or unseeded)."""
        rec = self._rec[slot]
        return None if rec is None else rec.spec.seed

    def is_active(self, slot: int) -> bool:
        """Whether `slot` has a running episode."""
        return self._rec[slot] is not None

    def pop_finished(self) -> list[tuple[int, Episode]]:
        """Return and clear the (spec index, episode) pairs finished since the last call."""
        done, self.finished = self.finished, []
        return done

    def close(self) -> None:
        """Close every environment and the thread pool."""
        for env in self.envs:
            env.close()
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> VectorEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _step_one(self, slot: int, action: str | None):
        if action is None:
            return self.envs[slot].episode_texts[-1].text, 0.0, False, True, {"cut_off": True}
        return self.envs[slot].step(action)

    def _start(self, slot: int) -> None:
        spec = next(self._specs, None)
        if spec is None:
            self._rec[slot] = None
            return
        self._rec[slot] = _Recorder(spec, self._next_index)
        self._next_index += 1
        self.envs[slot].reset(seed=spec.seed, options=spec.options)

    def _finish(self, slot: int, terminated: bool, truncated: bool) -> Episode:
        env, rec = self.envs[slot], self._rec[slot]
        info = {k: v for k, v in rec.last_info.items() if k in ("success", "cut_off") or k.startswith("final_")}
        info["invalid_actions"] = rec.invalid
        if truncated and not terminated:
            # where the history of the state the episode was cut in starts: value learners bootstrap from it
            info["final_context_start"] = env.history_start
        if rec.spec.options:
            info["options"] = rec.spec.options
        ep = Episode(
            env_id=env.env_id or type(env).__name__,
            seed=rec.spec.seed,
            texts=[t.text for t in env.episode_texts],
            is_action=[t.is_action for t in env.episode_texts],
            rewards=rec.rewards,
            context_start=rec.context_start,
            terminated=terminated,
            truncated=truncated,
            info=info,
        )
        self.finished.append((rec.index, ep))
        return ep


def _endless(seed: int) -> Iterator[EpisodeSpec]:
    i = seed
    while True:
        yield EpisodeSpec(i)
        i += 1


def rollout(envs: TextEnv | Sequence[TextEnv], policy: Policy | Callable, n_episodes: int | None = None, *,
            seed: int = 0, specs: Sequence[EpisodeSpec] | None = None, workers: int = 0,
            progress: bool = False) -> list[Episode]:
    """Play episodes with a policy over one or many environments; the one rollout loop.

    Args:
        envs: one env or a list (the batch: one slot each).
        policy: a `Policy` or a function ``histories -> actions``.
        n_episodes: how many episodes (seeds ``seed .. seed + n_episodes - 1``), or pass `specs`.
        seed: first seed when `specs` is not given.
        specs: exact episodes to play (seeds and reset options).
        workers: thread pool size for stepping slow envs (0 = inline).
        progress: show a tqdm progress bar (if tqdm is installed).

    Returns:
        The finished episodes, in the order of their specs (independent of the batch size).

    Example:
        >>> import lmrl_envs
        >>> eps = rollout(lmrl_envs.make("maze-fo"), lambda hs: ["move left\\n"] * len(hs), 2, seed=5)
        >>> [e.seed for e in eps]
        [5, 6]
    """
    if specs is None:
        if n_episodes is None:
            raise ValueError("rollout needs n_episodes or specs")
        specs = specs_from_seeds(n_episodes, seed)
    specs = list(specs)
    env_list = [envs] if isinstance(envs, TextEnv) else list(envs)
    env_list = env_list[: max(1, len(specs))]
    pol = as_policy(policy)
    begin = getattr(pol, "begin_episode", None)
    episode_info = getattr(pol, "episode_info", None)
    venv = VectorEnv(env_list, specs, workers=workers)
    bar = _progress(len(specs), progress)
    results: dict[int, Episode] = {}
    try:
        if begin is not None:
            for slot in venv.active_slots():
                begin(slot, venv.current_seed(slot), venv.envs[slot])
        while slots := venv.active_slots():
            if getattr(pol, "wants_valid_actions", False):
                actions = pol.act(venv.histories(slots), slots, valid_actions=venv.valid_actions(slots))
            else:
                actions = pol.act(venv.histories(slots), slots)
            if len(actions) != len(slots):
                raise ValueError(f"policy returned {len(actions)} actions for {len(slots)} histories")
            *_, infos = venv.step(actions, slots)
            for slot, info in zip(slots, infos, strict=True):
                if "episode" in info:
                    if episode_info is not None and (behaviour := episode_info(slot)):
                        info["episode"].info["behaviour"] = behaviour
                    pol.end_episode(slot)
                    if begin is not None and venv.is_active(slot):
                        begin(slot, venv.current_seed(slot), venv.envs[slot])
            for index, ep in venv.pop_finished():
                results[index] = ep
                if bar is not None:
                    bar.update(1)
    finally:
        if venv._pool is not None:
            venv._pool.shutdown()
        if bar is not None:
            bar.close()
    return [results[i] for i in range(len(specs))]


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="ep", desc="rollout")
