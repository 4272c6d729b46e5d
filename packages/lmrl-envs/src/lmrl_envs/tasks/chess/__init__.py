"""Chess and Chess Endgames: play White against Stockfish, one SAN move per step (LMRL-Gym "Chess", "Endgames").

=================  ==========================================================================
Ids                ``chess-v0`` (`ChessEnv`), ``endgames-v0`` (`EndgamesEnv`)
Turns              one agent move per step; the opponent's reply is part of the same step
Observation        the FEN with every character space-separated, plus ``"\\n"``; the start is
                   ``"r n b q k b n r / p p p p p p p p / 8 / 8 / 8 / 8 / P P P P P P P P /
                   R N B Q K B N R   w   K Q k q   -   0   1\\n"``
History            only the current board (``max_history = 1``; no move list)
Action             SAN with every character space-separated, plus ``"\\n"`` (``"N f 3\\n"``);
                   whitespace is removed and the rest parsed by ``Board.parse_san`` (so
                   ``"Nf3"`` and long algebraic ``"g1f3"`` work too); `valid_actions()` lists
                   every legal move in the spaced form
Reward             +1 if the agent's move checkmates; -1 if the opponent's reply checkmates;
                   -1 for an illegal or unparsable move (``info["invalid"] = True``; the game
                   continues from the same position, the observation repeats the board);
                   0 otherwise, draws included
Terminated         checkmate (``info["success"]`` is True iff the agent mated), stalemate,
                   insufficient material, threefold repetition, 50-move rule
                   (``info["outcome"]`` names which)
Truncated          after ``max_moves`` agent steps, legal or not: 400 for chess, 100 for
                   endgames; a return is >= -max_moves (-400 for chess; see below on -401)
Start              chess: the initial position. Endgames: a random legal position (White to
                   move, not in check, not over) of K+Q, K+R, K+Q+R or K+R+R vs K, family
                   uniform, squares uniform, drawn from the env's seeded generator.
                   ``options={"fen": FEN}`` (both envs) starts from a validated FEN;
                   ``options={"position_index": i}`` (endgames) from the fixed evaluation set
Opponent           Stockfish through ``chess.engine.SimpleEngine.popen_uci``, one process per
                   env, presets ``"fast"`` (default) and ``"paper"`` (below)
=================  ==========================================================================

Info on every step: ``"fen"`` (the board after the step) and ``"opponent_move"`` (the reply in
SAN, None if the game ended on the agent's move); ``"outcome"`` and ``"success"`` on the last
step. The observation after a game-ending agent move is that board (Black to move).

**Draws.** Stalemate and insufficient material end the game as in the rules. Threefold
repetition and the 50-move rule end it as soon as the board satisfies them (as if the player to
move claims, as chess servers do automatically); this also covers the automatic fivefold and
75-move rules. A move that would *lead* to a threefold repetition does not count until played.

**Opponent presets** (Stockfish 15.1, the version the original shipped, ``/usr/games/stockfish``
on Debian/Ubuntu):

* ``"fast"`` (default): 100 nodes per move, ``Threads=1``, ``Hash=1`` MiB, full strength, a
  new game (``ucinewgame``) at every reset. Deterministic: the same seed and actions give the
  same bytes. Measured with a random-legal-move agent (``valid_actions()``), one env, on a shared
  2-core machine: about 1,000 agent moves/s (chess: 65 games/s, 16 moves per game; endgames
  about the same). The UCI round trip through python-chess (about 0.6 ms) is ~70 % of the time,
  the env itself (SAN of every legal move for the agent, game-end checks) the rest; the node
  budget barely matters (``nodes=1`` is as fast). Strength: stronger than ``paper`` (it scored
  5/6 against it in a 6-game match; even ``nodes=1`` scored 4/6), since the Elo limit makes
  Stockfish play deliberately weak moves while any node budget plays its best move.
* ``"paper"``: the original's settings, ``Threads=1``, ``UCI_Elo=1200``, 100 ms per move.
  Stockfish 15.1's ``UCI_Elo`` range is 1350..2850 and Stockfish silently ignores out-of-range
  values (python-chess rejects them), so the request is clamped to 1350 and
  ``UCI_LimitStrength=true`` is set, which is what the original did with a recent ``stockfish``
  Python package (it turns ``UCI_LimitStrength`` on whenever ``UCI_Elo`` is passed); with old
  versions of that package the limit was off and the engine played at full strength for 100 ms.
  Not reproducible: the time limit depends on CPU load and Stockfish's strength limit picks moves
  with a clock-seeded random generator. About 10 agent moves/s (0.6 games/s with a random agent):
  the 100 ms think time is all of it.
* Any `EngineSettings` field can be overridden: ``make("chess", nodes=1000)``,
  ``make("chess", preset="paper", elo=1500)``; a search limit that is not positive
  (``nodes=-5``, ``depth=0``, ``time=0``) is a `ValueError`.

Finding Stockfish: ``engine_path=...``, else ``$LMRL_STOCKFISH``, else ``$CHESS_ENGINE_PATH`` (the
original's variable), else ``stockfish`` on ``PATH``, else ``/usr/games/stockfish``; otherwise
`EngineNotFoundError` says how to install it (``apt-get install stockfish``). The process starts
on the first opponent move; a program that is not a UCI engine (it exits, or does not finish the
UCI handshake within ``start_timeout``, 10 s) raises `EngineStartError` naming the path. The
process is restarted if it dies or does not answer within ``call_timeout`` (the call is retried
once), and killed by ``env.close()``, by garbage collection, or at interpreter exit.

**Endgames evaluation set**: 640 fixed positions (160 per family) in ``positions.txt``, made by
`generate_eval_positions` (seeded, bit for bit; ``python -m lmrl_envs.tasks.chess.endgames``
rewrites the file in about 25 s): a candidate is kept if a 20,000-node Stockfish 15.1 search
(Threads 1, fresh hash) finds no mate in fewer than 6 moves, i.e. the position needs a plan. The
candidate FENs do not depend on the engine; the filter does. The original used 645 positions
where Stockfish reported mate-in >= 15, a costly deep search; since K+Q vs K is mate in at most
10 with best play, that criterion mostly selects K+R vs K positions (at most 16). The evaluation plays
each position once (`eval_options`, the ``endgames`` task record's protocol).

Differences from the original, and why:

* The default opponent is the ``fast`` preset (deterministic, cheap on a CPU); ``preset="paper"``
  gives the original's settings. The original's Elo 1200 request could not take effect on
  Stockfish 15.1 (minimum 1350), see above.
* The observation ends with ``"\\n"`` (as in the original's BC data, ``preprocess_state``; its
  online env ``FenChessHistoryEnv`` omitted it): every lmrl text ends with a newline, and a model
  trained on the data sees the same string online.
* A null move (``"--"``, ``"0000"``) is an illegal move (-1, the game goes on); the original
  ended the game with -1.
* The lowest return here is -400 (-100 for endgames): every agent step counts toward
  ``max_moves`` and one step earns at most one -1. The paper's score normalisation uses -401
  (Chess) and -1 (Endgames) as minimum returns; those are normalisation constants, not bounds
  of this env.
* Endgames default to ``max_moves=100`` agent steps (the original used the same 400-move env;
  the 50-move rule ends a game without progress earlier anyway; KR vs K needs at most 16 moves
  with best play).
* Draws by repetition and the 50-move rule are applied automatically (see above).
* Terminated and truncated are separate; the original had one ``done``.

Version log:

* v0: first version.
"""

from lmrl_envs.tasks.chess.endgames import (
    FAMILIES,
    eval_options,
    eval_positions,
    generate_eval_positions,
    random_endgame,
)
from lmrl_envs.tasks.chess.engine import (
    PRESETS,
    EngineFailedError,
    EngineNotFoundError,
    EngineSettings,
    EngineStartError,
    StockfishOpponent,
    find_stockfish,
)
from lmrl_envs.tasks.chess.env import ChessEnv, EndgamesEnv, board_text, game_outcome, move_text, parse_action

__all__ = [
    "FAMILIES",
    "PRESETS",
    "ChessEnv",
    "EndgamesEnv",
    "EngineFailedError",
    "EngineNotFoundError",
    "EngineSettings",
    "EngineStartError",
    "StockfishOpponent",
    "board_text",
    "eval_options",
    "eval_positions",
    "find_stockfish",
    "game_outcome",
    "generate_eval_positions",
    "move_text",
    "parse_action",
    "random_endgame",
]
