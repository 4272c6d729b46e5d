"""Expert (best scripted) policies of the game tasks: the upper bounds used for normalisation.

Each is a `BehaviourPolicy` (the `lmrl_envs.Policy` protocol, run by `lmrl_envs.rollout`). Experts
that need the game state read it from the env that `rollout` passes to ``begin_episode(slot,
seed, env)`` (privileged access, like a solver); this is said in each class.

* **Maze** (`MazeBFSExpert`): a BFS-shortest-path move from the env's position (`env.position`;
  the same in FO and PO). Mean return over the 25 start cells: -6.84 (paper's FO maximum).
* **Text-Nav** (`TextNavWalkthroughExpert`): the next walkthrough action of the env's game state
  (`lmrl_envs.tasks.text_nav.walkthrough`); wins every episode (return 1).
* **Wordle** (`WordleInfoGainExpert`): the guess that maximises the entropy of the feedback-pattern
  partition of the consistent set (any vocabulary word may be guessed; ties go to a consistent
  word, then to vocabulary order); with one consistent word left it guesses it. Not privileged:
  the consistent set is the same as `consistent_words` of the history (the env's `candidates`
  is used when the env is given, for speed).
* **Chess / Endgames** (`EngineExpert`): White's Stockfish with a larger node budget (20,000)
  than the env's 100-node opponent, no random moves (reads `env.board`).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from functools import lru_cache
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_data.policies.chess import _EngineMixture
from lmrl_envs import TextHistory

__all__ = ["EngineExpert", "MazeBFSExpert", "TextNavWalkthroughExpert", "WordleInfoGainExpert"]


def _need_env(policy: BehaviourPolicy, attr: str) -> Any:
    if policy.env is None or not hasattr(policy.env, attr):
        raise RuntimeError(f"{type(policy).__name__} reads env.{attr}: run it with lmrl_envs.rollout, which passes the "
                           "env to begin_episode(slot, seed, env)")
    return policy.env


class MazeBFSExpert(BehaviourPolicy):
    """Shortest-path moves from the env's position (privileged in PO: reads `env.position`).

    Example:
        >>> import lmrl_envs
        >>> eps = lmrl_envs.rollout(lmrl_envs.make("maze-po"), MazeBFSExpert(), 25, seed=0)
        >>> all(e.success for e in eps)
        True
    """

    name = "maze-bfs-expert"

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        return {"env": _need_env(self, "position")}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        from lmrl_envs.tasks.maze import optimal_actions

        moves = optimal_actions(state["env"].position)
        return moves[0] if moves else "move up\n"


class TextNavWalkthroughExpert(BehaviourPolicy):
    """The next action of the walkthrough from the env's game state (privileged: reads `env.state`)."""

    name = "text-nav-walkthrough-expert"

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        return {"env": _need_env(self, "state")}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        from lmrl_envs.tasks.text_nav import walkthrough

        env = state["env"]
        plan = walkthrough(env.state)
        return plan[0] if plan else (env.valid_actions() or ["look\n"])[0]


@lru_cache(maxsize=4)
def _wordle_tables(vocab: tuple[str, ...], rule: str) -> tuple[tuple[bytes, ...], dict[str, int]]:
    from lmrl_envs.tasks.wordle import feedback_table

    return feedback_table(vocab, rule), {w: i for i, w in enumerate(vocab)}


def best_wordle_guess(candidates: list[int], table: tuple[bytes, ...]) -> int:
    """Index of the guess maximising the entropy of the feedback partition of `candidates`.

    Ties go to a guess in `candidates` (it may win now), then to the lowest index.

    Example:
        >>> from lmrl_envs.tasks.wordle import feedback_table
        >>> vocab = ("crane", "react", "trace", "slate")
        >>> best_wordle_guess([0, 1, 2, 3], feedback_table(vocab))
        0
    """
    if len(candidates) <= 2:
        return candidates[0]
    n = len(candidates)
    cand_set = set(candidates)
    best, best_key = candidates[0], (-1.0, False)
    for g, row in enumerate(table):
        counts = Counter(row[a] for a in candidates)
        if len(counts) == 1 and g not in cand_set:
            continue
        h = -sum(c / n * math.log2(c / n) for c in counts.values())
        key = (round(h, 12), g in cand_set)
        if key > best_key:
            best, best_key = g, key
    return best


class WordleInfoGainExpert(BehaviourPolicy):
    """Greedy information gain over the consistent set (see the module doc).

    Example:
        >>> import lmrl_envs
        >>> ep = lmrl_envs.rollout(lmrl_envs.make("wordle"), WordleInfoGainExpert(), 1, seed=0)[0]
        >>> ep.success
        True
    """

    name = "wordle-info-gain-expert"

    def __init__(self) -> None:
        super().__init__()
        self._first: dict[tuple, int] = {}

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        return {"env": self.env}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        from lmrl_envs.tasks.wordle import consistent_words, format_guess, guesses_from_history, load_vocab

        env = state["env"]
        vocab, rule = (tuple(env.vocab), env.rule) if env is not None else (load_vocab(), "lmrl")
        table, index = _wordle_tables(vocab, rule)
        pairs = [(g, f) for g, f in guesses_from_history(history) if f]
        if not pairs:
            key = (vocab, rule)
            if key not in self._first:
                self._first[key] = best_wordle_guess(list(range(len(vocab))), table)
            return format_guess(vocab[self._first[key]])
        words = env.candidates if env is not None else consistent_words(pairs, vocab, rule)
        return format_guess(vocab[best_wordle_guess([index[w] for w in words], table)])


class EngineExpert(_EngineMixture):
    """White's engine at `nodes` per move, no random moves (reads `env.board`).

    Args:
        preset: the engine preset (the env's presets).
        nodes: node budget per move (the env's opponent searches 100).
    """

    name = "chess-engine-expert"

    def __init__(self, preset: str = "fast", nodes: int | None = 20_000) -> None:
        super().__init__(preset=preset, nodes=nodes)

    def random_prob(self, seed: int) -> tuple[float, dict[str, Any]]:
        return 0.0, {}
