"""The Stockfish opponent: discovery, presets, and a UCI process owned by the env.

`StockfishOpponent` wraps one ``stockfish`` process driven through python-chess
(`chess.engine.SimpleEngine.popen_uci`). The process is started lazily on the first move (a
program that does not complete the UCI handshake within ``start_timeout`` seconds, e.g. a path
that is not a chess engine, raises `EngineStartError`), restarted when it dies or hangs (every
call has a timeout; after a timeout or an `EngineError` the process is killed, restarted and the
call retried once), and killed by `close()`, by garbage collection of the opponent, or at
interpreter exit.

Example:
    >>> import chess
    >>> with StockfishOpponent("fast") as sf:          # doctest: +SKIP
    ...     move = sf.play(chess.Board(), game=0)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import os
import shutil
import threading
import weakref
from dataclasses import dataclass, field, replace
from typing import Any

import chess
import chess.engine

__all__ = [
    "ENGINE_ENV_VARS",
    "PRESETS",
    "EngineFailedError",
    "EngineNotFoundError",
    "EngineSettings",
    "EngineStartError",
    "StockfishOpponent",
    "find_stockfish",
]

LOGGER = logging.getLogger(__name__)

ENGINE_ENV_VARS = ("LMRL_STOCKFISH", "CHESS_ENGINE_PATH")
"""Environment variables naming the Stockfish binary, in the order they are read."""

_FALLBACK_PATHS = ("/usr/games/stockfish", "/usr/local/bin/stockfish", "/opt/homebrew/bin/stockfish")


class EngineNotFoundError(FileNotFoundError):
    """No Stockfish binary was found (the message says how to install or point to one)."""


def find_stockfish(engine_path: str | os.PathLike | None = None) -> str:
    """Locate the Stockfish binary.

    Order: the explicit ``engine_path``; the env vars ``LMRL_STOCKFISH`` then
    ``CHESS_ENGINE_PATH`` (the original LMRL-Gym's name); ``stockfish`` on ``PATH``;
    ``/usr/games/stockfish`` (Debian/Ubuntu) and two other common install paths.

    Raises:
        EngineNotFoundError: if the explicit path or env var names no executable file, or
            nothing is found.

    Example:
        >>> find_stockfish()                                # doctest: +SKIP
        '/usr/games/stockfish'
    """
    hint = (
        "Install Stockfish (Debian/Ubuntu: `apt-get install stockfish`; macOS: `brew install stockfish`; "
        "or a binary from https://stockfishchess.org/download/), then pass engine_path=... or set "
        "LMRL_STOCKFISH=/path/to/stockfish."
    )
    if engine_path is not None:
        path = os.fspath(engine_path)
        resolved = path if os.path.isfile(path) else shutil.which(path)
        if resolved is None or not os.access(resolved, os.X_OK):
            raise EngineNotFoundError(f"engine_path={path!r} is not an executable file. {hint}")
        return resolved
    for var in ENGINE_ENV_VARS:
        value = os.environ.get(var)
        if value:
            if not (os.path.isfile(value) and os.access(value, os.X_OK)):
                raise EngineNotFoundError(f"${var}={value!r} is not an executable file. {hint}")
            return value
    on_path = shutil.which("stockfish")
    if on_path:
        return on_path
    for path in _FALLBACK_PATHS:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise EngineNotFoundError(
        f"Stockfish not found (no engine_path, no ${ENGINE_ENV_VARS[0]}, nothing on PATH). {hint}"
    )


@dataclass(frozen=True)
class EngineSettings:
    """How the opponent searches. Exactly one of `nodes`, `depth`, `time` is usually set."""

    nodes: int | None = None
    """Node budget per move (deterministic with ``threads=1``)."""
    depth: int | None = None
    """Depth limit per move (deterministic with ``threads=1``)."""
    time: float | None = None
    """Seconds per move (``go movetime``); NOT reproducible bit for bit (depends on CPU load)."""
    elo: int | None = None
    """Requested ``UCI_Elo`` with ``UCI_LimitStrength`` on; clamped into the engine's range
    (Stockfish 15.1: 1350..2850). None: full strength. Stockfish's strength limit picks among
    the best moves with a time-seeded random generator, so it is never reproducible."""
    threads: int = 1
    """UCI ``Threads``; more than 1 makes searches non-deterministic."""
    hash_mb: int = 16
    """UCI ``Hash`` in MiB."""
    options: dict[str, Any] = field(default_factory=dict)
    """Any further UCI options, passed to ``engine.configure``."""

    @property
    def deterministic(self) -> bool:
        """True if the same move history always gives the same engine move."""
        return self.time is None and self.elo is None and self.threads == 1 and (self.nodes or self.depth) is not None

    def __post_init__(self) -> None:
        for name in ("nodes", "depth", "threads", "hash_mb"):
            value = getattr(self, name)
            if value is None and name in ("nodes", "depth"):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                none = " or None for no such limit" if name in ("nodes", "depth") else ""
                raise ValueError(f"engine setting {name} must be a positive int{none}, got {value!r} "
                                 f"(e.g. {name}={_EXAMPLES[name]})")
        if self.time is not None and (isinstance(self.time, bool) or not isinstance(self.time, int | float)
                                      or not 0 < self.time < math.inf):
            raise ValueError(f"engine setting time must be a positive number of seconds per move or None, got "
                             f"{self.time!r} (e.g. time=0.1)")

    def limit(self) -> chess.engine.Limit:
        return chess.engine.Limit(nodes=self.nodes, depth=self.depth, time=self.time)


_EXAMPLES = {"nodes": 100, "depth": 8, "threads": 1, "hash_mb": 16}

PRESETS: dict[str, EngineSettings] = {
    "fast": EngineSettings(nodes=100, threads=1, hash_mb=1),
    "paper": EngineSettings(time=0.1, elo=1200, threads=1, hash_mb=16),
}
"""Named opponent settings. ``fast``: 100 nodes per move, deterministic, for CPU rollouts.
``paper``: the original LMRL-Gym's ``Threads=1, UCI_Elo=1200, 100 ms per move``."""

# Opponents still holding a process, for the exit hook (boxes, not opponents: no strong ref to self).
_BOXES: dict[int, list] = {}
_LIVE_LOCK = threading.Lock()


def _close_box(box: list) -> None:
    """Kill the engine held in ``box[0]`` (if any) and wait until the process is reaped."""
    engine: chess.engine.SimpleEngine | None = box[0]
    box[0] = None
    with _LIVE_LOCK:
        _BOXES.pop(id(box), None)
    if engine is None:
        return
    engine.close()  # closes the transport, which SIGKILLs a still-running process
    with contextlib.suppress(Exception):  # best effort: wait until the process is reaped
        engine.returncode.result(timeout=5.0)


def _close_all() -> None:
    with _LIVE_LOCK:
        boxes = list(_BOXES.values())
    for box in boxes:
        _close_box(box)


def _forget_all() -> None:
    """In a forked child: the parent's engines belong to the parent (their event-loop threads do not
    exist here), so drop them; each opponent starts its own engine on first use."""
    global _LIVE_LOCK
    _LIVE_LOCK = threading.Lock()  # another thread may have held it at the fork
    for box in _BOXES.values():
        box[0] = None
    _BOXES.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all)

