"""Tests of chess-v0 and endgames-v0 (need a Stockfish binary; `apt-get install stockfish`)."""

from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
import time
import warnings

import chess
import chess.engine
import pytest

import lmrl_envs
from lmrl_envs import Text
from lmrl_envs.tasks.chess import (
    FAMILIES,
    ChessEnv,
    EndgamesEnv,
    EngineNotFoundError,
    EngineSettings,
    EngineStartError,
    eval_positions,
    find_stockfish,
    game_outcome,
    generate_eval_positions,
    parse_action,
)
from lmrl_envs.tasks.chess.endgames import POSITIONS_FILE, candidate, read_positions_file
from lmrl_envs.testing import EnvConformance

try:
    find_stockfish()
    HAVE_STOCKFISH = True
except EngineNotFoundError:
    HAVE_STOCKFISH = False

pytestmark = pytest.mark.skipif(
    not HAVE_STOCKFISH and not os.environ.get("LMRL_REQUIRE_STOCKFISH"),
    reason="Stockfish not installed (apt-get install stockfish); set LMRL_REQUIRE_STOCKFISH=1 to fail instead",
)

START_OBS = (
    "r n b q k b n r / p p p p p p p p / 8 / 8 / 8 / 8 / P P P P P P P P / R N B Q K B N R   w   K Q k q   -   0   1\n"
)


def spaced(fen: str) -> str:
    return " ".join(fen) + "\n"


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def env():
    e = ChessEnv()
    yield e
    e.close()


def test_start_observation_and_history(env):
    obs, info = env.reset(seed=0)
    assert obs == START_OBS
    assert info == {"fen": chess.STARTING_FEN}
    assert env.history == (Text(START_OBS, False),)
    assert env.opponent.pid is None  # the engine starts lazily, on the first opponent move


def test_legal_move_gets_reply_and_history_is_current_board(env):
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("e 4")
    board = chess.Board(info["fen"])
    assert obs == spaced(info["fen"]) and board.turn == chess.WHITE
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert board.move_stack == [] and board.fullmove_number == 2
    assert env.history == (Text(obs, False),)
    assert [t.text for t in env.episode_texts][:2] == [START_OBS, "e 4\n"]


def test_valid_actions_are_spaced_san(env):
    env.reset(seed=0)
    actions = env.valid_actions()
    assert len(actions) == 20 and "N f 3\n" in actions and "e 4\n" in actions
    assert sorted(parse_action(env.board, a).uci() for a in actions) == sorted(m.uci() for m in env.board.legal_moves)


@pytest.mark.parametrize(
    ("action", "uci"),
    [
        ("N f 3\n", "g1f3"),
        ("Nf3", "g1f3"),
        (" e 4 \n", "e2e4"),
        ("g1f3", "g1f3"),
        ("--", None),
        ("0000", None),
        ("N f 4\n", None),
        ("", None),
        ("x" * 5000, None),
        ("Ünïcödé\n", None),
        ("e4\ne5\n", None),
    ],
)
def test_parse_action(action, uci):
    move = parse_action(chess.Board(), action)
    assert (move.uci() if move else None) == uci


def test_illegal_move_costs_one_and_keeps_position(env):
    env.reset(seed=0)
    for bad in ("N f 4\n", "hello\n", "--\n"):
        obs, reward, terminated, truncated, info = env.step(bad)
        assert (obs, reward, terminated, truncated) == (START_OBS, -1.0, False, False)
        assert info == {"invalid": True, "fen": chess.STARTING_FEN}
    assert env.history == (Text(START_OBS, False),)


def test_move_cap_truncates():
    with ChessEnv(max_moves=2) as env:
        env.reset(seed=0)
        assert env.step("?")[1:4] == (-1.0, False, False)
        _, reward, terminated, truncated, info = env.step("?")
        assert (reward, terminated, truncated, info["success"]) == (-1.0, False, True, False)


