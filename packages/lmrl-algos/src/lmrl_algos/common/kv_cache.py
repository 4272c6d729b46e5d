"""A batched KV cache whose rows are independent token streams (the policy's multi-turn cache).

Each row of `RowCache` is one environment slot. The cache is one set of (B, H, T, D) key/value
buffers per layer plus a (B, T) validity mask and a per-row position counter: every forward call
appends W columns to all rows, and a row marks which of its W columns hold real tokens (the rest are
holes, masked out of attention and skipped by the position ids). So rows can append different
numbers of tokens per call and a finished row stops while others decode. `truncate` keeps a prefix
of each row (a new prompt that shares only a prefix with the cached tokens reuses that prefix; 0
tokens restarts the row for a new episode while the other rows keep their cache). `compact` squeezes the holes out (order and positions are kept, so
the cached keys and values stay valid); `maybe_compact` does it once the cache is a quarter
longer than its longest row.

The buffers are preallocated and grown by doubling (`_BufferLayer`), so appending a token costs
O(1) copies instead of the O(T) concatenation of transformers' `DynamicLayer`.

A model made of several causal LMs run side by side (`lmrl_algos.models.ValueGuidedLM`: a frozen
behaviour LM beside the value network) keeps one cache per LM: it says how many with a
``n_caches`` attribute and takes and returns a tuple of caches; the rows of all of them are
selected, truncated and compacted together.

Example:
    >>> import torch
    >>> from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer
    >>> tok = build_tiny_tokenizer(["ab\\n"], vocab_size=260)
    >>> model = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2))
    >>> cache = RowCache(2)
    >>> ids = torch.tensor([[0, 5, 6], [5, 6, 7]])
    >>> out = cache.forward(model, ids, torch.tensor([[False, True, True], [True, True, True]]))
    >>> cache.length, cache.positions.tolist()
    (3, [2, 3])
"""

from __future__ import annotations

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

__all__ = ["RowCache"]