# python-chess runs each engine on a non-daemon thread, and the interpreter joins non-daemon
# threads *before* running `atexit` hooks: an unclosed engine would hang the exit. This hook runs
# before that join; fall back to `atexit` on Pythons without it.
try:
    threading._register_atexit(_close_all)  # type: ignore[attr-defined]
except (AttributeError, RuntimeError):  # pragma: no cover
    import atexit

    atexit.register(_close_all)


class EngineFailedError(RuntimeError):
    """The engine failed twice in a row on the same call (after one restart)."""


class EngineStartError(RuntimeError):
    """The engine binary did not start as a UCI engine (it exited, or did not finish the handshake)."""


START_TIMEOUT = 10.0
"""Default seconds the engine process may take to start and answer the UCI handshake (Stockfish
needs about 0.05 s; a program that is not a UCI engine never answers)."""


class StockfishOpponent:
    """A Stockfish process playing moves for one env.

    Args:
        preset: ``"fast"`` or ``"paper"`` (see `PRESETS`), or an `EngineSettings`.
        engine_path: the binary; default: `find_stockfish`.
        call_timeout: seconds a call may take beyond its own time limit before the process is
            considered hung, killed and restarted.
        start_timeout: seconds the process may take to start and finish the UCI handshake.
        **overrides: fields of `EngineSettings` replacing the preset's (e.g. ``nodes=500``).

    Attributes:
        settings: the settings in force.
        applied_options: the UCI options actually sent (after clamping ``UCI_Elo``).
        starts: how many times the process was started (1 + restarts).
    """

    def __init__(
        self,
        preset: str | EngineSettings = "fast",
        *,
        engine_path: str | os.PathLike | None = None,
        call_timeout: float = 10.0,
        start_timeout: float = START_TIMEOUT,
        **overrides: Any,
    ) -> None:
        if isinstance(preset, str):
            if preset not in PRESETS:
                raise ValueError(f"unknown opponent preset {preset!r}; choose one of {sorted(PRESETS)}")
            preset = PRESETS[preset]
        self.settings = replace(preset, **overrides) if overrides else preset
        self.path = find_stockfish(engine_path)
        self.call_timeout = float(call_timeout)
        self.start_timeout = float(start_timeout)
        self.applied_options: dict[str, Any] = {}
        self.starts = 0
        self._box: list = [None]
        self._finalizer = weakref.finalize(self, _close_box, self._box)

    # ----------------------------------------------------------------- process
    @property
    def pid(self) -> int | None:
        """The running process id, or None if none is running."""
        engine = self._box[0]
        return None if engine is None else engine.transport.get_pid()

    def _start(self) -> chess.engine.SimpleEngine:
        # Starting (exec + UCI handshake) has its own limit: a short per-move `call_timeout` must not
        # turn a slow start on a loaded machine into a failure, and a program that is not a UCI
        # engine must fail fast with an error that says so.
        fix = ("engine_path (or $LMRL_STOCKFISH) must name a UCI chess engine such as Stockfish "
               "(Debian/Ubuntu: `apt-get install stockfish`, then /usr/games/stockfish)")
        try:
            engine = chess.engine.SimpleEngine.popen_uci(self.path, timeout=self.start_timeout)
        except (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError):
            raise EngineStartError(f"{self.path} did not answer the UCI handshake (`uci` -> `uciok`) within "
                                   f"{self.start_timeout:g} s: it is not a UCI engine, or it is hung; {fix}") from None
        except (chess.engine.EngineError, OSError) as exc:
            raise EngineStartError(f"{self.path} failed to start as a UCI engine ({exc}); {fix}") from None
        try:
            engine.configure(self._options(engine))
        except chess.engine.EngineError as exc:
            engine.close()
            raise EngineStartError(f"{self.path} rejected the UCI options {self.applied_options} ({exc}); pass only "
                                   "options the engine lists (EngineSettings.options)") from None
        except BaseException:
            engine.close()
            raise
        self._box[0] = engine
        with _LIVE_LOCK:
            _BOXES[id(self._box)] = self._box
        self.starts += 1
        return engine

    def _options(self, engine: chess.engine.SimpleEngine) -> dict[str, Any]:
        s = self.settings
        opts: dict[str, Any] = {"Threads": s.threads, "Hash": s.hash_mb}
        if s.elo is not None:
            # python-chess rejects out-of-range spin values (Stockfish itself silently ignores them
            # and keeps the old value), so clamp into the engine's advertised range.
            spec = engine.options.get("UCI_Elo")
            elo = s.elo if spec is None else min(max(s.elo, spec.min), spec.max)
            if elo != s.elo:
                LOGGER.info("UCI_Elo %d is outside the engine's range; using %d", s.elo, elo)
            opts.update({"UCI_LimitStrength": True, "UCI_Elo": elo})
        opts.update(s.options)
        self.applied_options = opts
        return opts

    def _kill(self) -> None:
        _close_box(self._box)

    def close(self) -> None:
        """Kill the engine process (if running) and wait until it is reaped. Safe to call twice."""
        self._kill()

    def __enter__(self) -> StockfishOpponent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- calls
    def _call(self, make_coro, extra_time: float = 0.0):
        """Run ``make_coro(protocol)`` on the engine loop with a timeout; restart and retry once."""
        for attempt in range(2):
            engine = self._box[0]
            if engine is not None and engine.returncode.done():  # the process exited since the last call
                self._kill()
                engine = None
            engine = engine or self._start()
            coro = make_coro(engine.protocol)
            try:
                future = asyncio.run_coroutine_threadsafe(coro, engine.protocol.loop)
            except RuntimeError as exc:  # the engine's event loop is already closed
                coro.close()
                failure: BaseException = exc
            else:
                try:
                    return future.result(timeout=self.call_timeout + extra_time)
                except (concurrent.futures.TimeoutError, chess.engine.EngineError) as exc:
                    future.cancel()
                    failure = exc
            LOGGER.warning("Stockfish failed (%s: %s); restarting it", type(failure).__name__, failure)
            self._kill()
            if attempt == 1:
                raise EngineFailedError(f"Stockfish at {self.path} failed twice in a row: {failure!r}") from failure
        raise AssertionError("unreachable")

    def play(self, board: chess.Board, game: object = None) -> chess.Move:
        """The engine's move in ``board`` (whose full move stack is sent, for repetitions).

        Args:
            board: the position; not modified.
            game: identifies the game; a new value sends ``ucinewgame`` (clears the hash), which
                makes a deterministic preset's moves depend only on the game's moves.
        """
        limit = self.settings.limit()
        result = self._call(
            lambda protocol: protocol.play(board, limit, game=game, info=chess.engine.INFO_NONE),
            extra_time=limit.time or 0.0,
        )
        if result.move is None:
            raise EngineFailedError(f"Stockfish returned no move in {board.fen()!r}")
        return result.move

    def mate_in(self, board: chess.Board, nodes: int) -> int | None:
        """Mate distance (moves, positive if the side to move mates) found with ``nodes`` nodes.

        Each call starts a new game (cleared hash), so the answer depends only on ``board``,
        ``nodes`` and the engine version (with ``threads=1``).
        """
        limit = chess.engine.Limit(nodes=nodes)
        info = self._call(lambda protocol: protocol.analyse(board, limit, game=object(), info=chess.engine.INFO_SCORE))
        score = info.get("score")
        return None if score is None else score.relative.mate()

    def version(self) -> str:
        """The engine's ``id name`` (e.g. ``"Stockfish 15.1"``)."""
        engine = self._box[0] or self._start()
        return engine.id.get("name", "unknown")
