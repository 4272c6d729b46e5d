"""Models: any local causal LM, the offline ``tiny`` GPT-2, and the value heads on a shared trunk.

``--model tiny`` builds, with no download, a 2-layer GPT-2 (128 wide, 4 heads, 512 positions) and a
byte-level BPE tokenizer trained on the training data's own texts (vocabulary 512, ``"\\n"`` its
own token and the stop token, plus ``<|endoftext|>`` as bos/eos and ``<|pad|>``). Both are saved with
every checkpoint (`save_pretrained`, safetensors), so a checkpoint is self-contained.

Example:
    >>> tok = build_tiny_tokenizer(["move up\\n", "The goal is at position 8, 6.\\n"], vocab_size=300)
    >>> tok.convert_ids_to_tokens(newline_id(tok))
    'Ċ'
    >>> model = build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2)
    >>> model.config.vocab_size == len(tok)
    True
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "ModelError",
    "TINY_DEFAULTS",
    "LMWithHeads",
    "ValueGuidedLM",
    "build_tiny_model",
    "build_tiny_tokenizer",
    "load_model",
    "newline_id",
]

BOS = "<|endoftext|>"
PAD = "<|pad|>"

TINY_DEFAULTS = {"n_layer": 2, "n_embd": 128, "n_head": 4, "n_positions": 512, "vocab_size": 512}
"""Sizes of ``--model tiny`` (about 0.5 M parameters; see README for how fast it learns Maze BC)."""


class ModelError(ValueError):
    """A model path or checkpoint that cannot be used; the message says what to pass instead."""


def build_tiny_tokenizer(texts: Iterable[str], vocab_size: int = TINY_DEFAULTS["vocab_size"]):
    """Train a byte-level BPE tokenizer on `texts` (any string stays encodable: 256 byte symbols).

    ``"\\n"`` is a pre-token of its own (GPT-2 splitting), so it is always the single token ``Ċ``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[BOS, PAD], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(sorted(set(texts)), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=BOS, pad_token=PAD)


