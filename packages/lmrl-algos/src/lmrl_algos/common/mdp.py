"""The token-level multi-turn MDP: the one place where episodes become token tensors.

States are token prefixes, actions are single tokens; only tokens inside the agent's utterances are
actions (``action_mask``). Each step's context is tokenised from exactly the texts the env showed
(`Episode.context_start`), one text piece at a time, with the tokenizer's bos token in front; the
policy builds its prompts with the same `encode_history`, so training tokens and rollout tokens
never drift apart.

Actions a policy generated are trained on *as the token ids it generated*: `LMPolicy` records them
per episode (``info["behaviour"]["action_tokens"]``, one list per action, with ``record_tokens=True``)
and ``build_mdp(..., use_action_tokens=True)`` (the online trainers) uses them for the action pieces
instead of re-encoding the action text, which could tokenise differently (e.g. ``"mo" "ve"`` sampled,
``"move"`` re-encoded). Observations are always encoded piecewise, as the policy encodes them.

An episode becomes a *chain* of segments. Consecutive actions whose contexts extend each other
(same ``context_start``) share one segment while it fits in ``max_length`` tokens; a history that
restarts (maze-fo shows only the current observation) or an overflow starts a new segment. The last
action token of a segment bootstraps into the first action token of the next segment
(``next_prefix`` holds that segment's context), or into 0 at the end of an episode that terminated.
An episode that was truncated (the env's step limit, or a dataset's horizon cutting it off) did not
end: its last segment bootstraps into the state it was cut in (``next_prefix`` = that state's
context, from ``info["final_context_start"]``, which `lmrl_envs.rollout` records). Treating the cut
as terminal would teach values that stopping early is good. MC Returns cannot bootstrap; its
returns-to-go of truncated episodes stay the observed (partial) sums.

Per segment, in token positions:
  * ``action_mask``: 1 on action tokens.
  * ``rewards``: the step reward on the last token of each action, 0 elsewhere.
  * ``returns``: discounted returns-to-go over the episode's action tokens, gamma applied once per
    action token (observation tokens are skipped), 0 on observation tokens.
  * ``next_action``: for an action token, the position of the next action token in the segment
    (skipping observation tokens), -1 for the segment's last one and on observation tokens.
  * ``spans``: the first and last token position of each action (utterance) in the segment, in order
    (ArCHer's utterance-level critic reads its values at these).

Example:
    >>> from lmrl_envs import Episode
    >>> from lmrl_algos.models import build_tiny_tokenizer
    >>> ep = Episode("toy-v0", 0, ["a\\n", "b\\n", "c\\n", "d\\n"], [False, True, False, True], [1.0, 2.0], [0, 0])
    >>> tok = build_tiny_tokenizer(ep.texts, vocab_size=300)
    >>> seg, = build_episode(ep, tok, gamma=0.5, max_length=64)
    >>> seg.action_mask, seg.returns
    ([0, 0, 0, 1, 1, 0, 0, 1, 1], [0.0, 0.0, 0.0, 0.75, 1.5, 0.0, 0.0, 1.0, 2.0])
    >>> seg.spans
    [(3, 4), (7, 8)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch

from lmrl_envs import Episode

__all__ = ["MDPError", "Segment", "action_tokens_of", "build_episode", "build_mdp", "collate", "encode_history",
           "encode_pieces", "join_pieces", "next_prefix_values"]


class MDPError(ValueError):
    """An episode that cannot be turned into training tokens (e.g. one action longer than max_length)."""


@dataclass
class Segment:
    """One training sequence of an episode's chain (token positions; see the module docstring)."""

    input_ids: list[int]
    action_mask: list[int]
    rewards: list[float]
    returns: list[float]
    next_action: list[int]
    next_prefix: list[int] | None
    """Tokens of the next segment up to its first action token; for the last segment of a truncated
    episode, the context of the state it was cut in; None at the end of a terminated episode."""
    episode: int = 0
    """Index of the episode in the dataset."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """(first, last) token position of each action of the segment, in order."""


def _bos(tokenizer) -> list[int]:
    return [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []


def encode_pieces(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, tokenised on its own (no special tokens)."""
    if not texts:
        return []
    return [list(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]


def encode_history(tokenizer, texts: Sequence[str], max_tokens: int) -> list[int]:
    """The prompt of a history: bos + the texts' pieces, cut from the left to `max_tokens`.

    Example:
        >>> from lmrl_algos.models import build_tiny_tokenizer
        >>> tok = build_tiny_tokenizer(["ab\\n"], vocab_size=260)
        >>> len(encode_history(tok, ["ab\\n", "ab\\n"], 100)), len(encode_history(tok, ["ab\\n", "ab\\n"], 3))
        (5, 3)
    """
    return join_pieces(tokenizer, encode_pieces(tokenizer, texts), max_tokens)


def join_pieces(tokenizer, pieces: Sequence[Sequence[int]], max_tokens: int) -> list[int]:
    """bos + the pieces' tokens, cut from the left to `max_tokens` (`encode_history` on token pieces)."""
    bos = _bos(tokenizer)
    ctx = [t for piece in pieces for t in piece]
    room = max(0, max_tokens - len(bos))
    return bos + (ctx[max(0, len(ctx) - room):] if room else [])


def action_tokens_of(episode: Episode) -> list[list[int]] | None:
    """The generated token ids of each action, as `LMPolicy` recorded them; None when absent or inconsistent.

    Looked up in ``info["behaviour"]["action_tokens"]`` (where `lmrl_envs.rollout` stores a policy's
    `episode_info`) or ``info["action_tokens"]``; used only when there is one non-empty list of
    ints per action.

    Example:
        >>> from lmrl_envs import Episode
        >>> ep = Episode("toy-v0", 0, ["a\\n", "b\\n"], [False, True], [1.0], [0],
        ...              info={"behaviour": {"action_tokens": [[7, 3]]}})
        >>> action_tokens_of(ep)
        [[7, 3]]
    """
    info = episode.info or {}
    behaviour = info.get("behaviour")
    toks = (behaviour.get("action_tokens") if isinstance(behaviour, dict) else None) or info.get("action_tokens")
    if not isinstance(toks, list) or len(toks) != len(episode.action_indices):
        return None
    if not all(isinstance(p, list) and p and all(isinstance(t, int) for t in p) for p in toks):
        return None
    return [list(p) for p in toks]


def _returns_to_go(episode: Episode, action_pieces: list[list[int]], gamma: float) -> list[list[float]]:
    """Per action, per token: discounted return-to-go over the episode's action tokens."""
    flat = []
    for piece, r in zip(action_pieces, episode.rewards, strict=True):
        flat += [0.0] * (len(piece) - 1) + [float(r)]
    g, rtg = 0.0, [0.0] * len(flat)
    for i in range(len(flat) - 1, -1, -1):
        g = flat[i] + gamma * g
        rtg[i] = g
    out, i = [], 0
    for piece in action_pieces:
        out.append(rtg[i:i + len(piece)])
        i += len(piece)
    return out


def build_episode(episode: Episode, tokenizer, *, gamma: float, max_length: int, index: int = 0,
                  use_action_tokens: bool = False) -> list[Segment]:
    """Tokenise one episode into its chain of segments (see the module docstring).

    With `use_action_tokens`, the actions' recorded generated ids (`action_tokens_of`) replace the
    re-encoded action texts when the episode has them (only for episodes generated with this
    tokenizer: the online trainers' own rollouts).
    """
    pieces = encode_pieces(tokenizer, episode.texts)
    acts = episode.action_indices
    generated = action_tokens_of(episode) if use_action_tokens else None
    if generated is not None:
        for a, ids in zip(acts, generated, strict=True):
            pieces[a] = ids
    bos = _bos(tokenizer)
    for k, a in enumerate(acts):
        if not pieces[a]:
            raise MDPError(f"episode {index}: action {k} ({episode.texts[a]!r}) tokenises to nothing")
        if len(pieces[a]) + len(bos) > max_length:
            raise MDPError(f"episode {index}: action {k} has {len(pieces[a])} tokens, more than max_length "
                           f"{max_length}; raise --max-length")
    rtg = _returns_to_go(episode, [pieces[a] for a in acts], gamma)
    # group actions into chunks: [first action k, last action j], all with context_start s
    chunks: list[tuple[list[int], int, int]] = []
    k = 0
    while k < len(acts):
        s = episode.context_start[k]
        ctx = [t for p in pieces[s:acts[k]] for t in p]
        room = max_length - len(bos) - len(pieces[acts[k]])
        prefix = bos + (ctx[max(0, len(ctx) - room):] if room > 0 else [])
        total = len(prefix) + len(pieces[acts[k]])
        j = k
        while j + 1 < len(acts) and episode.context_start[j + 1] == s:
            extra = sum(len(p) for p in pieces[acts[j] + 1:acts[j + 1] + 1])
            if total + extra > max_length:
                break
            total += extra
            j += 1
        chunks.append((prefix, k, j))
        k = j + 1
    final_prefix = None
    final_start = episode.info.get("final_context_start")
    if episode.truncated and not episode.terminated and final_start is not None:
        # cut off (time limit, data horizon), not ended: the last action bootstraps into the state it left
        ctx = [t for p in pieces[final_start:] for t in p]
        room = max_length - len(bos) - 1
        final_prefix = bos + ctx[max(0, len(ctx) - room):]
    segments = []
    for c, (prefix, k, j) in enumerate(chunks):
        ids, mask, rew, ret = list(prefix), [0] * len(prefix), [0.0] * len(prefix), [0.0] * len(prefix)
        spans = []
        for m in range(k, j + 1):
            if m > k:  # the observations between action m-1 and action m
                obs = [t for p in pieces[acts[m - 1] + 1:acts[m]] for t in p]
                ids += obs
                mask += [0] * len(obs)
                rew += [0.0] * len(obs)
                ret += [0.0] * len(obs)
            piece = pieces[acts[m]]
            spans.append((len(ids), len(ids) + len(piece) - 1))
            ids += piece
            mask += [1] * len(piece)
            rew += [0.0] * (len(piece) - 1) + [float(episode.rewards[m])]
            ret += rtg[m]
        positions = [i for i, x in enumerate(mask) if x]
        nxt = [-1] * len(ids)
        for p, q in zip(positions, positions[1:], strict=False):
            nxt[p] = q
        next_prefix = list(chunks[c + 1][0]) if c + 1 < len(chunks) else final_prefix
        segments.append(Segment(ids, mask, rew, ret, nxt, next_prefix, index, spans))
    return segments


def build_mdp(episodes: Iterable[Episode], tokenizer, *, gamma: float, max_length: int,
              use_action_tokens: bool = False) -> list[Segment]:
    """All segments of all episodes, in order (`Segment.episode` says which episode)."""
    out: list[Segment] = []
    for i, ep in enumerate(episodes):
        out += build_episode(ep, tokenizer, gamma=gamma, max_length=max_length, index=i,
                             use_action_tokens=use_action_tokens)
    return out


def collate(segments: Sequence[Segment], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad segments into a batch, in the *prediction frame*: index t is the model output at
    position t, which predicts token t + 1.

    Returns tensors (B = batch, L = longest segment): ``input_ids``, ``attention_mask`` (B, L);
    ``targets``, ``mask``, ``rewards``, ``returns``, ``next_idx`` (B, L - 1), the token-frame fields
    shifted by one (``next_idx`` = prediction index of the next action token, -1 if none);
    ``next_ids`` / ``next_mask`` (B, Lp) the next segments' prefixes and ``has_next`` (B,).
    """
    length = max(len(s.input_ids) for s in segments)
    nlen = max([len(s.next_prefix) for s in segments if s.next_prefix] + [1])
    b = len(segments)
    ids = torch.full((b, length), pad_id, dtype=torch.long)
    att = torch.zeros((b, length), dtype=torch.long)
    mask = torch.zeros((b, length), dtype=torch.float32)
    rew = torch.zeros((b, length), dtype=torch.float32)
    ret = torch.zeros((b, length), dtype=torch.float32)
    nxt = torch.full((b, length), -1, dtype=torch.long)
    next_ids = torch.full((b, nlen), pad_id, dtype=torch.long)
    next_mask = torch.zeros((b, nlen), dtype=torch.long)
    has_next = torch.zeros(b, dtype=torch.bool)
    for i, s in enumerate(segments):
        n = len(s.input_ids)
        ids[i, :n] = torch.tensor(s.input_ids)
        att[i, :n] = 1
        mask[i, :n] = torch.tensor(s.action_mask, dtype=torch.float32)
        rew[i, :n] = torch.tensor(s.rewards)
        ret[i, :n] = torch.tensor(s.returns)
        nxt[i, :n] = torch.tensor(s.next_action)
        if s.next_prefix:
            next_ids[i, :len(s.next_prefix)] = torch.tensor(s.next_prefix)
            next_mask[i, :len(s.next_prefix)] = 1
            has_next[i] = True
    shifted_next = torch.where(nxt[:, 1:] >= 0, nxt[:, 1:] - 1, nxt[:, 1:])
    return {
        "input_ids": ids, "attention_mask": att, "targets": ids[:, 1:], "mask": mask[:, 1:],
        "rewards": rew[:, 1:], "returns": ret[:, 1:], "next_idx": shifted_next,
        "next_ids": next_ids, "next_mask": next_mask, "has_next": has_next,
    }


def next_prefix_values(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """V of the state after each segment of a `collate` batch, (B,) floats: `model`'s ``v`` at the last token of
    the segment's ``next_ids`` prefix (where a truncated episode's value bootstraps, ILQL and ArCHer), 0 for a
    segment without one (``has_next`` False: the end of a terminated episode). One forward over those rows only."""
    boot = torch.zeros(batch["input_ids"].shape[0], device=batch["input_ids"].device)
    rows = batch["has_next"].nonzero().squeeze(1)
    if len(rows):
        nmask = batch["next_mask"][rows]
        last = torch.zeros_like(nmask, dtype=torch.bool)
        last[torch.arange(len(rows), device=last.device), (nmask.sum(1) - 1).clamp(min=0)] = True
        boot[rows] = model(input_ids=batch["next_ids"][rows], attention_mask=nmask, select=last)["v"].float()
    return boot