def test_agent_mate_scores_plus_one(env):
    fen = "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1"
    assert env.reset(options={"fen": fen})[0] == spaced(fen)
    assert env.valid_actions().count("R a 8 #\n") == 1
    obs, reward, terminated, truncated, info = env.step("R a 8 #\n")
    assert obs == spaced("R5k1/5ppp/8/8/8/8/8/6K1 b - - 1 1")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info == {
        "fen": "R5k1/5ppp/8/8/8/8/8/6K1 b - - 1 1",
        "opponent_move": None,
        "outcome": "checkmate",
        "success": True,
    }
    assert env.valid_actions() == []
    with pytest.raises(lmrl_envs.EpisodeFinishedError):
        env.step("K f 1\n")


def test_opponent_mate_scores_minus_one(env):
    env.reset(options={"fen": "k3r3/8/8/8/8/P7/5PPP/6K1 w - - 0 1"})  # back rank: ...Re1#
    obs, reward, terminated, truncated, info = env.step("a 4\n")
    assert obs == spaced("k7/8/8/8/P7/8/5PPP/4r1K1 w - - 1 2")
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert (info["opponent_move"], info["outcome"], info["success"]) == ("Re1#", "checkmate", False)


@pytest.mark.parametrize(
    ("fen", "action", "outcome"),
    [
        ("7k/8/6K1/8/8/8/8/5Q2 w - - 0 1", "Q f 7\n", "stalemate"),
        ("8/8/8/8/8/2Kp4/8/k7 w - - 0 1", "K x d 3\n", "insufficient_material"),
        ("k7/8/8/8/8/8/8/K6R w - - 99 80", "R h 2\n", "fifty_moves"),
    ],
)
def test_draws_end_with_zero(env, fen, action, outcome):
    env.reset(options={"fen": fen})
    _, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated, info["outcome"], info["success"]) == (0.0, True, False, outcome, False)


def test_repetition_outcomes():
    board = chess.Board()
    for san in ["Nf3", "Nf6", "Ng1", "Ng8"] * 2:
        assert game_outcome(board) is None
        board.push_san(san)
    assert game_outcome(board) == "threefold_repetition"
    assert game_outcome(chess.Board("k7/8/8/8/8/8/8/K6R w - - 100 80")) == "fifty_moves"
    assert game_outcome(chess.Board("R5k1/5ppp/8/8/8/8/8/6K1 b - - 100 80")) == "checkmate"  # mate beats 50 moves


@pytest.mark.parametrize(
    ("fen", "message"),
    [
        ("not a fen", "is not a FEN"),
        ("8/8/8/8/8/8/8/8 w - - 0 1", "not a legal position"),
        ("k7/8/8/8/8/8/8/K6R b - - 0 1", "Black to move"),
        ("7k/8/6K1/8/8/8/8/5Q2 b - - 0 1", "Black to move"),
        ("k7/1Q6/1K6/8/8/8/8/8 w - - 0 1", "not a legal position"),
        ("k7/8/8/8/8/8/8/K7 w - - 0 1", "already over"),
    ],
)
def test_bad_start_fen(env, fen, message):
    with pytest.raises(ValueError, match=message):
        env.reset(options={"fen": fen})


@pytest.mark.parametrize("fen", [None, 1, ["8/8/8/8/8/8/8/8 w - - 0 1"], b"not a fen"])
def test_start_fen_must_be_a_string(env, fen):
    with pytest.raises(TypeError, match=r"options\['fen'\] must be a FEN string, got "):
        env.reset(options={"fen": fen})


@pytest.mark.parametrize(("path", "problem", "limit_s"), [
    ("/bin/false", r"/bin/false failed to start as a UCI engine \(engine process died unexpectedly", 2.0),
    ("/bin/cat", r"/bin/cat did not answer the UCI handshake \(`uci` -> `uciok`\) within 0.5 s", 3.0),
])
def test_a_program_that_is_not_a_uci_engine_fails_fast_and_says_so(path, problem, limit_s):
    with lmrl_envs.make("chess", engine_path=path, start_timeout=0.5) as env:
        env.reset(seed=0)
        t0 = time.perf_counter()
        with pytest.raises(EngineStartError, match=problem) as err:
            env.step("e 4\n")
        assert time.perf_counter() - t0 < limit_s
        assert "engine_path (or $LMRL_STOCKFISH) must name a UCI chess engine such as Stockfish" in str(err.value)
        assert env.opponent.pid is None


def test_engine_start_timeout_defaults_to_10_seconds():
    env = ChessEnv()
    assert env.opponent.start_timeout == 10.0
    env.close()


