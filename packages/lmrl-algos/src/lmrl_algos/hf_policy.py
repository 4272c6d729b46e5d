"""Any causal language model as a policy: the task's text as its prompt, its reply up to the first newline as
the action (``lmrl-eval evaluate --policy hf:PATH_OR_ID``).

No training format is assumed, so the prompt is the one a researcher would write by hand:

* **With a chat template** (instruction-tuned models: ``tokenizer.chat_template``): the history as a
  conversation, the environment's texts as ``user`` turns and the agent's own actions as ``assistant``
  turns (consecutive texts of one side are joined into one turn; each turn's trailing newlines are
  dropped), rendered by ``apply_chat_template(..., add_generation_prompt=True)``.
* **Without one** (base models such as gpt2): the raw history text (`lmrl_envs.history_text`, the
  texts concatenated, every one ending in ``"\\n"``), tokenised as the tokenizer does by default.

Decoding is `LMPolicy`'s (KV cache kept across turns where the prompt grows, one generator per episode
so the episodes do not depend on the batch size): sampled at temperature 1 unless ``greedy``; a turn
ends at the first token whose text holds a newline, at an end-of-sequence token (a chat model ends
its turn with one) or after ``max_new_tokens``. The action is the generated text up to its first
``"\\n"``, plus ``"\\n"``. Prompts longer than ``max_length - max_new_tokens`` tokens keep their end.

Example:
    >>> policy = load_hf_policy("Qwen/Qwen2.5-0.5B-Instruct", "cpu")          # doctest: +SKIP
    >>> lmrl_envs.rollout(lmrl_envs.make("wordle"), policy, 2)                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lmrl_algos.models import LMWithHeads, check_dtype_device, load_model_dir, resolve_model
from lmrl_algos.policy import LMPolicy, _Slot
from lmrl_envs import TextHistory, chat_messages, completion_action, history_text

__all__ = ["HFPolicy", "load_hf_policy", "stop_token_ids"]

MAX_CONTEXT = 4096
"""Longest prompt + action of an `HFPolicy` by default (the model's own limit where that is smaller)."""


def stop_token_ids(tokenizer, lm=None) -> list[int]:
    """The ids that end an action: every token whose text holds a newline, and the end-of-sequence ids
    (the tokenizer's and the model's generation config's)."""
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    ids = {i for i, text in enumerate(texts) if "\n" in text}
    eos = [tokenizer.eos_token_id]
    gen = getattr(lm, "generation_config", None)
    if gen is not None:
        eos += gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id]
    ids |= {i for i in eos if i is not None}
    if not ids:
        raise ValueError("the tokenizer has no token holding '\\n' and no eos token: an action could never end")
    return sorted(ids)


class HFPolicy(LMPolicy):
    """A batched `lmrl_envs.Policy` around any transformers causal LM (see the module docstring).

    Args:
        lm, tokenizer: the model and its tokenizer (a pad token is needed: `load_hf_policy` sets one).
        chat: use the tokenizer's chat template (None: when it has one).
        max_length: longest prompt + action (None: the model's context, at most `MAX_CONTEXT`).
        device, greedy, temperature, max_new_tokens, seed, kv_cache: as `LMPolicy`.
    """

    def __init__(self, lm, tokenizer, *, device="cpu", greedy: bool = False, temperature: float = 1.0,
                 max_new_tokens: int = 32, max_length: int | None = None, seed: int = 0, kv_cache: bool = True,
                 chat: bool | None = None):
        if max_length is None:
            cfg = lm.config
            context = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
            max_length = min(MAX_CONTEXT, context or MAX_CONTEXT)
        super().__init__(LMWithHeads(lm), tokenizer, device=device, greedy=greedy, temperature=temperature,
                         max_new_tokens=max_new_tokens, max_length=max_length, seed=seed, kv_cache=kv_cache,
                         stop_ids=stop_token_ids(tokenizer, lm))
        self.chat = bool(getattr(tokenizer, "chat_template", None)) if chat is None else chat

    def prompt_text(self, history: TextHistory) -> str:
        """The prompt the model continues: the chat-rendered history, or the raw history text."""
        if not self.chat:
            return history_text(history)
        return self.tok.apply_chat_template(chat_messages(history), add_generation_prompt=True, tokenize=False)

    def prompt_ids(self, history: TextHistory) -> list[int]:
        """`prompt_text` tokenised (a chat template writes its own special tokens), cut from the left to leave
        ``max_new_tokens`` of room."""
        ids = self.tok(self.prompt_text(history), add_special_tokens=not self.chat)["input_ids"]
        ids = ids[-(self.max_length - max(1, self.max_new_tokens)):]
        return ids or [self.tok.eos_token_id if self.tok.eos_token_id is not None else self.tok.pad_token_id]

    @torch.no_grad()
    def act(self, histories: Sequence[TextHistory], slots: Sequence[int] | None = None) -> list[str]:
        slots = list(range(len(histories))) if slots is None else list(slots)
        if not histories:
            return []
        prompts = [self.prompt_ids(h) for h in histories]
        generated, fed = self._generate(slots, prompts)
        actions = []
        for slot, prompt, ids, n in zip(slots, prompts, generated, fed, strict=True):
            text = self.tok.decode(ids, skip_special_tokens=True)
            actions.append(completion_action(text))
            state = self._slots.setdefault(slot, _Slot())
            state.row, state.cached = prompt + ids, len(prompt) + n  # the next prompt reuses the common prefix
            state.actions.append(ids)
        return actions


def load_hf_policy(spec: str, device="cpu", *, dtype: str = "fp32", **kwargs) -> HFPolicy:
    """An `HFPolicy` for a local model directory or a Hub id in the local Hugging Face cache
    (`lmrl_algos.models.resolve_model`; nothing is downloaded unless allowed), weights in `dtype`.

    Raises:
        ModelError: not a model directory nor a cached Hub id; fp16 off CUDA.
    """
    check_dtype_device(dtype, device)
    lm, tok = load_model_dir(resolve_model(spec), dtype, name=f"hf:{spec}")
    if tok.pad_token is None:  # only left padding of masked columns reads it
        if tok.eos_token is not None:
            tok.pad_token = tok.eos_token
        else:
            tok.add_special_tokens({"pad_token": "<|pad|>"})
            lm.resize_token_embeddings(len(tok))
    return HFPolicy(lm, tok, device=device, **kwargs)
