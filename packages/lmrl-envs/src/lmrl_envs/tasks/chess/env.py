"""`ChessEnv` and `EndgamesEnv`: the agent plays White against Stockfish, moves in spaced SAN.

See the package docstring (`lmrl_envs.tasks.chess`) for the documentation page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar

import chess

from lmrl_envs.core import StepResult, TextEnv
from lmrl_envs.tasks.chess.endgames import FAMILIES, eval_positions, random_endgame
from lmrl_envs.tasks.chess.engine import START_TIMEOUT, EngineSettings, StockfishOpponent

__all__ = ["MAX_ACTION_CHARS", "ChessEnv", "EndgamesEnv", "board_text", "game_outcome", "move_text", "parse_action"]

MAX_ACTION_CHARS = 64
"""Longer action strings are invalid without being parsed (the longest SAN has 7 characters)."""


def board_text(board: chess.Board) -> str:
    """The observation: the FEN with every character space-separated, plus ``"\\n"``.

    Example:
        >>> board_text(chess.Board())[:24]
        'r n b q k b n r / p p p '
    """
    return " ".join(board.fen()) + "\n"


def move_text(board: chess.Board, move: chess.Move) -> str:
    """A move as an action: its SAN with every character space-separated, plus ``"\\n"``.

    Example:
        >>> move_text(chess.Board(), chess.Move.from_uci("g1f3"))
        'N f 3\\n'
    """
    return " ".join(board.san(move)) + "\n"


def parse_action(board: chess.Board, action: str) -> chess.Move | None:
    """The legal move an action names, or None if it names none.

    All whitespace is removed, then the rest is parsed by `chess.Board.parse_san` (which also
    accepts long algebraic such as ``"e2e4"``). Null moves (``"--"``, ``"0000"``) are illegal.

    Example:
        >>> parse_action(chess.Board(), "N f 3\\n")
        Move.from_uci('g1f3')
        >>> parse_action(chess.Board(), "N f 4\\n") is None
        True
    """
    if len(action) > MAX_ACTION_CHARS:
        return None
    san = "".join(action.split())
    try:
        move = board.parse_san(san)
    except ValueError:
        return None
    return move if move else None  # a null move is falsy


def game_outcome(board: chess.Board) -> str | None:
    """Why the game is over, or None. Draws by threefold repetition and the 50-move rule are applied
    as soon as the board satisfies them (as if the player to move claims).

    Example:
        >>> game_outcome(chess.Board("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1"))
        'stalemate'
    """
    if not any(board.generate_legal_moves()):
        return "checkmate" if board.is_check() else "stalemate"
    if board.is_insufficient_material():
        return "insufficient_material"
    if board.halfmove_clock >= 100:
        return "fifty_moves"
    if board.is_repetition(3):
        return "threefold_repetition"
    return None


def _start_board(fen: str) -> chess.Board:
    """Validate a start FEN from ``options["fen"]``."""
    problem = "expected a legal position with White to move that is not already over"
    if not isinstance(fen, str):
        raise TypeError(f"options['fen'] must be a FEN string, got {type(fen).__name__} {fen!r:.60}; {problem}")
    try:
        board = chess.Board(fen)
    except ValueError as exc:
        raise ValueError(f"options['fen']={fen!r} is not a FEN ({exc}); {problem}") from None
    if not board.is_valid():
        raise ValueError(f"options['fen']={fen!r} is not a legal position ({board.status()!r}); {problem}")
    if board.turn != chess.WHITE:
        raise ValueError(f"options['fen']={fen!r} has Black to move; the agent plays White; {problem}")
    outcome = game_outcome(board)
    if outcome is not None:
        raise ValueError(f"options['fen']={fen!r} is already over ({outcome}); {problem}")
    return board


class ChessEnv(TextEnv):
    """Full games of chess as White against Stockfish (``chess-v0``).

    Args:
        preset: the opponent, ``"fast"`` (default, 100 nodes per move, deterministic) or
            ``"paper"`` (the original's Elo-limited 100 ms per move), or an `EngineSettings`.
        max_moves: agent steps (legal or not) before the episode is truncated.
        engine_path: the Stockfish binary (default: ``$LMRL_STOCKFISH``, ``$CHESS_ENGINE_PATH``,
            ``stockfish`` on PATH, ``/usr/games/stockfish``).
        call_timeout: seconds an engine call may take before the process is restarted.
        start_timeout: seconds the engine may take to start and finish the UCI handshake; a
            program that does not (not a UCI engine) raises `EngineStartError` on the first move.
        **engine_overrides: `EngineSettings` fields replacing the preset's (e.g. ``nodes=1000``);
            search limits (``nodes``, ``depth``, ``time``) must be positive (`ValueError`).

    Example:
        >>> env = ChessEnv()
        >>> obs, info = env.reset(seed=0)
        >>> obs[:15]
        'r n b q k b n r'
        >>> env.step("e 4\\n")[1:3]                   # doctest: +SKIP
        (0.0, False)
        >>> env.close()
    """

    reward_range: ClassVar[tuple[float, float]] = (-1.0, 1.0)
    max_history: ClassVar[int | None] = 1
    option_keys: ClassVar[frozenset[str]] = frozenset({"fen"})
    default_max_moves: ClassVar[int] = 400

    def __init__(
        self,
        preset: str | EngineSettings = "fast",
        *,
        max_moves: int | None = None,
        engine_path: str | os.PathLike | None = None,
        call_timeout: float = 10.0,
        start_timeout: float = START_TIMEOUT,
        **engine_overrides: Any,
    ) -> None:
        super().__init__()
        max_moves = self.default_max_moves if max_moves is None else max_moves
        if not isinstance(max_moves, int) or max_moves < 1:
            raise ValueError(f"max_moves must be a positive int, got {max_moves!r}")
        self.max_moves = max_moves
        self.max_steps = max_moves  # instance attribute: the base class reads self.max_steps
        self.opponent = StockfishOpponent(
            preset, engine_path=engine_path, call_timeout=call_timeout, start_timeout=start_timeout, **engine_overrides
        )
        self.board = chess.Board()
        self._game: object = object()

    # ----------------------------------------------------------------- TextEnv hooks
    def _initial_board(self, options: dict[str, Any]) -> chess.Board:
        return _start_board(options["fen"]) if "fen" in options else chess.Board()

    def _reset(self, options: dict[str, Any]) -> tuple[str, dict]:
        self.board = self._initial_board(options)
        self._game = object()  # a new game for the engine: `ucinewgame`, cleared hash
        fen = self.board.fen()
        return " ".join(fen) + "\n", {"fen": fen}

    def _step(self, action: str) -> StepResult:
        board = self.board
        last = self.steps >= self.max_steps
        move = parse_action(board, action)
        if move is None:
            fen = board.fen()
            info: dict[str, Any] = {"invalid": True, "fen": fen}
            if last:
                info["success"] = False
            return StepResult(" ".join(fen) + "\n", -1.0, info=info)
        board.push(move)
        outcome = game_outcome(board)
        if outcome is not None:
            return self._end(outcome, 1.0 if outcome == "checkmate" else 0.0, None)
        reply = self.opponent.play(board, game=self._game)
        reply_san = board.san(reply)
        board.push(reply)
        outcome = game_outcome(board)
        if outcome is not None:
            return self._end(outcome, -1.0 if outcome == "checkmate" else 0.0, reply_san)
        fen = board.fen()
        info = {"fen": fen, "opponent_move": reply_san}
        if last:
            info["success"] = False
        return StepResult(" ".join(fen) + "\n", 0.0, info=info)

    def _end(self, outcome: str, reward: float, reply_san: str | None) -> StepResult:
        fen = self.board.fen()
        info = {"fen": fen, "opponent_move": reply_san, "outcome": outcome, "success": reward > 0}
        return StepResult(" ".join(fen) + "\n", reward, terminated=True, info=info)

    # ----------------------------------------------------------------- extras
    def valid_actions(self) -> list[str] | None:
        """Every legal move as an action (spaced SAN + ``"\\n"``); empty once the episode is over."""
        if self.done:
            return []
        board = self.board
        return [" ".join(board.san(m)) + "\n" for m in board.legal_moves]

    def close(self) -> None:
        """Kill the Stockfish process (a later step starts a new one). Safe to call twice."""
        self.opponent.close()


class EndgamesEnv(ChessEnv):
    """Chess endgames (``endgames-v0``): White has K+Q, K+R, K+Q+R or K+R+R against a lone king.

    Args:
        preset, engine_path, call_timeout, engine_overrides: as `ChessEnv`.
        max_moves: agent steps before truncation (default 100).
        families: the families random starts are drawn from (uniformly), a subset of
            ``("KQK", "KRK", "KQRK", "KRRK")``.

    Reset options: ``{"fen": FEN}`` starts from that position; ``{"position_index": i}`` from
    position ``i`` of the fixed evaluation set (`eval_positions`, 640 positions).

    Example:
        >>> env = EndgamesEnv()
        >>> obs, info = env.reset(options={"position_index": 0})
        >>> env.close()
    """

    option_keys: ClassVar[frozenset[str]] = frozenset({"fen", "position_index"})
    default_max_moves: ClassVar[int] = 100

    def __init__(
        self, preset: str | EngineSettings = "fast", *, families: Sequence[str] = tuple(FAMILIES), **kwargs: Any
    ):
        unknown = [f for f in families if f not in FAMILIES]
        if unknown or not families:
            raise ValueError(f"families must be a non-empty subset of {list(FAMILIES)}, got {list(families)!r}")
        self.families = tuple(families)
        super().__init__(preset, **kwargs)

    def _initial_board(self, options: dict[str, Any]) -> chess.Board:
        if "fen" in options and "position_index" in options:
            raise ValueError("pass either options['fen'] or options['position_index'], not both")
        if "position_index" in options:
            positions = eval_positions()
            i = options["position_index"]
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(positions):
                raise ValueError(f"options['position_index'] must be an int in [0, {len(positions)}), got {i!r}")
            return chess.Board(positions[i])
        if "fen" in options:
            return _start_board(options["fen"])
        return random_endgame(self.rng, self.rng.choice(self.families))
