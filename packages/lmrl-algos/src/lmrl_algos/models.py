"""Models: any causal LM (a local directory or a Hub id in the local cache), the offline ``tiny`` GPT-2,
LoRA adapters (`peft`), and the value heads on a shared trunk.

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

import contextlib
import inspect
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "ALLOW_DOWNLOADS_ENV",
    "ModelError",
    "TINY_DEFAULTS",
    "LMWithHeads",
    "ValueGuidedLM",
    "add_lora",
    "base_state_dict",
    "build_tiny_model",
    "build_tiny_tokenizer",
    "downloads_allowed",
    "is_peft",
    "load_adapter",
    "load_model",
    "load_model_dir",
    "load_pretrained",
    "newline_id",
    "ready_model",
    "resolve_model",
    "torch_dtype",
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


ALLOW_DOWNLOADS_ENV = "LMRL_ALLOW_DOWNLOADS"
"""Set to 1 to let `resolve_model` download a Hub id missing from the local cache (never when HF_HUB_OFFLINE is set)."""

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def torch_dtype(name: str) -> torch.dtype:
    """``fp32 | bf16 | fp16`` -> the torch dtype.

    Example:
        >>> torch_dtype("bf16")
        torch.bfloat16
    """
    try:
        return _DTYPES[name]
    except KeyError:
        raise ModelError(f"--dtype {name!r}: choose one of {', '.join(_DTYPES)}") from None


def check_dtype_device(dtype: str, device) -> None:
    """`ModelError` for fp16 weights off CUDA (CPUs have no fast fp16 matmuls): the one rule of the trainers,
    `load_policy` and the ``hf:`` policy."""
    if dtype == "fp16" and torch.device(device).type != "cuda":
        raise ModelError("--dtype fp16 needs a CUDA device (CPUs have no fast fp16 matmuls); use --dtype bf16 or fp32")


def downloads_allowed() -> bool:
    """Whether a Hub id missing from the local cache may be downloaded: only when ``LMRL_ALLOW_DOWNLOADS=1`` is set
    and ``HF_HUB_OFFLINE`` is not (a run never touches the network unless asked to)."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")
    return os.environ.get(ALLOW_DOWNLOADS_ENV, "") == "1" and not offline


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def resolve_model(spec: str) -> Path:
    """The local directory of `spec`: a model directory as given, or the snapshot of a Hugging Face Hub id
    (``gpt2``, ``Qwen/Qwen2.5-0.5B``, ``org/name@revision``) in the local Hugging Face cache (``HF_HUB_CACHE``,
    default ``~/.cache/huggingface/hub``). A Hub id missing from the cache is downloaded only when
    `downloads_allowed` (``LMRL_ALLOW_DOWNLOADS=1`` and no ``HF_HUB_OFFLINE``).

    Raises:
        ModelError: neither a directory nor a cached Hub id; the message says how to get it.
    """
    path = Path(os.path.expanduser(spec))
    if path.is_dir():
        return path
    repo, _, revision = spec.partition("@")
    if not _HUB_ID.match(repo) or spec.startswith((".", "/", "~")):
        raise ModelError(f"--model {spec}: no such local directory (and not a Hugging Face Hub id); pass a model "
                         "directory written by save_pretrained, a Hub id such as gpt2, or `--model tiny`")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    download = downloads_allowed()
    try:
        local = snapshot_download(repo, revision=revision or None, local_files_only=not download,
                                  allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja"])
    except (LocalEntryNotFoundError, HFValidationError, OSError) as e:
        how = ("the download failed" if download else
               f"nothing is downloaded unless {ALLOW_DOWNLOADS_ENV}=1 is set (and HF_HUB_OFFLINE is not)")
        raise ModelError(
            f"--model {spec}: no such local directory, and not in the local Hugging Face cache "
            f"({_hub_cache()}; {how}). Fetch it first on a machine with a network (`hf download {repo}`, then copy "
            f"the cache or point HF_HUB_CACHE at it), pass a local model directory, or use `--model tiny` "
            f"[{type(e).__name__}]") from None
    return Path(local)


def _hub_cache() -> str:
    from huggingface_hub import constants

    return f"HF_HUB_CACHE={constants.HF_HUB_CACHE}"


def _dtype_kw() -> str:
    """transformers >= 4.56 names from_pretrained's dtype argument ``dtype`` (``torch_dtype`` before)."""
    import transformers
    from packaging.version import Version

    return "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"


def load_pretrained(path: str | Path, dtype: str = "fp32"):
    """``AutoModelForCausalLM.from_pretrained(path)`` with its weights in `dtype` (``fp32 | bf16 | fp16``)."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, **{_dtype_kw(): torch_dtype(dtype)})


def load_model(spec: str, texts: Iterable[str] | None = None, *, seed: int = 0, dtype: str = "fp32"):
    """Return ``(model, tokenizer)`` for ``"tiny"`` (needs `texts`), a local model directory or a Hub id in the local
    Hugging Face cache (`resolve_model`), with the model's weights in `dtype`.

    Raises:
        ModelError: not a directory nor a cached Hub id, or it holds no causal LM with a tokenizer.
    """
    if spec == "tiny":
        if texts is None:
            raise ModelError("--model tiny trains its tokenizer on the data: pass the training texts")
        tok = build_tiny_tokenizer(texts)
        model = build_tiny_model(tok, seed=seed)
        return (model if dtype == "fp32" else model.to(torch_dtype(dtype))), tok
    return ready_model(*load_model_dir(resolve_model(spec), dtype, name=f"--model {spec}"))


def load_model_dir(path: str | Path, dtype: str = "fp32", *, name: str) -> tuple:
    """``(model, tokenizer)`` of a transformers model directory, the weights in `dtype`; `name` (how the caller
    spells the model: ``--model gpt2``, ``hf:gpt2``) starts the `ModelError` when it holds no causal LM with a
    tokenizer."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = load_pretrained(path, dtype)
    except (OSError, ValueError) as e:
        raise ModelError(f"{name}: not a causal LM directory with a tokenizer ({e})") from None
    return model, tok


def ready_model(model: nn.Module, tok) -> tuple:
    """A causal LM and its tokenizer made ready for training and rollouts: a pad token (added, and the
    embeddings resized, when the tokenizer has none) and ``"\n"`` a single token (`ModelError` otherwise).
    `load_model` applies it to a loaded model, `lmrl_algos.train` to an in-memory one; changes both in place."""
    if tok.pad_token is None:
        tok.add_special_tokens({"pad_token": PAD})
        model.resize_token_embeddings(len(tok))
    newline_id(tok)
    return model, tok


def is_peft(lm: nn.Module) -> bool:
    """Whether `lm` is a `peft` model (LoRA adapters around a transformers model)."""
    return type(lm).__module__.split(".")[0] == "peft"


def _peft():
    try:
        import peft
    except ImportError:
        raise ModelError("LoRA (--lora-r) needs peft: pip install 'lmrl-algos[peft]'") from None
    return peft


def add_lora(lm: nn.Module, *, r: int, alpha: float, dropout: float = 0.0, target_modules: str = "all-linear"):
    """Freeze `lm` and wrap it with fresh rank-`r` LoRA adapters (a `peft.PeftModel`; adapters in fp32).

    Raises:
        ModelError: peft is not installed, or no module of `lm` matches `target_modules`.
    """
    peft = _peft()
    targets = "all-linear" if target_modules.strip() == "all-linear" else \
        [m.strip() for m in target_modules.split(",") if m.strip()]
    conv1d = any(type(m).__name__ == "Conv1D" for m in lm.modules())  # GPT-2 stores its linear layers transposed
    config = peft.LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets, bias="none",
                             task_type="CAUSAL_LM", fan_in_fan_out=conv1d)
    try:
        with warnings.catch_warnings():  # peft reads transformers' deprecated `is_gradient_checkpointing`
            warnings.simplefilter("ignore", FutureWarning)
            return peft.get_peft_model(lm, config)
    except ValueError as e:
        names = sorted({n.rsplit(".", 1)[-1] for n, m in lm.named_modules() if isinstance(m, nn.Linear)
                        or type(m).__name__ == "Conv1D"})
        raise ModelError(f"--lora-target-modules {target_modules}: {e}. This model's linear layers: "
                         f"{', '.join(names)} (or pass all-linear)") from None