class _BufferLayer(DynamicLayer):
    """A `DynamicLayer` that writes into a preallocated buffer (grown by doubling) instead of concatenating."""

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        b, h, _, d = key_states.shape
        self.kbuf = key_states.new_zeros(b, h, 64, d)
        self.vbuf = value_states.new_zeros(b, h, 64, value_states.shape[-1])
        self.n = 0
        self.keys, self.values = self.kbuf[..., :0, :], self.vbuf[..., :0, :]
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        w = key_states.shape[-2]
        if self.n + w > self.kbuf.shape[-2]:
            self._resize(max(2 * self.kbuf.shape[-2], self.n + w))
        self.kbuf[..., self.n:self.n + w, :] = key_states
        self.vbuf[..., self.n:self.n + w, :] = value_states
        self.n += w
        self.keys, self.values = self.kbuf[..., :self.n, :], self.vbuf[..., :self.n, :]
        return self.keys, self.values

    def _resize(self, cap: int) -> None:
        k = self.kbuf.new_empty(*self.kbuf.shape[:2], cap, self.kbuf.shape[-1])
        v = self.vbuf.new_empty(*self.vbuf.shape[:2], cap, self.vbuf.shape[-1])
        k[..., :self.n, :] = self.kbuf[..., :self.n, :]
        v[..., :self.n, :] = self.vbuf[..., :self.n, :]
        self.kbuf, self.vbuf = k, v

    def get_seq_length(self) -> int:
        return self.n if self.is_initialized else 0

    def gather(self, index: torch.Tensor) -> None:
        """Keep columns `index` (B, T') of each row (and rows in batch order of `index`)."""
        index = index.to(self.kbuf.device)
        b, h, _, d = self.kbuf.shape
        w = index.shape[1]
        rows = torch.arange(b, device=index.device)[:, None]
        # advanced indexing (B, T', H, D) is about 2x faster than `gather` with an expanded 4-D index on CPU
        k, v = self.kbuf[rows, :, index], self.vbuf[rows, :, index]
        cap = max(64, w + w // 2)
        self.kbuf, self.vbuf = k.new_empty(b, h, cap, d), v.new_empty(b, h, cap, v.shape[-1])
        self.kbuf[..., :w, :] = k.transpose(1, 2)
        self.vbuf[..., :w, :] = v.transpose(1, 2)
        self.n = w
        self.keys, self.values = self.kbuf[..., :w, :], self.vbuf[..., :w, :]

    def select_rows(self, rows: torch.Tensor) -> None:
        rows = rows.to(self.kbuf.device)
        self.kbuf, self.vbuf = self.kbuf[rows], self.vbuf[rows]
        self.keys, self.values = self.kbuf[..., :self.n, :], self.vbuf[..., :self.n, :]


def _new_cache() -> DynamicCache:
    cache = DynamicCache()
    cache.layer_class_to_replicate = _BufferLayer
    return cache


def new_cache(model) -> DynamicCache | tuple[DynamicCache, ...]:
    """An empty cache for `model`: one `DynamicCache`, or a tuple of ``model.n_caches`` of them."""
    n = getattr(model, "n_caches", 1)
    return _new_cache() if n == 1 else tuple(_new_cache() for _ in range(n))


class RowCache:
    """A batched KV cache of `n_rows` independent rows with holes (see the module docstring).

    Args:
        n_rows: the batch size (one row per environment slot).
        device: where the mask and positions live (the model's device).
    """

    def __init__(self, n_rows: int, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.cache = None
        """The model's cache (see `new_cache`); made on the first `forward`."""
        self.mask = torch.zeros((n_rows, 0), dtype=torch.bool, device=self.device)
        """(B, T): which columns hold real tokens."""
        self.positions = torch.zeros(n_rows, dtype=torch.long, device=self.device)
        """(B,): the number of real tokens of each row (= the next position id)."""

    @property
    def n_rows(self) -> int:
        return self.mask.shape[0]

    @property
    def length(self) -> int:
        """Columns in the cache (real tokens + holes)."""
        return self.mask.shape[1]

    def truncate(self, lengths: list[int]) -> None:
        """Keep only the first ``lengths[i]`` real tokens of each row (the rest become holes)."""
        n = torch.tensor(lengths, dtype=torch.long, device=self.device)
        if bool((n < self.positions).any()):
            self.mask &= self.mask.long().cumsum(1) <= n[:, None]
            self.positions = torch.minimum(self.positions, n)

    def _layers(self) -> list[_BufferLayer]:
        """The initialised layers of every cache."""
        caches = () if self.cache is None else self.cache if isinstance(self.cache, tuple) else (self.cache,)
        return [layer for cache in caches for layer in cache.layers if layer.is_initialized]

    def select(self, rows: list[int]) -> None:
        """Keep only these rows, in this order."""
        index = torch.tensor(rows, dtype=torch.long, device=self.device)
        self.mask, self.positions = self.mask[index], self.positions[index]
        for layer in self._layers():
            layer.select_rows(index)

    def compact(self) -> None:
        """Squeeze the holes out: each row's real columns, in order, left-padded to the longest row."""
        width = int(self.positions.max()) if self.n_rows else 0
        if width == 0:
            self.cache = None
            self.mask = self.mask[:, :0]
            return
        cols = torch.arange(self.length, device=self.device).expand_as(self.mask)
        # real columns sorted to the right end (stable: keeps their order), holes to the left
        order = torch.sort(self.mask.long(), dim=1, stable=True).indices
        index = cols.gather(1, order)[:, -width:]
        self.mask = self.mask.gather(1, index)
        for layer in self._layers():
            layer.gather(index)

    def maybe_compact(self, slack: int = 16, ratio: float = 0.25) -> bool:
        """`compact` when the cache has more than ``max(slack, ratio * longest row)`` columns beyond its longest row.

        Every forward call reads all columns, holes included, so holes cost as much attention as
        real tokens; one compaction (a gather of the cache) costs about one such read. Returns whether it compacted.
        """
        longest = int(self.positions.max()) if self.n_rows else 0
        if self.length - longest > max(slack, ratio * longest):
            self.compact()
            return True
        return False

    def forward(self, model, ids: torch.Tensor, feed: torch.Tensor, *, last_only: bool = False) -> dict:
        """Run `model` on W new columns: `ids` (B, W) token ids, `feed` (B, W) bool, True on real tokens.

        Returns the model's output dict (its ``logits[:, -1]`` is each row's next-token distribution
        when each row's last real token is in the last column); with `last_only` the heads run on
        the last column only (`lmrl_algos.models.LMWithHeads`).
        """
        feed = feed.to(self.device)
        pos = (self.positions[:, None] + feed.long().cumsum(1) - 1).clamp(min=0)
        att = torch.cat([self.mask, feed], 1).long()
        if self.cache is None:
            self.cache = new_cache(model)
        out = model(ids.to(self.device), attention_mask=att, position_ids=pos, past_key_values=self.cache,
                    use_cache=True, last_only=last_only)
        self.cache = out["past_key_values"]
        self.mask = torch.cat([self.mask, feed], 1)
        self.positions = self.positions + feed.long().sum(1)
        return out
