"""Endgame start positions: random sampling and the fixed evaluation set.

The evaluation set (``positions.txt``, 640 positions, 160 per family) is regenerated bit for bit by
``generate_eval_positions()`` (about 30 s; ``python -m lmrl_envs.tasks.chess.endgames`` rewrites
the file). Candidate ``i`` is drawn, independently of the engine, from
``random.Random(f"lmrl-endgames/{seed}/{i}")`` in family ``FAMILY_ORDER[i % 4]``; it is kept if
Stockfish (Threads 1, Hash 16 MiB, a fresh hash, ``EVAL_NODES`` = 20,000 nodes) finds no mate in
fewer than ``EVAL_MIN_MATE`` = 6 moves, until each family has its quota. So no kept position is
a mate a 20k-node search sees within 5 moves: each needs a plan (about 15 ms of Stockfish per
candidate, instead of the original's full mate-distance search). With Stockfish 15.1 the kept
fraction was KQK 85 %, KRK 95 %, KQRK 20 %, KRRK 30 % of candidates (measured on 40 each).
The candidate FENs do not depend on the engine; which candidates pass does (the file records the
version that made it).

Example:
    >>> import random
    >>> random_endgame(random.Random(0), "KRK").fen()
    '6k1/3R4/8/1K6/8/8/8/8 w - - 0 1'
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from importlib import resources

import chess

__all__ = [
    "EVAL_MIN_MATE",
    "EVAL_NODES",
    "EVAL_PER_FAMILY",
    "EVAL_SEED",
    "FAMILIES",
    "FAMILY_ORDER",
    "candidate",
    "eval_options",
    "eval_positions",
    "generate_eval_positions",
    "random_endgame",
]

FAMILIES: dict[str, str] = {"KQK": "Q", "KRK": "R", "KQRK": "QR", "KRRK": "RR"}
"""Endgame family -> White's pieces besides the king (Black has a lone king)."""
FAMILY_ORDER = tuple(FAMILIES)

EVAL_SEED = 0
EVAL_PER_FAMILY = 160
EVAL_NODES = 20_000
EVAL_MIN_MATE = 6
POSITIONS_FILE = "positions.txt"


def random_endgame(rng: random.Random, family: str) -> chess.Board:
    """A uniformly random legal position of ``family`` with White to move, not in check, not over.

    Pieces are placed on distinct random squares (rejection sampling until the position is
    legal: kings not adjacent, Black not in check, and White has a move).

    Example:
        >>> random_endgame(random.Random(1), "KQK").turn == chess.WHITE
        True
    """
    pieces = FAMILIES[family]
    while True:
        squares = rng.sample(range(64), 2 + len(pieces))
        board = chess.Board(None)
        board.set_piece_at(squares[0], chess.Piece(chess.KING, chess.WHITE))
        board.set_piece_at(squares[1], chess.Piece(chess.KING, chess.BLACK))
        for square, symbol in zip(squares[2:], pieces):
            board.set_piece_at(square, chess.Piece.from_symbol(symbol))
        board.turn = chess.WHITE
        if board.is_valid() and not board.is_check() and any(board.generate_legal_moves()):
            return board


def candidate(seed: int, index: int) -> tuple[str, chess.Board]:
    """Candidate ``index`` of the evaluation-set stream: ``(family, board)``, engine-independent.

    Example:
        >>> candidate(0, 1)[0]
        'KRK'
    """
    family = FAMILY_ORDER[index % len(FAMILY_ORDER)]
    return family, random_endgame(random.Random(f"lmrl-endgames/{seed}/{index}"), family)


def generate_eval_positions(
    seed: int = EVAL_SEED,
    per_family: int = EVAL_PER_FAMILY,
    *,
    nodes: int = EVAL_NODES,
    min_mate: int = EVAL_MIN_MATE,
    engine_path: str | None = None,
) -> Iterator[tuple[int, str, str]]:
    """Yield ``(index, family, fen)`` of the evaluation set, in candidate order.

    Example:
        >>> next(generate_eval_positions(per_family=1))[:2]        # doctest: +SKIP
        (0, 'KQK')
    """
    from lmrl_envs.tasks.chess.engine import EngineSettings, StockfishOpponent

    kept = dict.fromkeys(FAMILY_ORDER, 0)
    with StockfishOpponent(EngineSettings(threads=1, hash_mb=16), engine_path=engine_path) as engine:
        index = 0
        while min(kept.values()) < per_family:
            family, board = candidate(seed, index)
            if kept[family] < per_family:
                mate = engine.mate_in(board, nodes)
                if mate is None or mate >= min_mate:
                    kept[family] += 1
                    yield index, family, board.fen()
            index += 1


def read_positions_file(text: str) -> list[tuple[int, str, str]]:
    """Parse ``positions.txt``: ``#`` comment lines, then ``index<TAB>family<TAB>fen`` lines."""
    rows = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            index, family, fen = line.split("\t")
            rows.append((int(index), family, fen))
    return rows


@functools.cache
def _eval_rows() -> tuple[tuple[int, str, str], ...]:
    text = resources.files(__package__).joinpath(POSITIONS_FILE).read_text(encoding="utf-8")
    return tuple(read_positions_file(text))


def eval_positions() -> tuple[str, ...]:
    """The FENs of the fixed evaluation set (``options={"position_index": i}`` picks one)."""
    return tuple(fen for _, _, fen in _eval_rows())


def eval_options() -> list[dict[str, int]]:
    """The reset options of the fixed evaluation set, one per position: the Endgames evaluation protocol's
    starts (`lmrl_envs.spec("endgames").task.protocol`)."""
    return [{"position_index": i} for i in range(len(_eval_rows()))]


def _write_positions_file(path: str) -> None:  # pragma: no cover -- maintenance entry point
    from lmrl_envs.tasks.chess.engine import StockfishOpponent

    with StockfishOpponent("fast") as sf:
        version = sf.version()
    rows = list(generate_eval_positions())
    header = (
        f"# lmrl endgames evaluation set: {len(rows)} positions, {EVAL_PER_FAMILY} per family, seed {EVAL_SEED}.\n"
        f"# Kept if {version} (Threads 1, Hash 16, fresh hash, {EVAL_NODES} nodes) finds no mate in < {EVAL_MIN_MATE}.\n"
        "# Made by lmrl_envs.tasks.chess.endgames.generate_eval_positions().\n"
        "# index\tfamily\tfen\n"
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(header + "".join(f"{i}\t{fam}\t{fen}\n" for i, fam, fen in rows))


if __name__ == "__main__":  # pragma: no cover
    import pathlib

    _write_positions_file(str(pathlib.Path(__file__).with_name(POSITIONS_FILE)))