def load_adapter(lm: nn.Module, adapter_dir: str | Path, *, trainable: bool = False):
    """`lm` (the base model) with the LoRA adapter saved in `adapter_dir` (a `peft.PeftModel`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return _peft().PeftModel.from_pretrained(lm, str(adapter_dir), is_trainable=trainable)


def base_state_dict(lm: nn.Module) -> dict[str, torch.Tensor]:
    """The frozen base model's tensors of a `peft` LoRA model, under the base model's own names (what
    ``save_pretrained`` of the unwrapped model writes): adapter tensors dropped, ``.base_layer.`` removed."""
    inner = lm.get_base_model()
    return {k.replace(".base_layer.", "."): v for k, v in inner.state_dict().items() if "lora_" not in k}


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
    """A causal LM (trunk + LM head) with optional Q heads (vocabulary-sized), a V head and further scalar heads.

    `forward` returns a dict: ``logits`` (B, T, V) of the LM head; ``q`` a list of (B, T, V) tensors;
    ``v`` (B, T) or None; ``scalar`` a list of (B, T) tensors, one per `n_scalar` head (built as the V head:
    one output per position; ArCHer's utterance-level Q heads). Position t predicts token t + 1, so Q(s, a)
    of the action token at t + 1 is ``q[:, t, ids[t + 1]]``.

    Example:
        >>> tok = build_tiny_tokenizer(["move up\\n"], vocab_size=260)
        >>> m = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2), n_q=2, v_head=True, n_scalar=1)
        >>> out = m(torch.tensor([[1, 2, 3]]))
        >>> out["logits"].shape == out["q"][1].shape, tuple(out["v"].shape), tuple(out["scalar"][0].shape)
        (True, (1, 3), (1, 3))
    """

    def __init__(self, lm: nn.Module, *, n_q: int = 0, v_head: bool = False, mlp: bool = True,
                 q_bias: float = 0.0, v_bias: float = 0.0, v_mlp: bool | None = None, n_scalar: int = 0):
        super().__init__()
        self.lm = lm
        params = inspect.signature(self.hf_model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = "logits_to_keep" in params
        n_embd, vocab = lm.config.hidden_size, lm.get_output_embeddings().weight.shape[0]
        self.q = nn.ModuleList(Head(n_embd, vocab, mlp=mlp, bias=q_bias) for _ in range(n_q))
        v_mlp = mlp if v_mlp is None else v_mlp
        self.v = Head(n_embd, 1, mlp=v_mlp, bias=v_bias) if v_head else None
        self.scalar = nn.ModuleList(Head(n_embd, 1, mlp=v_mlp, bias=v_bias) for _ in range(n_scalar))
        dtype = lm.get_output_embeddings().weight.dtype
        if dtype != torch.float32:  # the heads read the trunk's hidden states: same dtype
            self.q.to(dtype)
            self.scalar.to(dtype)
            if self.v is not None:
                self.v.to(dtype)
        self.forward_context = contextlib.nullcontext
        """A callable giving the context each `forward` runs in: none, or the online trainers' --bf16 autocast while
        they update (`lmrl_algos.common.online`). A copy of the model (`copy.deepcopy`) keeps it."""

    @property
    def hf_model(self) -> nn.Module:
        """The transformers model: `lm` itself, or the model inside a `peft` wrapper (its LoRA layers are
        injected in place, so calling it runs the adapters)."""
        return self.lm.get_base_model() if is_peft(self.lm) else self.lm

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=False,
                select=None, last_only=False):
        """Outputs at every position, or with `select` (a (B, T) bool mask) only at the selected ones.

        With `select`, ``logits`` is (N, V), each ``q`` (N, V) and ``v`` (N,), N = selected positions
        in row-major order: the trunk runs once and the LM head and value heads only where a loss
        reads them (the trainers select action-predicting positions, a small share of the tokens).
        With `last_only`, the outputs are those of the last position, shapes (B, 1, V) and (B, 1)
        (decoding: a prompt's prefill needs only its next-token scores).
        """
        with self.forward_context():
            lm = self.hf_model
            if select is not None and hasattr(lm, "base_model") and lm.base_model is not lm:
                trunk = lm.base_model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids)
                h = trunk.last_hidden_state[select]
                return {"logits": lm.get_output_embeddings()(h), "q": [head(h) for head in self.q],
                        "v": self.v(h).squeeze(-1) if self.v is not None else None,
                        "scalar": [head(h).squeeze(-1) for head in self.scalar], "past_key_values": None}
            kw = {self._cache_kw: past_key_values} if past_key_values is not None else {}
            if last_only and self._keep_kw:
                kw["logits_to_keep"] = 1
            out = lm(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                     use_cache=use_cache, output_hidden_states=True, **kw)
            h = out.hidden_states[-1][:, -1:] if last_only else out.hidden_states[-1]
            result = {
                "logits": out.logits[:, -1:] if last_only else out.logits,
                "q": [head(h) for head in self.q],
                "v": self.v(h).squeeze(-1) if self.v is not None else None,
                "scalar": [head(h).squeeze(-1) for head in self.scalar],
                "past_key_values": (getattr(out, "cache", None) or out.past_key_values) if use_cache else None,
            }
            if select is not None:  # a model without a separate trunk: compute everywhere, then select
                result = {"logits": result["logits"][select], "q": [q[select] for q in result["q"]],
                          "v": result["v"][select] if result["v"] is not None else None,
                          "scalar": [x[select] for x in result["scalar"]], "past_key_values": None}
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