@pytest.mark.parametrize(("override", "message"), [
    ({"nodes": -5}, "engine setting nodes must be a positive int or None for no such limit, got -5"),
    ({"nodes": 0}, "nodes must be a positive int or None for no such limit, got 0"),
    ({"nodes": True}, "nodes must be a positive int or None for no such limit, got True"),
    ({"depth": 0}, "depth must be a positive int or None for no such limit, got 0"),
    ({"time": 0}, "time must be a positive number of seconds per move or None, got 0"),
    ({"time": -0.1}, "time must be a positive number of seconds per move or None, got -0.1"),
    ({"time": float("nan")}, "time must be a positive number of seconds per move or None, got nan"),
    ({"threads": 0}, r"threads must be a positive int, got 0 \(e.g. threads=1\)"),
    ({"hash_mb": -1}, "hash_mb must be a positive int, got -1"),
])
def test_non_positive_search_limits_are_rejected(override, message):
    for env_id in ("chess", "endgames"):
        with pytest.raises(ValueError, match=message):
            lmrl_envs.make(env_id, **override)
    with pytest.raises(ValueError, match=message):
        EngineSettings(**override)
    assert EngineSettings(threads=1, hash_mb=16).limit() == chess.engine.Limit()  # no limit at all stays allowed


def test_engine_discovery_errors(monkeypatch):
    real = find_stockfish()
    for var in ("LMRL_STOCKFISH", "CHESS_ENGINE_PATH"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(EngineNotFoundError, match="apt-get install stockfish") as err:
        ChessEnv(engine_path="/nonexistent/stockfish")
    assert "engine_path='/nonexistent/stockfish'" in str(err.value) and "LMRL_STOCKFISH" in str(err.value)
    monkeypatch.setenv("LMRL_STOCKFISH", "/nonexistent/sf")
    with pytest.raises(EngineNotFoundError, match=r"\$LMRL_STOCKFISH='/nonexistent/sf'"):
        find_stockfish()
    monkeypatch.delenv("LMRL_STOCKFISH")
    monkeypatch.setenv("CHESS_ENGINE_PATH", real)
    assert find_stockfish() == real
    monkeypatch.delenv("CHESS_ENGINE_PATH")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_stockfish() in ("/usr/games/stockfish", "/usr/local/bin/stockfish", "/opt/homebrew/bin/stockfish")


def test_engine_restarts_after_kill_and_hang():
    with ChessEnv(call_timeout=1.0) as env:
        env.reset(seed=0)
        env.step("e 4\n")
        pid = env.opponent.pid
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
        _, reward, terminated, _, info = env.step("d 4\n")
        assert (reward, terminated, info["opponent_move"] is not None) == (0.0, False, True)
        assert env.opponent.starts == 2 and env.opponent.pid != pid and not alive(pid)
        hung = env.opponent.pid
        os.kill(hung, signal.SIGSTOP)  # a hung engine: the call times out, is killed and retried
        _, reward, terminated, _, info = env.step(env.valid_actions()[0])  # returns at all: a stopped engine never answers
        assert (reward, info["opponent_move"] is not None) == (0.0, True) and env.opponent.starts == 3
        assert not alive(hung)


def test_close_leaves_no_process():
    env = ChessEnv()
    env.reset(seed=0)
    env.step("e 4\n")
    pid = env.opponent.pid
    assert alive(pid)
    env.close()
    env.close()
    assert env.opponent.pid is None and not os.path.exists(f"/proc/{pid}")  # killed and reaped
    env.step("d 4\n")  # a step after close starts a new engine
    pid = env.opponent.pid
    env.close()
    assert not os.path.exists(f"/proc/{pid}")


def test_engine_killed_on_garbage_collection_and_at_exit():
    env = ChessEnv()
    env.reset(seed=0)
    env.step("e 4\n")
    pid = env.opponent.pid
    del env
    gc.collect()
    assert not os.path.exists(f"/proc/{pid}")
    # An unclosed engine must not hang the interpreter at exit (python-chess's thread is not a daemon).
    code = "import lmrl_envs; e = lmrl_envs.make('chess'); e.reset(seed=0); e.step('e4'); print(e.opponent.pid)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout)
    time.sleep(0.1)
    assert not alive(pid)


def test_forked_child_starts_its_own_engine():
    with ChessEnv() as env:
        env.reset(seed=0)
        env.step("e 4\n")
        parent_pid = env.opponent.pid
        with warnings.catch_warnings():  # Python 3.12+ warns about fork() with threads running
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # the child must not touch the parent's engine (its event loop is not there)
            ok = env.step("d 4\n")[1] == 0.0 and env.opponent.pid != parent_pid
            env.close()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert env.step("d 4\n")[1] == 0.0 and env.opponent.pid == parent_pid


def play(env, seed: int, n: int, reset_options=None) -> list:
    rng = random.Random(seed)
    out = [env.reset(seed=seed, options=reset_options)[0]]
    for _ in range(n):
        step = env.step(rng.choice(env.valid_actions()))
        out.append(step[:4])
        if step[2] or step[3]:
            break
    return out


def test_fast_preset_is_deterministic():
    with ChessEnv() as a, ChessEnv() as b:
        first = play(a, 3, 12)
        assert play(a, 3, 12) == first == play(b, 3, 12)  # same env twice, and a fresh env
        assert play(b, 4, 12) != first


def test_paper_preset_clamps_elo():
    with ChessEnv("paper") as env:
        env.reset(seed=0)
        assert env.step("e 4\n")[1] == 0.0
        assert env.opponent.applied_options == {"Threads": 1, "Hash": 16, "UCI_LimitStrength": True, "UCI_Elo": 1350}
        assert not env.opponent.settings.deterministic


def test_endgames_random_starts():
    with EndgamesEnv() as env:
        seen = set()
        for seed in range(20):
            obs, info = env.reset(seed=seed)
            board = chess.Board(info["fen"])
            white = sorted(p.symbol() for p in board.piece_map().values() if p.color == chess.WHITE)
            assert obs == spaced(info["fen"]) and board.turn == chess.WHITE and not board.is_check()
            assert board.is_valid() and game_outcome(board) is None
            assert "".join(sorted(p.symbol() for p in board.piece_map().values() if p.color == chess.BLACK)) == "k"
            seen.add("".join(white))
        assert seen == {"KQ", "KR", "KQR", "KRR"}
        assert env.reset(seed=7) == env.reset(seed=7) and env.max_steps == 100
    with EndgamesEnv(families=["KRK"]) as env:
        assert "R" in env.reset(seed=0)[1]["fen"] and "Q" not in env.reset(seed=1)[1]["fen"]
    with pytest.raises(ValueError, match="families"):
        EndgamesEnv(families=["KBNK"])


def test_endgames_options():
    positions = eval_positions()
    assert len(positions) == 640 and len(set(positions)) == 640
    with EndgamesEnv() as env:
        assert env.reset(options={"position_index": 5})[1]["fen"] == positions[5]
        for bad in (-1, 640, "3", True):
            with pytest.raises(ValueError, match=r"position_index'\] must be an int in \[0, 640\)"):
                env.reset(options={"position_index": bad})
        with pytest.raises(ValueError, match="not both"):
            env.reset(options={"position_index": 0, "fen": positions[0]})
        with pytest.raises(ValueError, match="Black to move"):
            env.reset(options={"fen": "8/8/8/1k6/8/4K3/8/5R2 b - - 0 1"})
        env.reset(options={"fen": "8/8/8/1k6/8/4K3/8/5R2 w - - 0 1"})
        assert env.step("R f 5 +\n")[1:3] == (0.0, False)


def test_eval_set_regenerates():
    from importlib import resources

    rows = read_positions_file(resources.files("lmrl_envs.tasks.chess").joinpath(POSITIONS_FILE).read_text())
    for index, family, fen in rows:  # the candidate stream does not depend on the engine
        assert candidate(0, index)[0] == family and candidate(0, index)[1].fen() == fen
    first_two = [r for fam in FAMILIES for r in [r for r in rows if r[1] == fam][:2]]
    assert list(generate_eval_positions(per_family=2)) == sorted(first_two)


class TestChessConformance(EnvConformance):
    env_id = "chess"
    env_kwargs = {"max_moves": 10}


class TestEndgamesConformance(EnvConformance):
    env_id = "endgames"
    env_kwargs = {"max_moves": 20}