def build_tiny_model(tokenizer, *, n_layer: int = TINY_DEFAULTS["n_layer"], n_embd: int = TINY_DEFAULTS["n_embd"],
                     n_head: int = TINY_DEFAULTS["n_head"], n_positions: int = TINY_DEFAULTS["n_positions"],
                     seed: int = 0):
    """A freshly initialised small GPT-2 for `tokenizer` (deterministic under `seed`, no dropout)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(vocab_size=len(tokenizer), n_layer=n_layer, n_embd=n_embd, n_head=n_head,
                     n_positions=n_positions, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     bos_token_id=tokenizer.bos_token_id, eos_token_id=newline_id(tokenizer),
                     pad_token_id=tokenizer.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GPT2LMHeadModel(cfg)


def newline_id(tokenizer) -> int:
    """The id of ``"\\n"`` (the stop token); error if the tokenizer splits it or merges it away."""
    ids = tokenizer.encode("\n", add_special_tokens=False)
    if len(ids) != 1:
        raise ModelError(f"the tokenizer encodes '\\n' as {len(ids)} tokens; lmrl needs it to be one stop token")
    return ids[0]


def load_model(spec: str, texts: Iterable[str] | None = None, *, seed: int = 0):
    """Return ``(model, tokenizer)`` for ``"tiny"`` (needs `texts`) or a local model directory.

    Raises:
        ModelError: the path does not exist (hub ids are not downloaded: there is no network) or the
            directory holds no causal LM.
    """
    if spec == "tiny":
        if texts is None:
            raise ModelError("--model tiny trains its tokenizer on the data: pass the training texts")
        tok = build_tiny_tokenizer(texts)
        return build_tiny_model(tok, seed=seed), tok
    path = Path(os.path.expanduser(spec))
    if not path.is_dir():
        raise ModelError(
            f"--model {spec}: no such local directory. Hugging Face hub downloads need a network, which lmrl "
            "does not use; pass a local model directory (one written by save_pretrained) or `--model tiny`"
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ModelError(f"--model {spec}: not a causal LM directory with a tokenizer ({e})") from None
    if tok.pad_token is None:
        tok.add_special_tokens({"pad_token": PAD})
        model.resize_token_embeddings(len(tok))
    newline_id(tok)
    return model, tok


class Head(nn.Module):
    """``n_embd -> n_embd -> out`` MLP (ReLU) or a Linear; the last layer starts at weight 0, bias `bias`."""

    def __init__(self, n_embd: int, out: int, *, mlp: bool = True, bias: float = 0.0):
        super().__init__()
        last = nn.Linear(n_embd, out)
        nn.init.zeros_(last.weight)
        nn.init.constant_(last.bias, bias)
        self.net = nn.Sequential(nn.Linear(n_embd, n_embd), nn.ReLU(), last) if mlp else last

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)


class LMWithHeads(nn.Module):
    """A causal LM (trunk + LM head) with optional Q heads (vocabulary-sized) and a V head.

    `forward` returns a dict: ``logits`` (B, T, V) of the LM head; ``q`` a list of (B, T, V) tensors;
    ``v`` (B, T) or None. Position t predicts token t + 1, so Q(s, a) of the action token at t + 1 is
    ``q[:, t, ids[t + 1]]``.

    Example:
        >>> tok = build_tiny_tokenizer(["move up\\n"], vocab_size=260)
        >>> m = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2), n_q=2, v_head=True)
        >>> out = m(torch.tensor([[1, 2, 3]]))
        >>> out["logits"].shape == out["q"][1].shape, tuple(out["v"].shape)
        (True, (1, 3))
    """

    def __init__(self, lm: nn.Module, *, n_q: int = 0, v_head: bool = False, mlp: bool = True,
                 q_bias: float = 0.0, v_bias: float = 0.0, v_mlp: bool | None = None):
        super().__init__()
        self.lm = lm
        params = inspect.signature(lm.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = "logits_to_keep" in params
        n_embd, vocab = lm.config.hidden_size, lm.get_output_embeddings().weight.shape[0]
        self.q = nn.ModuleList(Head(n_embd, vocab, mlp=mlp, bias=q_bias) for _ in range(n_q))
        self.v = Head(n_embd, 1, mlp=mlp if v_mlp is None else v_mlp, bias=v_bias) if v_head else None

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=False,
                select=None, last_only=False):
        """Outputs at every position, or with `select` (a (B, T) bool mask) only at the selected ones.

        With `select`, ``logits`` is (N, V), each ``q`` (N, V) and ``v`` (N,), N = selected positions
        in row-major order: the trunk runs once and the LM head and value heads only where a loss
        reads them (the trainers select action-predicting positions, a small share of the tokens).
        With `last_only`, the outputs are those of the last position, shapes (B, 1, V) and (B, 1)
        (decoding: a prompt's prefill needs only its next-token scores).
        """
        if select is not None and hasattr(self.lm, "base_model") and self.lm.base_model is not self.lm:
            trunk = self.lm.base_model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids)
            h = trunk.last_hidden_state[select]
            return {"logits": self.lm.get_output_embeddings()(h), "q": [head(h) for head in self.q],
                    "v": self.v(h).squeeze(-1) if self.v is not None else None, "past_key_values": None}
        kw = {self._cache_kw: past_key_values} if past_key_values is not None else {}
        if last_only and self._keep_kw:
            kw["logits_to_keep"] = 1
        out = self.lm(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                      use_cache=use_cache, output_hidden_states=True, **kw)
        h = out.hidden_states[-1][:, -1:] if last_only else out.hidden_states[-1]
        result = {
            "logits": out.logits[:, -1:] if last_only else out.logits,
            "q": [head(h) for head in self.q],
            "v": self.v(h).squeeze(-1) if self.v is not None else None,
            "past_key_values": (getattr(out, "cache", None) or out.past_key_values) if use_cache else None,
        }
        if select is not None:  # a model without a separate trunk: compute everywhere, then select
            result = {"logits": result["logits"][select], "q": [q[select] for q in result["q"]],
                      "v": result["v"][select] if result["v"] is not None else None, "past_key_values": None}
        return result

    def head_state_dict(self) -> dict[str, torch.Tensor]:
        """The heads' tensors (for ``heads.safetensors``), without the LM."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("lm.")}


class ValueGuidedLM(nn.Module):
    """The decoding model of the value-based methods in the reference's form: a frozen behaviour LM
    (pi_beta, the BC model the run started from) beside the value network (trunk + Q/V heads).

    `forward` returns the behaviour LM's ``logits`` with the value network's ``q`` and ``v``, so
    `lmrl_algos.policy.LMPolicy` scores ``log pi_beta + beta * (value term)`` exactly as with an
    `LMWithHeads` whose LM head is pi_beta. Each LM keeps its own KV cache: ``past_key_values`` is a
    pair (behaviour, values), ``n_caches = 2`` (see `common.kv_cache`).

    Example:
        >>> tok = build_tiny_tokenizer(["move up\\n"], vocab_size=260)
        >>> beh = build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2)
        >>> vals = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2, seed=1), n_q=1)
        >>> out = ValueGuidedLM(beh, vals)(torch.tensor([[1, 2, 3]]))
        >>> torch.equal(out["logits"], beh(torch.tensor([[1, 2, 3]])).logits), out["q"][0].shape[:2]
        (True, torch.Size([1, 3]))
    """

    n_caches = 2

    def __init__(self, behaviour: nn.Module, values: LMWithHeads):
        super().__init__()
        self.behaviour = behaviour if isinstance(behaviour, LMWithHeads) else LMWithHeads(behaviour)
        self.values = values

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=False,
                select=None, last_only=False):
        pb, pv = past_key_values if past_key_values is not None else (None, None)
        kw = {"attention_mask": attention_mask, "position_ids": position_ids, "use_cache": use_cache,
              "select": select, "last_only": last_only}
        b = self.behaviour(input_ids, past_key_values=pb, **kw)
        v = self.values(input_ids, past_key_values=pv, **kw)
        caches = (b["past_key_values"], v["past_key_values"]) if use_cache else None
        return {"logits": b["logits"], "q": v["q"], "v": v["v"], "past_key_values": caches}
