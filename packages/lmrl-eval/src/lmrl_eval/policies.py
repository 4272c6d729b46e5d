"""The policies `lmrl-eval evaluate --policy ...` can run.

- ``random``: a uniformly random legal action where the task lists them (`valid_actions()`),
  else a random line from the task's behaviour policy's own random component (lmrl-data).
- ``expert``: the best scripted policy of the task (lmrl-data), e.g. BFS for the maze.
- ``human``: you, at the terminal, seeing exactly the text the model sees.
- a directory: a checkpoint written by ``lmrl-algos train`` (needs ``lmrl-eval[full]``).
- ``hf:PATH_OR_ID``: any transformers causal LM, a local directory or a Hub id in the local Hugging Face
  cache, prompted with the task's text (its chat template where it has one) (`lmrl_algos.hf_policy`;
  needs ``lmrl-eval[full]``).
- ``openai:MODEL``: a model behind any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp's server),
  prompted with the task's text as chat messages as ``hf:`` prompts a chat model (`lmrl_eval.openai_policy`).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmrl_envs import TextHistory, history_text

__all__ = ["HumanPolicy", "RandomPolicy", "load_eval_policy"]


class RandomPolicy:
    """Uniform over the env's valid actions; where a task has none, a fallback policy acts.

    Each episode draws from its own generator, seeded from the policy's seed and the episode's seed
    (`begin_episode`, which `lmrl_envs.rollout` calls), so an episode's actions do not depend on the
    batch size or on the episodes played before it.

    Example:
        >>> from lmrl_envs import make, rollout
        >>> one = rollout(make("maze-fo"), RandomPolicy(seed=0), 3)
        >>> three = rollout([make("maze-fo") for _ in range(3)], RandomPolicy(seed=0), 3)
        >>> [e.texts for e in one] == [e.texts for e in three]
        True
    """

    wants_valid_actions = True

    def __init__(self, seed: int = 0, fallback: Any | None = None):
        self.seed = seed
        self.fallback = fallback
        self.rngs: dict[int, random.Random] = {}
        """The generator of each slot's running episode."""

    def begin_episode(self, slot: int, seed: int, env: Any = None) -> None:
        """Seed the slot's generator for the episode with this seed (and start it in the fallback)."""
        self.rngs[slot] = random.Random(f"lmrl-eval/random/{self.seed}/{seed}")
        if self.fallback is not None and hasattr(self.fallback, "begin_episode"):
            self.fallback.begin_episode(slot, seed, env)

    def act(self, histories: Sequence[TextHistory], slots: Sequence[int], valid_actions=None) -> list[str]:
        valid_actions = valid_actions or [None] * len(histories)
        rngs = [self.rngs.setdefault(slot, random.Random(f"lmrl-eval/random/{self.seed}/slot{slot}")) for slot in slots]
        out: list[str | None] = [va[rng.randrange(len(va))] if va else None
                                 for va, rng in zip(valid_actions, rngs, strict=True)]
        missing = [i for i, a in enumerate(out) if a is None]
        if missing:
            if self.fallback is None:
                raise ValueError("this task lists no valid actions; a random policy needs a fallback "
                                 "(lmrl-eval uses lmrl-data's behaviour policy: install lmrl-eval[full])")
            acts = self.fallback.act([histories[i] for i in missing], [slots[i] for i in missing])
            for i, a in zip(missing, acts, strict=True):
                out[i] = a
        return out  # type: ignore[return-value]

    def end_episode(self, slot: int) -> None:
        self.rngs.pop(slot, None)
        if self.fallback is not None:
            self.fallback.end_episode(slot)


class HumanPolicy:
    """A person at the terminal plays, one history at a time."""

    def act(self, histories: Sequence[TextHistory], slots: Sequence[int]) -> list[str]:
        out = []
        for h in histories:
            print("=" * 30 + " the model sees " + "=" * 30)
            sys.stdout.write(history_text(h))
            print("=" * 76)
            try:
                out.append(input("your action> ") + "\n")
            except EOFError:
                out.append("\n")
        return out

    def end_episode(self, slot: int) -> None:
        print("-- episode over --")


