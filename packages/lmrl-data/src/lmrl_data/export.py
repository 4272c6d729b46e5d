"""Export episodes as chat "messages" JSONL, the conversational format of TRL's `SFTTrainer`.

One line per episode::

    {"messages": [{"role": "user", "content": <observation>}, {"role": "assistant", "content": <action>}, ...],
     "env_id": "maze-fo-v0", "seed": 3, "return": -7.0, "success": false, "terminated": false,
     "truncated": true, "final_observation": "...\\n"}

How an episode becomes a conversation:

* **Roles.** Observations are ``user`` messages, actions ``assistant`` messages, in order. The
  first observation (the task's opening text) is the first user message: it is the context of
  the first action. Consecutive texts of the same side (never produced by an lmrl env, possible in
  a hand-made file) are joined into one message, so the roles always alternate.
* **Final observation.** The text after the last action (e.g. the final Wordle feedback) is
  context for no action, so it is not a message (a trailing user turn would be trained on, or
  dropped, depending on the trainer); it is kept in ``final_observation``. An episode with no
  action (a policy that stopped at once) has no messages and is not written.
* **Newlines.** Every lmrl text ends with ``"\\n"`` (the separator of the plain-text history); a
  chat template adds its own separators, so one trailing ``"\\n"`` is removed from each message
  (inner newlines, e.g. of a maze board, stay). ``content + "\\n"`` is the original text again.
* **System message.** None by default (the original LMRL-Gym prompts have none; the task's rules
  are in its first observation); `system` prepends one.
* **Context.** A conversation holds the whole episode, although some tasks show a policy only part
  of it (FO Maze: the current board; PO Maze: the last 40 texts; chess: the current position).
  `Episode.contexts()` gives those exact prompts.
* **Round trip.** ``env_id``, ``seed``, ``return``, ``success``, ``terminated``, ``truncated`` and
  ``final_observation`` are extra keys: the messages (each plus ``"\\n"``) and ``final_observation``
  are the episode's texts, and ``env_id`` + ``seed`` name the episode in its dataset. TRL's
  `SFTTrainer` reads ``messages`` (and ``tools`` / ``chat_template_kwargs``, which we do not write)
  and leaves other keys alone; its trainer drops unused columns before training.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lmrl_data.io import bc_subset, iter_episodes, read_manifest
from lmrl_envs import DatasetError, Episode
from lmrl_envs.episode import atomic_writer

__all__ = ["FILTERS_HELP", "episode_to_chat", "export_chat", "parse_filter"]

FILTERS_HELP = "'success', 'top<k>' (the top k % by return, e.g. top10) or 'bc' (the dataset's own %BC filter)"


def parse_filter(text: str) -> str:
    """Check a %BC filter name: ``success``, ``top<k>`` with 0 < k <= 100, or ``bc``.

    Raises:
        ValueError: any other text.

    Example:
        >>> parse_filter("top10"), parse_filter("success")
        ('top10', 'success')
    """
    if text in ("success", "bc"):
        return text
    if text.startswith("top"):
        try:
            k = float(text[3:])
        except ValueError:
            k = float("nan")
        if 0 < k <= 100:
            return text
    raise ValueError(f"unknown filter {text!r}: use {FILTERS_HELP}")


def episode_to_chat(episode: Episode, system: str | None = None) -> dict[str, Any]:
    """One episode as a chat record (see the module docstring for the rules).

    Example:
        >>> ep = Episode("wordle-v0", 7, ["Wordle:\\n", "g r a c e\\n", "b g g y g\\n", "c r a n e\\n",
        ...              "g g g g g\\n"], [False, True, False, True, False], [-1.0, 0.0], [0, 0], terminated=True)
        >>> rec = episode_to_chat(ep)
        >>> [(m["role"], m["content"]) for m in rec["messages"]]
        [('user', 'Wordle:'), ('assistant', 'g r a c e'), ('user', 'b g g y g'), ('assistant', 'c r a n e')]
        >>> rec["final_observation"], rec["return"], rec["success"]
        ('g g g g g\\n', -1.0, True)
    """
    last_action = max(episode.action_indices, default=-1)
    groups: list[tuple[bool, list[str]]] = []
    for text, is_action in zip(episode.texts[: last_action + 1], episode.is_action[: last_action + 1], strict=True):
        if groups and groups[-1][0] == is_action:
            groups[-1][1].append(text)
        else:
            groups.append((is_action, [text]))
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += [{"role": "assistant" if is_action else "user", "content": "".join(texts).removesuffix("\n")}
                 for is_action, texts in groups]
    return {
        "messages": messages if last_action >= 0 else [],
        "env_id": episode.env_id,
        "seed": episode.seed,
        "return": episode.total_return,
        "success": episode.success,
        "terminated": episode.terminated,
        "truncated": episode.truncated,
        "final_observation": "".join(episode.texts[last_action + 1:]),
    }


def _select(path: Path, split: str, bc_filter: str | None) -> Iterable[Episode]:
    episodes: Iterator[Episode] = iter_episodes(path, split)
    if bc_filter is None:
        return episodes
    if bc_filter == "bc":
        if not path.is_dir():
            raise ValueError(f"--filter bc needs a dataset directory (its manifest.json names the %BC filter); "
                             f"{path} is a file: pass --filter success or --filter top<k>")
        policy = read_manifest(path)["policy"]
        bc_filter = policy.get("bc_filter") if isinstance(policy, dict) else None
        if not isinstance(bc_filter, str):
            raise DatasetError(f"{path / 'manifest.json'}: policy.bc_filter: missing; pass --filter success or "
                               "--filter top<k>")
    return bc_subset(episodes, bc_filter)


def export_chat(path: str | os.PathLike, out: str | os.PathLike, *, split: str = "train", bc_filter: str | None = None,
                system: str | None = None, overwrite: bool = False) -> dict[str, int]:
    """Write a dataset (directory or JSONL episode file) as chat JSONL, one line per episode.

    The file is written to ``OUT.tmp`` and renamed, so `out` is complete or absent (or, with
    `overwrite`, unchanged) whatever happens.

    Args:
        path: a dataset directory made by ``lmrl-data generate`` or a ``.jsonl`` episode file.
        out: the output file.
        split: ``"train"``, ``"eval"`` or ``"all"`` (ignored for a file).
        bc_filter: None (every episode), ``"success"``, ``"top<k>"`` or ``"bc"`` (the filter in the
            dataset's manifest), applied to the selected split.
        system: the content of a system message to put first, or None.
        overwrite: replace an existing `out` (otherwise that is a `FileExistsError`).

    Returns:
        ``{"episodes": n, "messages": m, "skipped": k}``: conversations and messages written, and
        episodes without an action (not written).

    Raises:
        FileExistsError: `out` exists and `overwrite` is False, `out` is a directory, or `out` is one of
            the dataset's own files.
        ValueError: a bad `split` or filter.
        DatasetError: a bad line in the input (naming file and line), a missing split file, or text
            UTF-8 cannot encode.

    Example:
        >>> import tempfile, pathlib, lmrl_data
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = lmrl_data.generate(lmrl_data.GenerateConfig("maze-fo", str(d / "maze"), episodes=10, progress=False))
        >>> export_chat(d / "maze", d / "chat.jsonl", split="all")["episodes"]
        10
    """
    path, out = Path(path), Path(out)
    if out.is_dir():
        raise FileExistsError(f"--out {out} is a directory; name a file, e.g. {out / 'chat.jsonl'}")
    own = [path] if path.is_file() else [path / name for name in ("train.jsonl", "eval.jsonl", "manifest.json")]
    if out.exists() and any(out.resolve() == p.resolve() for p in own):
        raise FileExistsError(f"--out {out} is a file of the dataset being exported; choose another file")
    if out.exists() and not overwrite:
        raise FileExistsError(f"--out {out} already exists; choose another file or pass --overwrite")
    if bc_filter is not None:
        parse_filter(bc_filter)
    episodes = _select(path, split, bc_filter)
    counts = {"episodes": 0, "messages": 0, "skipped": 0}
    with atomic_writer(out) as f:
        for ep in episodes:
            record = episode_to_chat(ep, system)
            if not record["messages"]:
                counts["skipped"] += 1
                continue
            try:
                f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            except UnicodeEncodeError as e:
                raise DatasetError(f"{path}: episode {counts['episodes']} (env_id {ep.env_id!r}, seed {ep.seed}) "
                                   f"holds text UTF-8 cannot encode ({e.object[e.start:e.end]!r}); nothing was "
                                   "written") from None
            counts["episodes"] += 1
            counts["messages"] += len(record["messages"])
    return counts
