"""`lmrl-eval evaluate --policy openai:MODEL` against real HTTP servers on 127.0.0.1, started in the test: a tiny
GPT-2 behind ``/v1/chat/completions``, and scripted servers for retries (429, 5xx), timeouts and refusals (401).
No network."""

import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lmrl_envs import Text, read_episodes
from lmrl_eval.cli import main
from lmrl_eval.evaluate import evaluate
from lmrl_eval.openai_policy import APIError, load_openai_policy
from lmrl_eval.policies import load_eval_policy

pytest.importorskip("lmrl_algos", reason="the tiny model behind the test server needs lmrl-eval[full]")

TEMPLATE = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}")
WORDLE = (Text("Wordle:\n", False),)
SYSTEM = "Guess a five-letter word, its letters separated by spaces."


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with server.lock:
            server.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            n = len(server.seen)
        if self.path != "/v1/chat/completions":
            status, headers, answer = 404, {}, {"error": {"message": f"no route {self.path}"}}
        else:
            status, headers, answer = server.respond(n, body)
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            for key, value in {**headers, "Content-Type": "application/json", "Content-Length": len(data)}.items():
                self.send_header(key, str(value))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def log_message(self, *args):
        pass


@contextmanager
def serve(respond):
    """A ThreadingHTTPServer on a free port answering with ``respond(n, body) -> (status, headers, json)``, n
    counting from 1; yields the server (``seen``: every request) and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.respond, server.seen, server.lock = respond, [], threading.Lock()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def completion(text, prompt_tokens=7, completion_tokens=3):
    return {"id": "cmpl-0", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


@pytest.fixture(scope="module")
def tiny_lm():
    from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer

    tok = build_tiny_tokenizer(["Wordle:\n", "c r a n e\n", "b b y b b\n", SYSTEM, "<system><user><assistant></s>"],
                               vocab_size=300)
    tok.chat_template = TEMPLATE
    return build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2, seed=1).eval(), tok


@pytest.fixture()
def tiny_server(tiny_lm):
    """The tiny model served as ``tiny``: the chat template renders the messages, `generate` samples with the
    request's seed and temperature (greedy at 0); the server sums the tokens it served."""
    import torch

    lm, tok = tiny_lm
    lock = threading.Lock()

    def respond(n, body):
        if body["model"] != "tiny":
            return 404, {}, {"error": {"message": f"model {body['model']!r} not found"}}
        ids = tok.apply_chat_template(body["messages"], add_generation_prompt=True, tokenize=False)
        ids = torch.tensor([tok(ids, add_special_tokens=False)["input_ids"]])
        sample = body["temperature"] > 0
        with lock, torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(body["seed"])
            out = lm.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=body["max_tokens"],
                              do_sample=sample, temperature=body["temperature"] if sample else None, top_k=None,
                              pad_token_id=tok.pad_token_id)
        new = out[0, ids.shape[1]:].tolist()
        text = tok.decode(new, skip_special_tokens=True)
        with lock:
            server.prompt_tokens += ids.shape[1]
            server.completion_tokens += len(new)
        return 200, {}, completion(text, ids.shape[1], len(new))

    with serve(respond) as (server, url):
        server.prompt_tokens = server.completion_tokens = 0
        yield server, url


