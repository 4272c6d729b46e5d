"""Dataset files: the layout, the manifest, atomic writes, loading helpers and validation.

A dataset directory holds::

    OUT/train.jsonl     one `lmrl_envs.Episode` JSON object per line (format "lmrl-episode/1")
    OUT/eval.jsonl      the fixed eval split (same format)
    OUT/manifest.json   what made the files (task, policy, seed, versions), counts, statistics,
                        and the sha256 of each file; written last, so a directory without it is
                        not a finished dataset

The files are plain JSON lines, so ``datasets.load_dataset("json", data_files=...)`` reads them too.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lmrl_data.stats import StatsAccumulator
from lmrl_envs import DatasetError, Episode, read_episodes

__all__ = [
    "MANIFEST_FORMAT",
    "SPLITS",
    "atomic_write_text",
    "bc_subset",
    "file_sha256",
    "filter_successes",
    "filter_top_percent",
    "iter_episodes",
    "read_manifest",
    "validate_dataset",
]

MANIFEST_FORMAT = "lmrl-data-manifest/1"
"""Format tag of manifest.json; readers reject any other version."""

SPLITS = ("train", "eval")

_MANIFEST_KEYS = ("format", "task", "generator", "policy", "seed", "episodes", "eval_percent", "counts", "statistics",
                  "files")


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a text file atomically (temporary file, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check a dataset's manifest.json (`path` is the directory or the manifest file).

    Raises:
        DatasetError: the manifest is missing, not JSON, of another format version, or lacks a key.
    """
    path = Path(path)
    mpath = path / "manifest.json" if path.is_dir() else path
    if not mpath.exists():
        raise DatasetError(f"{mpath}: no manifest (the dataset is unfinished: re-run the same `lmrl-data generate` "
                           "command to resume it)")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DatasetError(f"{mpath}:{e.lineno}: manifest is not valid JSON ({e.msg})") from None
    if not isinstance(manifest, dict):
        raise DatasetError(f"{mpath}: manifest must be a JSON object")
    if manifest.get("format") != MANIFEST_FORMAT:
        raise DatasetError(f"{mpath}: format: expected {MANIFEST_FORMAT!r}, got {manifest.get('format')!r} "
                           "(regenerate the dataset with this lmrl-data version)")
    for key in _MANIFEST_KEYS:
        if key not in manifest:
            raise DatasetError(f"{mpath}: {key}: missing")
    return manifest


def _split_files(path: Path, split: str | None) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DatasetError(f"{path}: no such dataset file or directory")
    splits = SPLITS if split in (None, "all") else (split,)
    for s in splits:
        if s not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or 'all', got {s!r}")
    return [path / f"{s}.jsonl" for s in splits]


def iter_episodes(path: str | os.PathLike, split: str | None = "train") -> Iterator[Episode]:
    """Stream the episodes of a dataset directory's split (or of one JSONL file).

    Args:
        path: a dataset directory or a ``.jsonl`` file.
        split: ``"train"``, ``"eval"`` or ``"all"`` (ignored for a file).

    Example:
        >>> import tempfile, pathlib
        >>> from lmrl_envs import write_episodes
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = write_episodes(d / "train.jsonl", [Episode("t-v0", 0, ["o\\n", "a\\n", "o\\n"], [False, True, False],
        ...                                                  [1.0], [0], terminated=True)])
        >>> [e.total_return for e in iter_episodes(d)]
        [1.0]
    """
    for f in _split_files(Path(path), split):
        yield from read_episodes(f)


def filter_successes(episodes: Iterable[Episode]) -> list[Episode]:
    """The successful episodes (the paper's %BC subset for Maze, Text-Nav, Chess and Endgames)."""
    return [ep for ep in episodes if ep.success]


def filter_top_percent(episodes: Iterable[Episode], percent: float) -> list[Episode]:
    """The top `percent` % of episodes by return, in their original order (ties: earlier first).

    Keeps ``ceil(n * percent / 100)`` episodes.

    Example:
        >>> eps = [Episode("t-v0", i, ["o\\n", "a\\n", "o\\n"], [False, True, False], [float(r)], [0])
        ...        for i, r in enumerate([-3, 0, -1, 0])]
        >>> [e.seed for e in filter_top_percent(eps, 50)]
        [1, 3]
    """
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    eps = list(episodes)
    k = math.ceil(len(eps) * percent / 100)
    order = sorted(range(len(eps)), key=lambda i: (-eps[i].total_return, i))[:k]
    return [eps[i] for i in sorted(order)]


def bc_subset(episodes: Iterable[Episode], bc_filter: str) -> list[Episode]:
    """Apply a recipe's %BC filter: ``"success"`` or ``"top<k>"`` (e.g. ``"top10"``).

    Example:
        >>> from lmrl_data.policies import get_recipe
        >>> get_recipe("wordle").bc_filter
        'top30'
    """
    if bc_filter == "success":
        return filter_successes(episodes)
    if bc_filter.startswith("top"):
        return filter_top_percent(episodes, float(bc_filter[3:]))
    raise ValueError(f"unknown %BC filter {bc_filter!r}; use 'success' or 'top<k>'")


def validate_dataset(path: str | os.PathLike) -> dict[str, Any]:
    """Check a dataset directory (manifest, checksums, counts, every line) or one JSONL file.

    Returns:
        A summary ``{"files": {name: episodes}, "episodes": n}``.

    Raises:
        DatasetError: at the first problem, naming the file, the line and the field.
    """
    path = Path(path)
    if path.is_file() and path.name != "manifest.json":
        n = sum(1 for _ in read_episodes(path))
        return {"files": {path.name: n}, "episodes": n}
    root = path if path.is_dir() else path.parent
    manifest = read_manifest(root)
    env_id = manifest["task"].get("env_id") if isinstance(manifest["task"], dict) else None
    summary: dict[str, Any] = {"files": {}, "episodes": 0}
    for name, entry in sorted(manifest["files"].items()):
        fpath = root / name
        if not fpath.exists():
            raise DatasetError(f"{fpath}: listed in manifest.json but missing")
        acc = StatsAccumulator()
        for lineno, ep in enumerate(read_episodes(fpath), start=1):
            if env_id is not None and ep.env_id != env_id:
                raise DatasetError(f"{fpath}:{lineno}: env_id: {ep.env_id!r} != manifest task {env_id!r}")
            acc.add(ep)
        if acc.n != entry.get("episodes"):
            raise DatasetError(f"{fpath}: holds {acc.n} episodes, manifest.json says {entry.get('episodes')}")
        digest = file_sha256(fpath)
        if digest != entry.get("sha256"):
            raise DatasetError(f"{fpath}: sha256 {digest[:12]}... != manifest.json {str(entry.get('sha256'))[:12]}... "
                               "(the file was modified after generation)")
        summary["files"][name] = acc.n
        summary["episodes"] += acc.n
    return summary

