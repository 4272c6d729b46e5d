"""Pluggable language-model partners (oracles, buyers) for the dialogue tasks.

The dialogue tasks ship deterministic knowledge-based simulators; any of them can instead use a
local Hugging Face model as the partner, with the original LMRL-Gym prompt::

    env = lmrl_envs.make("twenty-questions", oracle="hf:/path/to/flan-t5")

`load_partner` turns a spec into an object with ``generate(prompt, max_new_tokens) -> str``.
torch and transformers are imported only here, only when an ``hf:`` partner is loaded
(install them with ``pip install 'lmrl-envs[hf]'``).
"""

from __future__ import annotations

import os
from typing import Any, Protocol, runtime_checkable

__all__ = ["HFPartner", "Partner", "load_partner"]


@runtime_checkable
class Partner(Protocol):
    """Anything that continues a prompt: ``generate(prompt, max_new_tokens) -> str``."""

    def generate(self, prompt: str, max_new_tokens: int) -> str: ...


class HFPartner:
    """A local Hugging Face seq2seq or causal LM used as a conversation partner.

    Args:
        path: a directory written by ``save_pretrained`` (model and tokenizer).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        do_sample: sample instead of greedy decoding (the original Car Dealer buyer sampled).
        seed: seed of the sampling generator (ignored when greedy).

    The returned text is the continuation only (for a causal LM the prompt is cut off), decoded
    with special tokens skipped.
    """

    def __init__(self, path: str, device: str = "auto", do_sample: bool = False, seed: int = 0):
        if not os.path.isdir(path):
            raise FileNotFoundError(
                f"partner model directory {path!r} does not exist; pass a local directory saved with "
                "save_pretrained (hub downloads need a network, which lmrl never uses at run time)"
            )
        try:
            import torch
            from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
        except ImportError as e:  # pragma: no cover - exercised only without the extra
            raise ImportError("an 'hf:' partner needs torch and transformers: pip install 'lmrl-envs[hf]'") from e
        self._torch = torch
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        self.do_sample = do_sample
        self._generator_seed = seed
        config = AutoConfig.from_pretrained(path)
        self.is_seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        cls = AutoModelForSeq2SeqLM if self.is_seq2seq else AutoModelForCausalLM
        self.model = cls.from_pretrained(path).to(device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(path)

    def reseed(self, seed: int) -> None:
        """Seed the sampling stream (dialogue envs call this at reset, so the seed fixes the episode)."""
        self._generator_seed = seed

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        torch = self._torch
        enc = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else 0
        kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": self.do_sample, "pad_token_id": pad}
        if self.do_sample:
            torch.manual_seed(self._generator_seed)
            self._generator_seed += 1
        with torch.no_grad():
            out = self.model.generate(**enc, **kwargs)
        tokens = out[0] if self.is_seq2seq else out[0, enc["input_ids"].shape[1] :]
        return self.tokenizer.decode(tokens, skip_special_tokens=True)


def load_partner(spec: str | Partner, **kwargs: Any) -> Partner:
    """Resolve a partner spec.

    Args:
        spec: ``"hf:/path/to/model"`` for a local Hugging Face model, or an object that already has
            ``generate(prompt, max_new_tokens)``.
        **kwargs: passed to `HFPartner` (device, do_sample, seed).

    Example:
        >>> class Always:
        ...     def generate(self, prompt, max_new_tokens):
        ...         return "yes"
        >>> load_partner(Always()).generate("q", 4)
        'yes'
    """
    if isinstance(spec, str):
        if spec.startswith("hf:"):
            return HFPartner(spec[3:], **kwargs)
        raise ValueError(f"unknown partner spec {spec!r}: use 'hf:/path/to/model' or an object with .generate()")
    if hasattr(spec, "generate"):
        return spec
    raise TypeError(f"a partner must be 'hf:/path' or have .generate(prompt, max_new_tokens), got {type(spec).__name__}")
