"""Any OpenAI-compatible chat endpoint as a policy (``lmrl-eval evaluate --policy openai:MODEL``): OpenAI, vLLM,
llama.cpp's server, or anything else that serves ``POST {base_url}/chat/completions``.

* **Prompt**: the text history as chat messages, exactly as ``hf:`` renders it for a chat model
  (`lmrl_envs.chat_messages`): the environment's texts are ``user`` turns, the agent's own actions
  ``assistant`` turns, consecutive texts of one side joined, trailing newlines dropped. No system message
  unless ``system_prompt`` is given: a model sees the task's text and nothing else, as every other policy does.
  The tasks' texts do not state the action format (Wordle opens with ``"Wordle:"``), so a general chat model
  needs ``system_prompt`` to play at all; the paper's GPT-4 column used few-shot prompts per task instead.
* **Action**: the reply up to its first newline, plus ``"\\n"`` (`lmrl_envs.completion_action`, as
  ``hf:``). A reply with no content (a refusal, a tool call) is the empty action, which the task scores as invalid.
* **Decoding**: ``temperature`` (default: the original GPT-4 scripts' per task, `default_temperature`;
  ``greedy`` sends 0), ``max_tokens`` (default 256) and a ``seed`` per request, derived from the policy's seed,
  the episode's seed and the turn, so a server that honours seeds (vLLM, llama.cpp; OpenAI on a best-effort
  basis) gives the same episodes whatever the batch size or concurrency.
* **Transport**: the standard library (`urllib.request`). The key is read from an environment variable
  (``OPENAI_API_KEY`` by default) and sent as ``Authorization: Bearer`` to whatever ``base_url`` is; without
  one no header is sent (local servers). Each request waits ``timeout`` seconds for the server (connecting, and each read) and is retried
  up to ``max_retries`` times after a timeout, a connection error, HTTP 429 or a 5xx answer: after the server's
  ``Retry-After`` where it sends one, else after ``backoff``, doubled per retry (both capped at `MAX_WAIT`). Any
  other HTTP error (401 bad key, 404 unknown model, 400 bad parameter) is an `APIError` at once, with the
  status and the server's message.
* **Concurrency**: the histories of one `act` call (one per running episode of the batch) are requested
  together by up to ``concurrency`` threads.
* **Usage**: `OpenAIPolicy.usage` sums, over the policy's life, the HTTP requests sent (retries included), the
  retries, and ``prompt_tokens`` / ``completion_tokens`` of the answers' ``usage`` (answers without one are
  counted in ``responses_without_usage``; a request that timed out may still have been served and billed, but
  its tokens are unknown).

The HTTP code is standard library only; the two text functions shared with ``hf:`` come from lmrl-algos
(``lmrl-eval[full]``).

Example:
    >>> policy = load_openai_policy("gpt-4o-mini", "wordle")                     # doctest: +SKIP
    >>> lmrl_envs.rollout(lmrl_envs.make("wordle"), policy, 2)                   # doctest: +SKIP
    >>> policy.usage_record()["completion_tokens"]                               # doctest: +SKIP
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from lmrl_envs import TextHistory, chat_messages, completion_action, task_name

__all__ = ["APIError", "APIUsage", "OpenAIConfig", "OpenAIPolicy", "default_temperature", "load_openai_policy"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BASE_URL_ENV = "OPENAI_BASE_URL"
"""Environment variable read for the base URL when none is passed."""
DEFAULT_KEY_ENV = "OPENAI_API_KEY"

PAPER_TEMPERATURE = {"wordle": 0.0, "twenty-questions": 0.0}
"""Temperatures of the original GPT-4 baselines other than 1.0 (``llm_rl_scripts/wordle/misc/gpt4_wordle.py``,
``twenty_questions/env/policies.py``: 0.0). Maze, chess and endgames used 1.0 (``maze/gpt4/gpt4_maze.py``,
``chess/gpt4/*``); text-nav, guess-my-city and car-dealer have no GPT-4 script, so they get 1.0, the
temperature every other method is evaluated at."""

MAX_WAIT = 120.0
"""Longest wait before a retry, in seconds (a longer ``Retry-After`` is cut to it)."""


def default_temperature(env_id: str) -> float:
    """The temperature the paper's GPT-4 baseline used on the task (see `PAPER_TEMPERATURE`).

    Example:
        >>> default_temperature("wordle-v0"), default_temperature("maze-fo")
        (0.0, 1.0)
    """
    return PAPER_TEMPERATURE.get(task_name(env_id), 1.0)


class APIError(RuntimeError):
    """The endpoint refused a request, or kept failing after every retry; the message names the URL and the fix."""


@dataclass(frozen=True)
class OpenAIConfig:
    """Where and how to ask for completions."""

    model: str
    """The ``model`` field of each request (the name the server knows the model by)."""
    base_url: str = DEFAULT_BASE_URL
    """The API root: requests go to ``{base_url}/chat/completions``."""
    temperature: float = 1.0
    """Sampling temperature (`load_openai_policy` defaults it per task: `default_temperature`)."""
    max_tokens: int = 256
    """Longest reply. Only its first line is the action; 256 tokens hold any task's action with room for a
    preamble, and bound what a model that goes on after it costs (the paper's scripts: 1024, for JSON answers
    with a "thought" field that this prompt does not ask for)."""
    timeout: float = 60.0
    """Seconds to wait for the server (to connect, and for each read of the answer)."""
    max_retries: int = 5
    """Retries of a request after a timeout, a connection error, HTTP 429 or 5xx (0: none)."""
    backoff: float = 1.0
    """Seconds before the first retry without ``Retry-After``, doubled for each further one."""
    concurrency: int = 4
    """Requests in flight at once (the histories of one batch are requested together)."""
    system_prompt: str | None = None
    """Sent as a system message before the history (None: no system message)."""

    def __post_init__(self):
        checks = [(bool(self.model), "openai:MODEL needs a model name, e.g. openai:gpt-4o-mini"),
                  (self.temperature >= 0, f"--temperature must be >= 0, got {self.temperature}"),
                  (self.max_tokens >= 1, f"--max-tokens must be >= 1, got {self.max_tokens}"),
                  (self.timeout > 0, f"--timeout must be > 0 seconds, got {self.timeout}"),
                  (self.max_retries >= 0, f"--max-retries must be >= 0, got {self.max_retries}"),
                  (self.backoff >= 0, f"backoff must be >= 0 seconds, got {self.backoff}"),
                  (self.concurrency >= 1, f"--concurrency must be >= 1, got {self.concurrency}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        url = urllib.parse.urlsplit(self.base_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError(f"--base-url {self.base_url!r} is not an http(s) URL; pass the API root, e.g. "
                             "http://127.0.0.1:8000/v1 (vLLM) or https://api.openai.com/v1")


@dataclass
class APIUsage:
    """What an `OpenAIPolicy` has spent."""

    requests: int = 0
    """HTTP requests sent, retries included."""
    retries: int = 0
    """Requests that repeated a failed one."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Sums of the answers' ``usage`` fields."""
    responses_without_usage: int = 0
    """Answers that carried no ``usage`` (their tokens are missing from the sums)."""


class OpenAIPolicy:
    """A batched `lmrl_envs.Policy` that asks an OpenAI-compatible chat endpoint (see the module docstring).

    Args:
        config: the endpoint, model and decoding.
        api_key: sent as ``Authorization: Bearer``; None sends no key.
        seed: mixed into each request's ``seed``.
        greedy: request temperature 0 (also set when ``config.temperature`` is 0).
    """

    rerank = False
    """Replies are free generation (named in the evaluation's ``decode`` record)."""

    def __init__(self, config: OpenAIConfig, *, api_key: str | None = None, seed: int = 0, greedy: bool = False):
        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self.seed = seed
        self.greedy = greedy or config.temperature == 0
        self.temperature = config.temperature
        self.usage = APIUsage()
        self._api_key = api_key
        self._messages, self._action = chat_messages, completion_action
        self._lock = threading.Lock()
        self._episodes: dict[int, list[Any]] = {}
        """Per slot: [the running episode's seed, turns requested so far]."""

    def begin_episode(self, slot: int, seed: int, env: Any = None) -> None:
        self._episodes[slot] = [seed, 0]

    def end_episode(self, slot: int) -> None:
        self._episodes.pop(slot, None)

    def act(self, histories: Sequence[TextHistory], slots: Sequence[int] | None = None) -> list[str]:
        slots = list(range(len(histories))) if slots is None else list(slots)
        system = [{"role": "system", "content": self.config.system_prompt}] if self.config.system_prompt else []
        jobs = [(system + self._messages(h), self._request_seed(slot))
                for h, slot in zip(histories, slots, strict=True)]
        workers = min(self.config.concurrency, len(jobs))
        if workers <= 1:
            return [self._action(self.complete(*job)) for job in jobs]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lmrl-openai")
        try:
            return [self._action(text) for text in pool.map(lambda job: self.complete(*job), jobs)]
        finally:
            pool.shutdown(cancel_futures=True)

    def _request_seed(self, slot: int) -> int:
        state = self._episodes.setdefault(slot, [f"slot{slot}", 0])
        state[1] += 1
        return random.Random(f"lmrl-eval/openai/{self.seed}/{state[0]}/{state[1]}").randrange(2**31)

    def complete(self, messages: list[dict[str, str]], seed: int | None = None) -> str:
        """One chat completion: the reply's text ("" when it has none)."""
        body = {"model": self.config.model, "messages": messages, "max_tokens": self.config.max_tokens,
                "temperature": 0.0 if self.greedy else self.temperature}
        if seed is not None:
            body["seed"] = seed
        answer = self._post(body)
        try:
            content = answer["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise APIError(f"POST {self.url}: the answer is not a chat completion (no choices[0].message): "
                           f"{json.dumps(answer)[:300]}") from None
        usage = answer.get("usage")
        with self._lock:
            if isinstance(usage, dict):
                self.usage.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                self.usage.completion_tokens += int(usage.get("completion_tokens") or 0)
            else:
                self.usage.responses_without_usage += 1
        return str(content)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` as JSON, retrying as the module docstring says; the decoded answer."""
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "lmrl-eval"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        data = json.dumps(body).encode()
        cfg = self.config
        attempt = 0
        while True:
            with self._lock:
                self.usage.requests += 1
                self.usage.retries += int(attempt > 0)
            wait = None
            try:
                request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=cfg.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as e:
                message = _server_message(e)
                if e.code != 429 and e.code < 500:
                    raise APIError(f"POST {self.url}: HTTP {e.code} {e.reason}: {message} (not retried; "
                                   f"{_hint(e.code)})") from None
                failure = f"HTTP {e.code} {e.reason}: {message}"
                wait = _retry_after(e.headers.get("Retry-After"))
            except TimeoutError:
                failure = f"no answer within --timeout {cfg.timeout:g} s"
            except urllib.error.URLError as e:
                failure = (f"no answer within --timeout {cfg.timeout:g} s" if isinstance(e.reason, TimeoutError)
                           else f"cannot connect ({e.reason}); is the server running?")
            except (OSError, http.client.HTTPException) as e:
                failure = f"the connection failed ({type(e).__name__}: {e})"
            else:
                return _decode(self.url, raw)
            if attempt == cfg.max_retries:
                raise APIError(f"POST {self.url}: {failure}; gave up after {attempt + 1} attempt(s) "
                               f"(--max-retries {cfg.max_retries}, --timeout {cfg.timeout:g} s)")
            time.sleep(min(MAX_WAIT, cfg.backoff * 2**attempt if wait is None else wait))
            attempt += 1

    def usage_record(self) -> dict[str, Any]:
        """The evaluation record's ``usage`` entry: the model, the endpoint and `usage`.

        Example:
            >>> record = OpenAIPolicy(OpenAIConfig("m", "http://127.0.0.1:8000/v1")).usage_record()
            >>> record["model"], record["requests"], record["prompt_tokens"]
            ('m', 0, 0)
        """
        with self._lock:
            return {"model": self.config.model, "base_url": self.config.base_url, **asdict(self.usage)}


def _decode(url: str, raw: bytes) -> dict[str, Any]:
    """A successful answer's JSON object."""
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise APIError(f"POST {url}: the answer is not a JSON object: {raw[:300]!r}")
    return answer


def _server_message(error: urllib.error.HTTPError) -> str:
    """The message of an error answer: OpenAI's ``{"error": {"message": ...}}``, else the body's start."""
    try:
        raw = error.read()
    except (OSError, http.client.HTTPException):
        raw = b""
    finally:
        error.close()
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:300] or "(empty body)"
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])[:300]
    return (str(err) if err else json.dumps(body))[:300]


def _hint(status: int) -> str:
    if status in (401, 403):
        return "check the key in the variable --api-key-env names (default OPENAI_API_KEY)"
    if status == 404:
        return "check the model name after openai: and --base-url (the API root, e.g. .../v1)"
    return "check the request's parameters: --max-tokens, --temperature and the model name"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def load_openai_policy(model: str, env_id: str, *, base_url: str | None = None, api_key_env: str | None = None,
                       temperature: float | None = None, greedy: bool = False, seed: int = 0,
                       **config: Any) -> OpenAIPolicy:
    """An `OpenAIPolicy` for `model` at `base_url` (None: ``$OPENAI_BASE_URL``, else the OpenAI API), its key from
    the environment variable `api_key_env` (None: ``OPENAI_API_KEY``, which may be unset for a local server),
    `temperature` None: the paper's for `env_id` (`default_temperature`). `config`: other `OpenAIConfig` fields.

    Raises:
        ValueError: a bad value; `api_key_env` named but unset; no key for the OpenAI API.
    """
    base_url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if greedy and temperature not in (None, 0):
        raise ValueError(f"--greedy requests temperature 0 and --temperature asks for {temperature}: pass one of them")
    if temperature is None:
        temperature = default_temperature(env_id)
    cfg = OpenAIConfig(model, base_url, temperature=temperature, **config)
    key = os.environ.get(api_key_env or DEFAULT_KEY_ENV) or None
    if key is None and api_key_env is not None:
        raise ValueError(f"--api-key-env {api_key_env}: the environment variable {api_key_env} is not set; export it, "
                         "or leave --api-key-env out (a local server needs no key)")
    if key is None and urllib.parse.urlsplit(cfg.base_url).hostname == "api.openai.com":
        raise ValueError(f"openai:{model} at {cfg.base_url} needs a key: export {DEFAULT_KEY_ENV}=... (or name "
                         f"another variable with --api-key-env), or pass --base-url of a local server")
    return OpenAIPolicy(cfg, api_key=key, seed=seed, greedy=greedy)