def test_evaluate_a_tiny_model_behind_an_openai_server(tiny_server, tmp_path, capsys, monkeypatch):
    server, url = tiny_server
    monkeypatch.setenv("LMRL_TEST_KEY", "sk-test")
    out = tmp_path / "wordle.jsonl"
    argv = ["evaluate", "--env", "wordle", "--policy", "openai:tiny", "--base-url", url, "--api-key-env",
            "LMRL_TEST_KEY", "--episodes", "3", "--batch-size", "2", "--concurrency", "2", "--temperature", "1",
            "--max-tokens", "8", "--system-prompt", SYSTEM, "--save-episodes", str(out), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    episodes = list(read_episodes(out))
    n_actions = sum(e.length for e in episodes)
    assert len(episodes) == 3 and record["episodes"] == 3
    assert record["usage"] == {"model": "tiny", "base_url": url, "requests": len(server.seen), "retries": 0,
                               "prompt_tokens": server.prompt_tokens, "completion_tokens": server.completion_tokens,
                               "responses_without_usage": 0}
    assert len(server.seen) == n_actions and server.completion_tokens > 0
    assert record["decode"] == {"greedy": False, "temperature": 1.0, "rerank": False}
    first = server.seen[0]
    assert first["auth"] == "Bearer sk-test"
    assert first["body"]["messages"] == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Wordle:"}]
    assert {(r["body"]["model"], r["body"]["max_tokens"], r["body"]["temperature"]) for r in server.seen} == {
        ("tiny", 8, 1.0)}
    assert all(a.count("\n") == 1 for e in episodes for a, is_a in zip(e.texts, e.is_action, strict=True) if is_a)
    # a request's seed comes from the episode and the turn: one at a time, the same episodes
    policy = load_eval_policy("openai:tiny", "wordle", base_url=url, temperature=1.0, max_tokens=8, concurrency=1,
                              system_prompt=SYSTEM)
    _, again = evaluate("wordle", policy, 3, batch_size=1, return_episodes=True)
    assert [e.to_json() for e in again] == [e.to_json() for e in episodes]
    assert policy.usage_record()["requests"] == n_actions and server.seen[-1]["auth"] is None


def test_429_with_retry_after_is_retried_and_counted():
    def respond(n, body):
        if n <= 2:
            return 429, {"Retry-After": "0"}, {"error": {"message": "Rate limit reached"}}
        return 200, {}, completion("c r a n e\nmy first guess")

    with serve(respond) as (server, url):
        # a 30 s backoff: passing in well under that means Retry-After (0 s) was honoured
        policy = load_openai_policy("m", "wordle", base_url=url, backoff=30)
        start = time.monotonic()
        assert policy.act([WORDLE]) == ["c r a n e\n"]
        assert time.monotonic() - start < 5 and len(server.seen) == 3
    assert policy.usage_record() == {"model": "m", "base_url": url, "requests": 3, "retries": 2, "prompt_tokens": 7,
                                     "completion_tokens": 3, "responses_without_usage": 0}

    answers = iter([(503, {}, {"error": {"message": "overloaded"}}), (200, {}, {"choices": [{"message": {}}]})])
    with serve(lambda n, body: next(answers)) as (server, url):
        policy = load_openai_policy("m", "wordle", base_url=url, backoff=0.01)
        assert policy.act([WORDLE]) == ["\n"]  # a reply without content: the empty (invalid) action
    usage = policy.usage_record()
    assert (usage["requests"], usage["retries"], usage["responses_without_usage"]) == (2, 1, 1)


def test_a_server_slower_than_the_timeout_is_retried_then_a_clear_error(capsys):
    def respond(n, body):
        time.sleep(1.0)
        return 200, {}, completion("c r a n e")

    with serve(respond) as (server, url):
        argv = ["evaluate", "--env", "wordle", "--policy", "openai:m", "--base-url", url, "--episodes", "1",
                "--timeout", "0.2", "--max-retries", "1", "--json"]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("lmrl-eval: error: ")
        assert f"POST {url}/chat/completions: no answer within --timeout 0.2 s; gave up after 2 attempt(s)" in err
        assert len(server.seen) == 2

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    with pytest.raises(APIError, match=r"cannot connect \(.*\); is the server running\?; gave up after 1 attempt"):
        load_openai_policy("m", "wordle", base_url=closed, max_retries=0).act([WORDLE])


def test_401_is_a_clear_error_without_retries(capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-bad")
    with serve(lambda n, body: (401, {}, {"error": {"message": "Incorrect API key provided: sk-bad"}})) as (server, url):
        assert main(["evaluate", "--env", "wordle", "--policy", "openai:m", "--base-url", url, "--episodes", "1",
                     "--json"]) == 2
        assert len(server.seen) == 1 and server.seen[0]["auth"] == "Bearer sk-bad"
    err = capsys.readouterr().err
    assert err == (f"lmrl-eval: error: POST {url}/chat/completions: HTTP 401 Unauthorized: Incorrect API key "
                   "provided: sk-bad (not retried; check the key in the variable --api-key-env names (default "
                   "OPENAI_API_KEY))\n")


def test_defaults_and_flag_errors(capsys, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LMRL_UNSET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with serve(lambda n, body: (200, {}, completion("c r a n e"))) as (server, url):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        wordle, maze = load_eval_policy("openai:m", "wordle"), load_eval_policy("openai:m", "maze-fo-v0")
        assert wordle.url == f"{url}/chat/completions"
        assert (wordle.greedy, wordle.temperature, maze.greedy, maze.temperature) == (True, 0.0, False, 1.0)
        assert (maze.config.max_tokens, maze.config.timeout, maze.config.max_retries, maze.config.concurrency) == (
            256, 60.0, 5, 4)
        monkeypatch.delenv("OPENAI_BASE_URL")
        cases = [
            (["--policy", "random", "--base-url", url, "--timeout", "3"],
             "--base-url, --timeout: only for --policy openai:MODEL, not --policy random"),
            (["--policy", "openai:"], "openai:MODEL needs a model name"),
            (["--policy", "openai:m", "--base-url", url, "--api-key-env", "LMRL_UNSET_KEY"],
             "the environment variable LMRL_UNSET_KEY is not set"),
            (["--policy", "openai:m"], "needs a key: export OPENAI_API_KEY=..."),
            (["--policy", "openai:m", "--base-url", "ftp://127.0.0.1/v1"], "is not an http(s) URL"),
            (["--policy", "openai:m", "--base-url", url, "--greedy", "--temperature", "0.7"], "pass one of them"),
            (["--policy", "openai:m", "--base-url", url, "--dtype", "bf16"], "--dtype sets local weights"),
            (["--policy", "anthropic:m"], "or a checkpoint directory (nor openai:MODEL"),
        ]
        for extra, msg in cases:
            assert main(["evaluate", "--env", "wordle", "--episodes", "1", *extra]) == 2, extra
            err = capsys.readouterr().err
            assert msg in err and err.count("\n") == 1, (extra, err)
        for bad in (["--timeout", "0"], ["--temperature", "-1"], ["--concurrency", "0"]):
            with pytest.raises(SystemExit) as e:
                main(["evaluate", "--env", "wordle", "--policy", "openai:m", "--base-url", url, *bad])
            assert e.value.code == 2 and "error: argument" in capsys.readouterr().err
        assert server.seen == []  # every mistake is caught before a request
