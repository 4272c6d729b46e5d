"""The language-model policy: batched multi-turn generation with a KV cache kept across turns.

`LMPolicy` implements the `lmrl_envs.Policy` protocol (``act(histories, slots)``,
``end_episode(slot)``, ``episode_info(slot)``), so `lmrl_envs.rollout` plays it directly, one batch
row per vector slot. Next-token scores are ``LM logits + beta * Q-term`` where the Q-term is 0 (bc,
ppo), Q (mc) or min(Q1, Q2) - V (ilql): the reference's ``pi ~ pi_beta exp(beta Q-term)``. With
``rerank=True`` the policy instead scores each legal action (``env.valid_actions()`` of the slot's
env, or a fixed list) by the same quantity summed over the action's tokens, ``sum log pi_beta +
beta * sum Q-term``, and takes the argmax (greedy) or samples from softmax(score / temperature):
the value-guided policy restricted to the legal actions. In free generation ``support_p < 1`` keeps
the value-guided choice inside pi_beta's top-p nucleus (tokens the data makes likely), where the
value heads were trained. For the value-based methods the model is
a `lmrl_algos.models.ValueGuidedLM` (frozen pi_beta beside the value network; `load_policy` builds it).

How a turn is generated (``kv_cache=True``, the default):

* **Token pieces.** A slot's prompt is bos + one token piece per history text, cut from the left
  to ``max_length - max_new_tokens`` (`common.mdp.join_pieces`, the same rule the trainers use).
  Observations are encoded piece by piece (`encode_pieces`); the slot's own actions are the token
  ids it *generated* (plus ``"\\n"`` when the budget cut the action), not a re-encoding of the
  action text. ``record_tokens=True`` exposes them per episode through `episode_info`
  (``info["behaviour"]["action_tokens"]``) and the online trainers train on exactly these ids
  (``build_mdp(..., use_action_tokens=True)``), so rollout and training tokens cannot drift.
* **Cache across turns.** The batch rows live in one `common.kv_cache.RowCache`. Each turn a row
  keeps the longest prefix of its cached tokens that its new prompt starts with, and only the rest
  is encoded and appended. When a slot's history extends its previous one (same history start, no
  left cut) that is just the new tokens (the action's last tokens not yet fed, and the new
  observation): a turn costs its new tokens, not the length of the history. When the task moves
  the history start (maze-fo keeps only the current observation, maze-po the last k texts) or the
  context limit cuts the prompt, the row is rebuilt from the first token that differs (for maze-fo,
  the position sentence after the shared "The goal is at ..." prefix); a new episode in the slot
  is prefilled from scratch. All of this happens in one forward call with the other rows' appends. Rows append different numbers of tokens per call; the
  shorter ones get holes (masked columns, no position), which `RowCache.maybe_compact` squeezes out
  once the cache is a quarter longer than its longest row (every forward call reads the holes too).
  The prompt of a slot whose history only grew is its cached row plus the new texts' tokens, and the
  token ids of seen texts are memoised, so a turn's Python work is O(new tokens), not O(history).
* **Continuous batching.** `lmrl_envs.rollout` refills a slot as soon as its episode ends, so the
  batch stays full; `end_episode` forgets the slot's tokens and the new episode is prefilled in
  the next call. When slots go idle at the end, their rows are removed from the cache.
* **Decoding.** All rows decode together, one token per forward call, until each row emits
  ``"\\n"`` or spends ``max_new_tokens``; a finished row's later columns are holes.

``kv_cache=False`` re-encodes and prefills every prompt each turn (the same tokens, so greedy
actions are the same; tests check this), as the naive loop does.

Example:
    >>> policy = load_policy("runs/maze-bc", device="cpu")             # doctest: +SKIP
    >>> lmrl_envs.rollout(lmrl_envs.make("maze-fo"), policy, 4)        # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

import torch

from lmrl_algos import checkpoint
from lmrl_algos.common.kv_cache import RowCache
from lmrl_algos.common.mdp import encode_pieces, join_pieces
from lmrl_algos.models import LMWithHeads, ValueGuidedLM, newline_id
from lmrl_envs import TextHistory, normalize_action

__all__ = ["LMPolicy", "decoding_model", "load_policy", "nucleus", "q_term"]

VALUE_TERMS = {"bc": "none", "filtered_bc": "none", "online_filtered_bc": "none", "ppo": "none", "mc": "q",
               "ilql": "q-v"}


def q_term(out: dict, kind: str) -> torch.Tensor | None:
    """The value term added to the logits: None, Q, or min(Q1, Q2) - V, shape (B, T, V)."""
    if kind == "none":
        return None
    if kind == "q":
        return out["q"][0].float()
    if kind == "q-v":
        return torch.minimum(out["q"][0], out["q"][1]).float() - out["v"].float().unsqueeze(-1)
    raise ValueError(f"unknown value term {kind!r}")


@dataclass
class _Slot:
    """What the policy knows of a slot's running episode."""

    texts: list[str] = field(default_factory=list)
    """The history texts of the last turn plus the action returned for it."""
    pieces: list[list[int]] = field(default_factory=list)
    """Token ids of each of `texts` (the generated ids for this policy's actions)."""
    row: list[int] = field(default_factory=list)
    """The tokens of the slot's cache row: its last prompt + the action's ids."""
    cached: int = 0
    """How many of `row` are in the KV cache (the rest are fed next turn)."""
    full: bool = False
    """Whether `row` holds all of `pieces` (the last prompt was not cut from the left)."""
    actions: list[list[int]] = field(default_factory=list)
    """Generated token ids of each action of the episode so far."""