def load_eval_policy(name: str, env_id: str, *, seed: int = 0, device: str = "auto", **kwargs: Any):
    """Resolve ``random | expert | behaviour | human | CHECKPOINT_DIR | hf:PATH_OR_ID | openai:MODEL`` to a policy
    for `env_id`.

    A checkpoint is decoded as the benchmark does: sampling at temperature 1, with the decoding of the
    task's record (`lmrl_algos.presets.decoding`; Maze: the 4 moves re-ranked by the method's
    score); `kwargs` (e.g. ``greedy=True``, ``rerank=False``) override it. Sampling follows the
    reference, whose evaluation scripts of every task sample (``policy_do_sample=True``, the
    temperature left at 1); see packages/lmrl-eval/README.md, "Evaluation protocol".

    ``hf:PATH_OR_ID`` (`lmrl_algos.hf_policy.HFPolicy`) samples at temperature 1 too and generates freely (no
    re-ranking); `kwargs` such as ``greedy=True``, ``dtype="bf16"`` or ``max_new_tokens`` go to it.

    ``openai:MODEL`` (`lmrl_eval.openai_policy.load_openai_policy`) samples at the temperature the paper's GPT-4
    baseline used on the task (0 on Wordle and 20Q, else 1); `kwargs` such as ``base_url``, ``api_key_env``,
    ``temperature``, ``max_tokens``, ``timeout``, ``max_retries``, ``concurrency`` or ``greedy=True`` go to it.

    Raises:
        FileNotFoundError: `name` is neither a policy name nor a directory.
        ValueError: the checkpoint is damaged, holds nan or inf weights (`lmrl_algos.checkpoint.verify`), or is
            for another env; ``device="cuda"`` without a GPU; an openai: setting that cannot work (no key for
            the OpenAI API, a bad URL).
    """
    if name == "human":
        return HumanPolicy()
    if name in ("random", "expert", "behaviour"):
        try:
            from lmrl_data.policies import make_policy
        except ImportError:
            if name == "random":
                return RandomPolicy(seed)
            raise ImportError(f"--policy {name} uses lmrl-data's scripted policies: pip install 'lmrl-eval[full]'") from None
        if name == "random":
            return RandomPolicy(seed, fallback=make_policy(env_id, "behaviour", seed=seed))
        return make_policy(env_id, name, seed=seed)
    if name.startswith("hf:"):
        try:
            from lmrl_algos.hf_policy import load_hf_policy
        except ImportError:
            raise ImportError("evaluating a language model needs lmrl-algos: pip install 'lmrl-eval[full]'") from None
        from lmrl_algos.common.distributed import resolve_device

        device = str(resolve_device(device))
        return load_hf_policy(name.removeprefix("hf:"), device, seed=seed, **{"greedy": False, **kwargs})
    if name.startswith("openai:"):
        from lmrl_eval.openai_policy import load_openai_policy

        return load_openai_policy(name.removeprefix("openai:"), env_id, seed=seed, **kwargs)
    path = Path(name)
    if not path.is_dir():
        raise FileNotFoundError(f"--policy {name!r} is not random/expert/behaviour/human, hf:PATH_OR_ID or a checkpoint "
                                "directory (nor openai:MODEL, a model behind an OpenAI-compatible endpoint)")
    try:
        from lmrl_algos.policy import load_policy
    except ImportError:
        raise ImportError("evaluating a checkpoint needs lmrl-algos: pip install 'lmrl-eval[full]'") from None
    from lmrl_algos.common.distributed import resolve_device
    from lmrl_algos.presets import decoding

    device = str(resolve_device(device))  # auto -> cuda if available; cuda without a GPU: a clear error
    if (path / "config.json").exists() and not (path / "state.json").exists() and not (path / "checkpoint").exists():
        raise FileNotFoundError(f"--policy {name}: a transformers model directory, not an lmrl-algos checkpoint; "
                                f"evaluate it with --policy hf:{name}")

    # the benchmark's decoding: sampled at temperature 1, and the task's (Maze: re-rank the 4 moves)
    kwargs = {"greedy": False, "temperature": 1.0, **decoding(env_id), **kwargs}
    # load_policy verifies the checkpoint: a damaged one, or weights that are not finite, is refused (never scored)
    return load_policy(path, env_id=env_id, device=device, seed=seed, **kwargs)
