"""The language-model policy: batched generation over many histories, or re-ranking legal actions.

`LMPolicy` implements the `lmrl_envs.Policy` protocol (``act(histories, slots)``,
``end_episode(slot)``), so `lmrl_envs.rollout` plays it directly. Prompts are built with
`common.mdp.encode_history` (the same tokens the trainers see), left-padded, prefilled once, then
decoded token by token with the KV cache until each row emits ``"\\n"`` or spends its per-turn
budget. Next-token scores are ``LM logits + beta * Q-term`` where the Q-term is 0 (bc, ppo),
Q (mc) or min(Q1, Q2) - V (ilql). With ``rerank=True`` the policy instead scores each legal action
(``env.valid_actions()`` of the slot's env, or a fixed list) by its summed log-prob (bc, ppo) or
summed Q-term (mc, ilql) and takes the argmax (greedy) or samples from softmax(score).

Example:
    >>> policy = load_policy("runs/maze-bc", device="cpu")             # doctest: +SKIP
    >>> lmrl_envs.rollout(lmrl_envs.make("maze-fo"), policy, 4)        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from lmrl_algos import checkpoint
from lmrl_algos.common.mdp import encode_history, encode_pieces
from lmrl_algos.models import LMWithHeads, newline_id
from lmrl_envs import TextHistory

__all__ = ["LMPolicy", "load_policy", "q_term"]

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


class LMPolicy:
    """A batched text policy around an `LMWithHeads`.

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
        seed: seeds the sampling generator (same seed, same actions).
    """

    def __init__(self, model: LMWithHeads, tokenizer, *, device="cpu", greedy: bool = False, temperature: float = 1.0,
                 max_new_tokens: int = 32, max_length: int = 256, value_term: str = "none", beta: float = 0.0,
                 rerank: bool = False, candidates: Sequence[str] | Callable[[int], Sequence[str]] | None = None,
                 seed: int = 0):
        self.model, self.tok, self.device = model.to(device).eval(), tokenizer, torch.device(device)
        self.greedy, self.temperature, self.max_new_tokens = greedy, temperature, max_new_tokens
        self.max_length, self.value_term, self.beta = max_length, value_term, beta
        self.rerank, self.candidates = rerank, candidates
        if rerank and candidates is None:
            raise ValueError("rerank=True needs candidates (a list of actions or slot -> env.valid_actions())")
        self.stop = newline_id(tokenizer)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)

    def end_episode(self, slot: int) -> None:
        """Nothing is kept across turns (the cache lives within one turn)."""

    @torch.no_grad()
    def act(self, histories: Sequence[TextHistory], slots: Sequence[int] | None = None) -> list[str]:
        slots = list(range(len(histories))) if slots is None else list(slots)
        if not histories:
            return []
        if self.rerank:
            return self._rerank(histories, slots)
        return self._generate(histories)

    # ------------------------------------------------------------------ generation
    def _left_pad(self, rows: list[list[int]]):
        n = max(len(r) for r in rows)
        ids = torch.full((len(rows), n), self.tok.pad_token_id, dtype=torch.long)
        att = torch.zeros((len(rows), n), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, n - len(r):] = torch.tensor(r)
            att[i, n - len(r):] = 1
        return ids.to(self.device), att.to(self.device)

    def _scores(self, out: dict) -> torch.Tensor:
        logits = out["logits"][:, -1].float()
        qt = q_term({k: (v[:, -1:] if torch.is_tensor(v) else [x[:, -1:] for x in v] if isinstance(v, list) else v)
                     for k, v in out.items() if k != "past_key_values"}, self.value_term)
        if qt is not None:
            logits = logits + self.beta * qt[:, -1]
        return logits

    def _pick(self, scores: torch.Tensor) -> torch.Tensor:
        if self.greedy:
            return scores.argmax(-1)
        probs = torch.softmax(scores / self.temperature, -1)
        return torch.multinomial(probs, 1, generator=self.gen).squeeze(-1)

    def _generate(self, histories: Sequence[TextHistory]) -> list[str]:
        budget = max(1, self.max_new_tokens)
        rows = [encode_history(self.tok, [t.text for t in h], self.max_length - budget) for h in histories]
        ids, att = self._left_pad(rows)
        pos = (att.cumsum(-1) - 1).clamp(min=0)
        out = self.model(ids, attention_mask=att, position_ids=pos, use_cache=True)
        done = torch.zeros(len(rows), dtype=torch.bool, device=self.device)
        new: list[list[int]] = [[] for _ in rows]
        for _ in range(budget):
            tok = self._pick(self._scores(out))
            for i in range(len(rows)):
                if not done[i]:
                    new[i].append(int(tok[i]))
            done |= tok == self.stop
            if bool(done.all()):
                break
            att = torch.cat([att, torch.ones_like(att[:, :1])], 1)
            pos = pos[:, -1:] + 1
            out = self.model(tok.unsqueeze(1), attention_mask=att, position_ids=pos,
                             past_key_values=out["past_key_values"], use_cache=True)
        return [self.tok.decode(r, skip_special_tokens=True).removesuffix("\n") + "\n" for r in new]

    # ------------------------------------------------------------------ re-ranking
    def _rerank(self, histories: Sequence[TextHistory], slots: Sequence[int]) -> list[str]:
        cands = [list(self.candidates(s) if callable(self.candidates) else self.candidates) for s in slots]
        rows, spans, owner = [], [], []
        for i, h in enumerate(histories):
            for c in cands[i]:
                act = encode_pieces(self.tok, [c])[0]
                prompt = encode_history(self.tok, [t.text for t in h], self.max_length - len(act))
                rows.append(prompt + act)
                spans.append(len(act))
                owner.append(i)
        ids, att = self._left_pad(rows)
        pos = (att.cumsum(-1) - 1).clamp(min=0)
        out = self.model(ids, attention_mask=att, position_ids=pos)
        n = ids.shape[1]
        qt = q_term(out, self.value_term)
        if qt is None:
            per_token = torch.log_softmax(out["logits"].float(), -1)
        else:
            per_token = qt
        tgt = ids[:, 1:]
        picked = per_token[:, :-1].gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        scores = [float(picked[r, n - 1 - k:].sum()) for r, k in enumerate(spans)]
        result, r = [], 0
        for i in range(len(histories)):
            s = torch.tensor(scores[r:r + len(cands[i])], device=self.device)
            r += len(cands[i])
            result.append(cands[i][int(self._pick(s.unsqueeze(0))[0])])
        return result


def load_policy(path, device="cpu", *, env_id: str | None = None, **kwargs) -> LMPolicy:
    """The policy of a checkpoint (a run's --out or its checkpoint/ dir), set up for its algorithm.

    Value-guided decoding uses the checkpoint's `beta` unless `beta=` is passed. `env_id`, when
    given, must match the env the checkpoint was trained for.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    state = checkpoint.read_state(path)
    if env_id is not None:
        from lmrl_algos.common.trainer import canonical_env_id

        if canonical_env_id(env_id) != state["env_id"]:
            raise checkpoint.CheckpointError(
                f"{path}: checkpoint is for {state['env_id']}, not {canonical_env_id(env_id)}")
    ckpt = checkpoint.find_checkpoint(path)
    tok = AutoTokenizer.from_pretrained(ckpt / "model")
    lm = AutoModelForCausalLM.from_pretrained(ckpt / "model")
    model = LMWithHeads(lm, **state.get("head_kwargs", {}))
    checkpoint.load_into(ckpt, model=model)
    cfg = state["config"]
    kwargs.setdefault("value_term", VALUE_TERMS.get(state["algo"], "none"))
    kwargs.setdefault("beta", cfg.get("beta", 0.0))
    kwargs.setdefault("max_length", cfg.get("max_length", 256))
    return LMPolicy(model, tok, device=device, **kwargs)