class LMPolicy:
    """A batched text policy around an `LMWithHeads` (see the module docstring).

    Args:
        model, tokenizer: the model and its tokenizer.
        device: where the model lives.
        greedy: argmax decoding; else sample at `temperature`.
        max_new_tokens: per-turn token budget (an unfinished action is cut there).
        max_length: longest prompt + action; prompts are cut from the left to fit.
        value_term / beta: value-guided decoding (see module docstring).
        rerank: choose among legal actions instead of generating.
        candidates: the legal actions: a fixed list, or a function ``slot -> list`` (e.g. from
            ``envs[slot].valid_actions()``); needed when `rerank` is set.
        seed: seeds the sampling (same seed, same actions): each episode samples from its own generator,
            seeded from this seed and the episode's (`begin_episode`), so its actions do not depend on
            the batch size.
        kv_cache: keep each slot's KV cache across turns (False: re-encode every prompt each turn).
        record_tokens: `episode_info` returns ``{"action_tokens": [...]}`` (the generated ids of each
            action) for the online trainers; off by default so evaluation records stay small.
        support_p: value-guided free generation adds ``beta * value term`` only to the tokens of
            pi_beta's top-`support_p` nucleus and never picks the others (1: the whole vocabulary, as
            the reference). A Q head learns only the tokens the data holds; the others keep their
            initial values, which can beat every trained (negative) return and win by beta times
            that gap (see the module docstring).
        stop_ids: the token ids that end an action (None: the tokenizer's ``"\\n"``, which must be one token).

    Example:
        >>> import lmrl_envs
        >>> from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer
        >>> tok = build_tiny_tokenizer(["move up\\n", "Count:\\n"], vocab_size=300)
        >>> policy = LMPolicy(LMWithHeads(build_tiny_model(tok)), tok, greedy=True, max_new_tokens=4,
        ...                   record_tokens=True)
        >>> eps = lmrl_envs.rollout([lmrl_envs.make("maze-fo") for _ in range(2)], policy, 3)
        >>> [len(e.info["behaviour"]["action_tokens"]) == len(e.rewards) for e in eps]
        [True, True, True]
    """

    MEMO_SIZE = 65536
    """Texts whose token ids `_encode` keeps (the memo is cleared when full)."""

    def __init__(self, model: LMWithHeads, tokenizer, *, device="cpu", greedy: bool = False, temperature: float = 1.0,
                 max_new_tokens: int = 32, max_length: int = 256, value_term: str = "none", beta: float = 0.0,
                 rerank: bool = False, candidates: Sequence[str] | Callable[[int], Sequence[str]] | None = None,
                 seed: int = 0, kv_cache: bool = True, record_tokens: bool = False, support_p: float = 1.0,
                 stop_ids: Sequence[int] | None = None):
        self.model, self.tok, self.device = model.to(device).eval(), tokenizer, torch.device(device)
        self.greedy, self.temperature, self.max_new_tokens = greedy, temperature, max_new_tokens
        self.max_length, self.value_term, self.beta = max_length, value_term, beta
        self.rerank, self.candidates = rerank, candidates
        self.kv_cache, self.record_tokens = kv_cache, record_tokens
        if not 0 < support_p <= 1:
            raise ValueError(f"support_p must be in (0, 1], got {support_p}")
        self.support_p = support_p
        if rerank and candidates is None:
            raise ValueError("rerank=True needs candidates (a list of actions or slot -> env.valid_actions())")
        self.stop = newline_id(tokenizer) if stop_ids is None else stop_ids[0]
        self.stop_ids = {self.stop} if stop_ids is None else set(stop_ids)
        """Token ids that end an action (default: ``"\\n"``)."""
        self.seed = seed
        self._gens: dict[int, torch.Generator] = {}
        """The sampling generator of each slot's running episode (see `begin_episode`)."""
        self._slots: dict[int, _Slot] = {}
        self._cache: RowCache | None = None
        self._rows: list[int] = []
        """The slot of each cache row."""
        self._bos_ids = [] if tokenizer.bos_token_id is None else [tokenizer.bos_token_id]
        self._bos = SimpleNamespace(bos_token_id=tokenizer.bos_token_id)
        """What `join_pieces` reads of the tokenizer (attribute access on a transformers tokenizer is slow)."""
        self._piece_memo: dict[str, list[int]] = {}
        """Token ids of recently seen texts (see `_encode`)."""

    def begin_episode(self, slot: int, seed: int, env=None) -> None:
        """Start an episode in `slot` (`lmrl_envs.rollout` calls this): its sampling generator is seeded
        from the policy's seed and the episode's, so the episode's actions do not depend on the batch
        size or on the episodes the slot played before."""
        self._gens[slot] = _generator(self.seed, seed)

    def end_episode(self, slot: int) -> None:
        """Forget the slot's episode (its cache row is rebuilt for the next one)."""
        self._slots.pop(slot, None)
        self._gens.pop(slot, None)

    def episode_info(self, slot: int) -> dict:
        """``{"action_tokens": [[ids of action 1], ...]}`` with `record_tokens`, else ``{}``."""
        state = self._slots.get(slot)
        if not self.record_tokens or state is None:
            return {}
        return {"action_tokens": [list(a) for a in state.actions]}

    @torch.no_grad()
    def act(self, histories: Sequence[TextHistory], slots: Sequence[int] | None = None) -> list[str]:
        slots = list(range(len(histories))) if slots is None else list(slots)
        if not histories:
            return []
        pieces, extends = self._pieces(slots, histories)
        if self.rerank:
            actions = self._rerank(pieces, slots)
            ids = self._encode(actions)
            prompts = [self._prompt(s, p, e, self.max_length - len(a))
                       for s, p, e, a in zip(slots, pieces, extends, ids, strict=True)]
            fed = [0] * len(slots)
        else:
            room = self.max_length - max(1, self.max_new_tokens)
            prompts = [self._prompt(s, p, e, room) for s, p, e in zip(slots, pieces, extends, strict=True)]
            ids, fed = self._generate(slots, [p for p, _ in prompts])
            actions = [a.removesuffix("\n") + "\n" for a in self.tok.batch_decode(ids, skip_special_tokens=True)]
            ids = [r if r and r[-1] == self.stop else r + [self.stop] for r in ids]
        for s, h, p, (prompt, full), a, a_ids, n in zip(slots, histories, pieces, prompts, actions, ids, fed,
                                                        strict=True):
            state = self._slots.setdefault(s, _Slot())
            state.texts = [t.text for t in h] + [normalize_action(a)]
            state.pieces = [*p, a_ids]
            state.row = prompt + a_ids
            state.full = full
            state.cached = len(prompt) + n
            state.actions.append(a_ids)
        return actions

    # ------------------------------------------------------------------ token pieces
    def _pieces(self, slots: list[int], histories: Sequence[TextHistory]) -> tuple[list[list[list[int]]], list[bool]]:
        """The token pieces of each history, and whether it extends the slot's last one (same start).

        The texts kept from the last turn (this policy's action among them) reuse their pieces; the
        new texts of all rows are encoded in one tokenizer call. A history that does not continue
        the last one starts afresh.
        """
        known, extends, new_texts, spans = [], [], [], []
        for slot, history in zip(slots, histories, strict=True):
            texts = [t.text for t in history]
            state = self._slots.get(slot)
            k = len(texts) - 1  # texts already known: all but the new observation
            if state is not None and state.texts and 0 <= k <= len(state.texts) and \
                    texts[:k] == state.texts[len(state.texts) - k:]:
                known.append(state.pieces[len(state.pieces) - k:] if k else [])
                extends.append(k == len(state.texts))
            else:
                if state is not None:
                    self._slots[slot] = _Slot()
                k = 0
                known.append([])
                extends.append(False)
            spans.append((len(new_texts), len(texts) - k))
            new_texts += texts[k:]
        new = self._encode(new_texts)
        return [[*kn, *new[a:a + n]] for kn, (a, n) in zip(known, spans, strict=True)], extends

    def _encode(self, texts: list[str]) -> list[list[int]]:
        """`encode_pieces(texts)`, memoised: observations repeat (a maze cell's sentence, "Yes."), and
        tokenizing them was a third of a maze-fo rollout's time. The lists are shared: never mutate them."""
        memo = self._piece_memo
        missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            if len(memo) + len(missing) > self.MEMO_SIZE:
                memo.clear()
            memo.update(zip(missing, encode_pieces(self.tok, missing), strict=True))
        return [memo[t] for t in texts]

    def _prompt(self, slot: int, pieces: list[list[int]], extends: bool, room: int) -> tuple[list[int], bool]:
        """`join_pieces(pieces, room)` and whether it is uncut; O(new tokens) when the history extends the last one.

        When the slot's last prompt was uncut and this history only appends texts to it, the prompt
        is the slot's cached row (last prompt + action ids) plus the new texts' tokens.
        """
        state = self._slots.get(slot)
        if extends and state is not None and state.full:
            k = len(state.pieces)
            new = [t for piece in pieces[k:] for t in piece]
            if len(state.row) + len(new) <= room:
                return state.row + new, True
        prompt = join_pieces(self._bos, pieces, room)
        return prompt, len(prompt) == len(self._bos_ids) + sum(len(p) for p in pieces)

    # ------------------------------------------------------------------ generation
    def _left_pad(self, rows: list[list[int]]):
        n = max(len(r) for r in rows)
        pad = self.tok.pad_token_id
        ids = torch.tensor([[pad] * (n - len(r)) + r for r in rows], dtype=torch.long)
        att = torch.tensor([[0] * (n - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
        return ids.to(self.device), att.to(self.device)

    def _scores(self, out: dict) -> torch.Tensor:
        """Free generation's next-token scores at each row's last position (`_token_scores`); with a
        value term, tokens outside pi_beta's top-`support_p` nucleus get -inf."""
        last = {k: (v[:, -1:] if torch.is_tensor(v) else [x[:, -1:] for x in v] if isinstance(v, list) else v)
                for k, v in out.items() if k != "past_key_values"}
        scores = self._token_scores(last)[:, -1]
        if self.value_term != "none" and self.support_p < 1:
            scores = scores.masked_fill(~nucleus(last["logits"][:, -1], self.support_p), -torch.inf)
        return scores

    def _pick(self, scores: torch.Tensor, slots: Sequence[int], live: Sequence[bool] | None = None) -> torch.Tensor:
        """One choice per row (row i belongs to ``slots[i]``): argmax, or a sample from
        softmax(scores / temperature) drawn with the slot's own generator (inverse CDF, one uniform
        number per row; with `live`, only for the live rows, the others' choices are meaningless)."""
        if self.greedy:
            return scores.argmax(-1)
        probs = torch.softmax(scores.float() / self.temperature, -1).double()
        gens = [self._gens.get(s) or self._gens.setdefault(s, _generator(self.seed, f"slot{s}")) for s in slots]
        live = [True] * len(gens) if live is None else live
        u = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) if on else torch.zeros(1, dtype=torch.float64)
                       for g, on in zip(gens, live, strict=True)]).to(probs.device)
        cdf = probs.cumsum(-1)
        if not bool(torch.isfinite(cdf[:, -1]).all()):
            raise FloatingPointError("the model's next-token scores are nan or inf: its weights or activations "
                                     "overflowed (a diverged run? lower --lr, or resume from an earlier checkpoint)")
        return (cdf <= u[:, None] * cdf[:, -1:]).sum(-1).clamp(max=probs.shape[-1] - 1)

    def _prepare_rows(self, slots: list[int], prompts: list[list[int]]) -> list[list[int]]:
        """Line the cache rows up with `slots`; keep each row's longest cached prefix of its new prompt.

        Returns each row's tokens to feed this turn (at least one).
        """
        if not self.kv_cache or self._cache is None or not set(slots) <= set(self._rows):
            self._cache, self._rows = RowCache(len(slots), self.device), list(slots)
        elif slots != self._rows:
            self._cache.select([self._rows.index(s) for s in slots])
            self._rows = list(slots)
        feed, keep = [], []
        positions = self._cache.positions.tolist()
        for i, (s, prompt) in enumerate(zip(slots, prompts, strict=True)):
            state = self._slots.get(s)
            n = state.cached if self.kv_cache and state is not None and positions[i] == state.cached else 0
            if n and prompt[:n] != state.row[:n]:  # the history start moved or the prompt was cut
                n = next((j for j, (a, b) in enumerate(zip(prompt, state.row[:n], strict=False)) if a != b),
                         min(n, len(prompt)))
            n = min(n, len(prompt) - 1)  # feed at least one token: its logits start the action
            keep.append(n)
            feed.append(prompt[n:])
        self._cache.truncate(keep)
        self._cache.maybe_compact()
        return feed

    def _generate(self, slots: list[int], prompts: list[list[int]]):
        """Decode one action per row; returns (generated ids per row, how many of them were fed)."""
        budget = max(1, self.max_new_tokens)
        new_tokens = self._prepare_rows(slots, prompts)
        ids, att = self._left_pad(new_tokens)
        out = self._cache.forward(self.model, ids, att.bool(), last_only=True)
        n = len(slots)
        live = [True] * n  # rows still generating; a finished row draws no random number (batch-independent)
        new: list[list[int]] = [[] for _ in range(n)]
        fed = [0] * n
        for step in range(budget):
            tok = self._pick(self._scores(out), slots, live)
            ids, feed = tok.tolist(), live  # the one device sync per token
            for i in range(n):
                if feed[i]:
                    new[i].append(ids[i])
            live = [on and t not in self.stop_ids for on, t in zip(feed, ids, strict=True)]
            if not any(live) or step == budget - 1:
                break
            out = self._cache.forward(self.model, tok.unsqueeze(1), torch.tensor(feed, device=self.device).unsqueeze(1))
            for i in range(n):
                fed[i] += feed[i]
        return new, fed

    # ------------------------------------------------------------------ re-ranking
    def _rerank(self, pieces: list[list[list[int]]], slots: Sequence[int]) -> list[str]:
        """Score every candidate action of each history (its token pieces) and pick one per history.

        Each distinct prompt is encoded once (in the fully observed maze many envs stand on the same
        cell); its cache is then repeated for the candidates of every history with that prompt, which
        are scored in one more forward call (none when every candidate is one token).
        """
        cands = [list(self.candidates(s) if callable(self.candidates) else self.candidates) for s in slots]
        acts = [self._encode(cs) for cs in cands]
        longest = max(len(a) for cs in acts for a in cs)
        distinct: dict[tuple[int, ...], int] = {}
        row_of = [distinct.setdefault(tuple(join_pieces(self._bos, p, self.max_length - longest)), len(distinct))
                  for p in pieces]
        cache = RowCache(len(distinct), self.device)
        ids, att = self._left_pad([list(prompt) for prompt in distinct])
        first = self._token_scores(cache.forward(self.model, ids, att.bool(), last_only=True))[:, -1]  # (prompts, V)
        owner = [row_of[i] for i, cs in enumerate(acts) for _ in cs]
        rows = [a for cs in acts for a in cs]
        index = torch.tensor(owner, device=self.device)
        tok0 = torch.tensor([a[0] for a in rows], device=self.device)
        scores = first[index].gather(1, tok0[:, None]).squeeze(1)
        if longest > 1:  # the later tokens of each candidate, fed after its first one
            cache.select(owner)
            width = longest - 1
            feed = torch.tensor([[j < len(a) - 1 for j in range(width)] for a in rows], device=self.device)
            fed = torch.tensor([a[:-1] + [self.tok.pad_token_id] * (longest - len(a)) for a in rows], device=self.device)
            nxt = torch.tensor([a[1:] + [self.tok.pad_token_id] * (longest - len(a)) for a in rows], device=self.device)
            later = self._token_scores(cache.forward(self.model, fed, feed)).gather(-1, nxt[..., None]).squeeze(-1)
            scores = scores + (later * feed).sum(1)
        sizes = [len(cs) for cs in cands]
        if len(set(sizes)) == 1:  # one batched pick (e.g. the maze's 4 moves)
            choice = self._pick(scores.view(len(cands), sizes[0]), slots).tolist()
        else:
            choice = [int(self._pick(row.unsqueeze(0), [s])[0]) for row, s in zip(scores.split(sizes), slots, strict=True)]
        return [cs[k] for cs, k in zip(cands, choice, strict=True)]

    def _token_scores(self, out: dict) -> torch.Tensor:
        """``log pi_beta + beta * Q-term`` of every next token, (B, T, V)."""
        scores = torch.log_softmax(out["logits"].float(), -1)
        qt = q_term(out, self.value_term)
        return scores if qt is None else scores + self.beta * qt


