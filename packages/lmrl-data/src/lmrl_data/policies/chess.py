"""Chess and Endgames behaviour policies: a Stockfish White weakened by random moves.

Both play White with their own Stockfish process (`StockfishOpponent`, the env's deterministic
``"fast"`` preset: 100 nodes per move, one thread), so a game is a pure function of its seed.

**Chess** (`WeakenedEnginePolicy`). The original played Stockfish 15.1 against itself, White's
``UCI_Elo`` drawn from U[800, 1600] per game against a Black of Elo 1200. Stockfish's own strength
limit cannot be used here: it is not reproducible (it picks moves with a clock-seeded generator)
and Stockfish 15.1 accepts no Elo below 1350. We keep the per-game strength draw and realise it
by mixing: per game an "Elo" ``y ~ U[elo_min, elo_max]`` is drawn and White plays a uniformly
random legal move with probability ``random_prob(y)``, linear from `random_at_min` (at
`elo_min`) to `random_at_max` (at `elo_max`), else the engine's move. White's engine searches 4000 nodes
per move against the env's 100-node opponent (with equal budgets the two engines are the same
deterministic player and White wins at most ~25 % even without random moves). With random-move
probability 0.15 -> 0.0 (the recipe), 240 games (seed 0): White wins 0.621 (paper 0.60), return
0.275 +- 0.944 (paper 0.210 +- 0.970), length 47.3 +- 21.0 (paper 46.7 +- 18.2); with 0.3 -> 0.0 it
won only 0.375 of 120 games (return -0.183).

**Endgames** (`EndgameMixturePolicy`). From the env's random K+Q / K+R / K+Q+R / K+R+R vs K
positions, each White move is random with probability `random_prob` (0.3), else the move of White's
engine at 2000 nodes (the paper reports 38 % engine moves, with a full-strength engine; at the
env's 100 nodes White mostly draws by repetition even without random moves). Measured on 500 games
(seed 0): success 0.594, length 14.8 (paper 0.59, 11.9); with 0.4 success was 0.506, length 15.0.
"""

from __future__ import annotations

import random
from typing import Any

from lmrl_data.policies.base import BehaviourPolicy
from lmrl_envs import TextHistory
from lmrl_envs.tasks.chess import StockfishOpponent, move_text

__all__ = ["EndgameMixturePolicy", "WeakenedEnginePolicy"]


class _EngineMixture(BehaviourPolicy):
    """Engine move, or with a per-episode probability a uniformly random legal move."""

    def __init__(self, preset: str = "fast", nodes: int | None = None, **params: Any) -> None:
        super().__init__(preset=preset, nodes=nodes, **params)
        self.preset, self.nodes = preset, nodes
        self._engine: StockfishOpponent | None = None

    @property
    def engine(self) -> StockfishOpponent:
        if self._engine is None:
            overrides = {} if self.nodes is None else {"nodes": self.nodes}
            self._engine = StockfishOpponent(self.preset, **overrides)
        return self._engine

    def random_prob(self, seed: int) -> tuple[float, dict[str, Any]]:
        raise NotImplementedError

    def start(self, seed: int, rng: random.Random) -> dict[str, Any]:
        if self.env is None or not hasattr(self.env, "board"):
            raise RuntimeError(f"{type(self).__name__} needs the chess env (begin_episode(slot, seed, env))")
        p, info = self.random_prob(seed)
        return {"env": self.env, "p": p, "game": object(), "random": 0, "engine": 0, "info": info}

    def choose(self, history: TextHistory, state: dict[str, Any], rng: random.Random) -> str:
        board = state["env"].board
        if rng.random() < state["p"]:
            state["random"] += 1
            move = rng.choice(sorted(board.legal_moves, key=lambda m: m.uci()))
        else:
            state["engine"] += 1
            move = self.engine.play(board, game=state["game"])
        return move_text(board, move)

    def describe(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state["info"], "random_prob": round(state["p"], 4), "random_moves": state["random"],
                "engine_moves": state["engine"]}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


class WeakenedEnginePolicy(_EngineMixture):
    """Full games: per-game "Elo" y ~ U[elo_min, elo_max], random-move probability linear in y.

    Args:
        elo_min, elo_max: the range of the per-game strength draw (paper: 800-1600).
        random_at_min, random_at_max: random-move probability at `elo_min` and at `elo_max`.
        preset: White's engine preset (the env's presets).
        nodes: override of White's node budget per move (None: the preset's).
    """

    name = "chess-weakened-engine"

    def __init__(self, elo_min: int = 800, elo_max: int = 1600, random_at_min: float = 0.15,
                 random_at_max: float = 0.0, preset: str = "fast", nodes: int | None = 4000) -> None:
        super().__init__(preset=preset, nodes=nodes, elo_min=elo_min, elo_max=elo_max, random_at_min=random_at_min,
                         random_at_max=random_at_max)
        self.elo_min, self.elo_max = elo_min, elo_max
        self.random_at_min, self.random_at_max = random_at_min, random_at_max

    def random_prob(self, seed: int) -> tuple[float, dict[str, Any]]:
        elo = self.episode_rng("elo", seed).uniform(self.elo_min, self.elo_max)
        t = (elo - self.elo_min) / max(1e-9, self.elo_max - self.elo_min)
        return self.random_at_min + t * (self.random_at_max - self.random_at_min), {"elo": round(elo, 1)}


class EndgameMixturePolicy(_EngineMixture):
    """Endgames: each move random with probability `random_prob`, else the engine's.

    Args:
        random_prob: probability of a uniformly random legal move.
        preset: White's engine preset.
        nodes: override of White's node budget per move (None: the preset's).
    """

    name = "endgames-engine-mixture"

    def __init__(self, random_prob: float = 0.3, preset: str = "fast", nodes: int | None = 2000) -> None:
        super().__init__(preset=preset, nodes=nodes, random_prob=random_prob)
        self._p = random_prob

    def random_prob(self, seed: int) -> tuple[float, dict[str, Any]]:
        return self._p, {}