def _generator(policy_seed: int, stream) -> torch.Generator:
    """A CPU generator seeded from the policy's seed and an episode seed (or slot name)."""
    digest = hashlib.sha256(f"lmrl-algos/policy/{policy_seed}/{stream}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def nucleus(logits: torch.Tensor, p: float) -> torch.Tensor:
    """(B, V) bool: the smallest set of most probable tokens whose probability reaches `p` (top-p).

    Example:
        >>> nucleus(torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])), 0.8).tolist()
        [[True, True, False, False]]
    """
    probs = torch.softmax(logits.float(), -1)
    sorted_p, order = probs.sort(-1, descending=True)
    keep = (sorted_p.cumsum(-1) - sorted_p) < p  # the mass before each token is short of p: the first always
    return torch.zeros_like(keep).scatter(-1, order, keep)


def decoding_model(model: LMWithHeads, extra: dict[str, torch.Tensor]) -> torch.nn.Module:
    """The module a checkpoint decodes with, from its model and its ``extra.safetensors`` tensors.

    An ILQL checkpoint's value terms come from its target network (``target.*``); a value-based
    checkpoint with a frozen behaviour LM (``behaviour.*``, `common.value`) decodes with
    ``ValueGuidedLM(behaviour, value network)``; any other checkpoint with its own model.
    """
    from lmrl_algos.common.value import BEHAVIOUR
    from lmrl_algos.ilql import TARGET

    def part(prefix):
        return {k.removeprefix(prefix): v for k, v in extra.items() if k.startswith(prefix)}

    values, behaviour = model, part(BEHAVIOUR)
    if part(TARGET):
        values = copy.deepcopy(model)
        values.load_state_dict(part(TARGET))
    if not behaviour:
        return values
    lm = copy.deepcopy(model.lm)
    lm.load_state_dict(behaviour)
    return ValueGuidedLM(lm, values)


def load_policy(path, device="cpu", *, env_id: str | None = None, **kwargs) -> LMPolicy:
    """The policy of a checkpoint (a run's --out or its checkpoint/ dir), set up for its algorithm.

    Value-guided decoding uses the checkpoint's `beta` and `support_p` unless passed. `env_id`, when
    given, must match the env the checkpoint was trained for. The weights are loaded in ``dtype=...`` or else
    the run's ``--dtype`` (a run's fp16 becomes fp32 off CUDA); a LoRA checkpoint's adapter is merged. The
    checkpoint is read by `checkpoint.load` (verified first: a damaged one, or one with nan or inf weights, is a
    `checkpoint.CheckpointError`).
    """
    from lmrl_algos.models import check_dtype_device

    dtype = kwargs.pop("dtype", None)
    if dtype is not None:
        check_dtype_device(dtype, device)
    if env_id is not None:
        from lmrl_algos.common.trainer import canonical_env_id

        env_id = canonical_env_id(env_id)
    loaded = checkpoint.load(path, device=device, dtype=dtype, env_id=env_id, extra=True)
    cfg = loaded.state["config"]
    kwargs.setdefault("value_term", VALUE_TERMS.get(loaded.state["algo"], "none"))
    kwargs.setdefault("beta", cfg.get("beta", 0.0))
    kwargs.setdefault("support_p", cfg.get("support_p", 1.0))
    kwargs.setdefault("max_length", cfg.get("max_length", 256))
    return LMPolicy(decoding_model(loaded.model, loaded.extra), loaded.tokenizer, device=device, **kwargs)
