"""Dataset files: the layout, the manifest, atomic writes, loading helpers and validation.

A dataset directory holds::

    OUT/train.jsonl     one `lmrl_envs.Episode` JSON object per line (format "lmrl-episode/1")
    OUT/eval.jsonl      the fixed eval split (same format)
    OUT/manifest.json   what made the files (task, policy, seed, versions), counts, statistics,
                        and the sha256 of each file; written last, so a directory without it is
                        not a finished dataset

`validate_dataset` trusts nothing in the manifest: it lists exactly ``train.jsonl`` and
``eval.jsonl``, both inside the directory (no ``../``, no symlink out of it); the counts add up to
``episodes`` and match each file's line count; every file's size and sha256 match. A manifest
without a checksum is invalid: every manifest lmrl-data writes records one, and without it a
changed file could not be detected.

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

from lmrl_envs import DatasetError, Episode, filter_episodes, read_episodes
from lmrl_envs.episode import atomic_writer

__all__ = [
    "MANIFEST_FORMAT",
    "SPLITS",
    "atomic_write_text",
    "bc_subset",
    "file_sha256",
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
    with atomic_writer(path) as f:
        f.write(text)


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
        if (mpath.parent / ".partial").is_dir():
            raise DatasetError(f"{mpath}: no manifest (the dataset is unfinished: re-run the same `lmrl-data generate` "
                               "command to resume it)")
        raise DatasetError(f"{mpath}: no manifest, so {mpath.parent} is not an lmrl-data dataset (make one with "
                           "`lmrl-data generate`; to check a single file, pass the .jsonl file)")
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise DatasetError(f"{mpath}: manifest is not valid UTF-8 (byte {e.start + 1}); the file is corrupt: "
                           "regenerate the dataset") from None
    except json.JSONDecodeError as e:
        raise DatasetError(f"{mpath}:{e.lineno}: manifest is not valid JSON ({e.msg})") from None
    except RecursionError:
        raise DatasetError(f"{mpath}: manifest JSON is nested too deeply to parse; the file is corrupt: "
                           "regenerate the dataset") from None
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


def bc_subset(episodes: Iterable[Episode], bc_filter: str) -> list[Episode]:
    """Apply a recipe's %BC filter: ``"success"`` or ``"top<k>"`` (e.g. ``"top10"``), with
    `lmrl_envs.filter_episodes` (the filter %BC and online %BC train with).

    Example:
        >>> from lmrl_data.policies import get_recipe
        >>> get_recipe("wordle").bc_filter
        'top30'
    """
    if bc_filter == "success":
        return filter_episodes(episodes, success_only=True)
    if bc_filter.startswith("top"):
        try:
            percent = float(bc_filter[3:])
        except ValueError:
            percent = math.nan
        if 0 < percent <= 100:
            return filter_episodes(episodes, top_fraction=percent / 100)
    raise ValueError(f"unknown %BC filter {bc_filter!r}; use 'success' or 'top<k>' with 0 < k <= 100")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manifest_files(root: Path, manifest: dict[str, Any]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Check the manifest's `counts`, `episodes` and `files` against each other (no file is read).

    Returns:
        ``{name: (path, entry)}`` for each listed file, every path inside `root`.
    """
    mpath = root / "manifest.json"
    counts, files = manifest["counts"], manifest["files"]
    if not isinstance(counts, dict) or set(counts) != set(SPLITS) or not all(map(_is_count, counts.values())):
        raise DatasetError(f"{mpath}: counts: expected {{'train': n, 'eval': n}} with counts >= 0, got {counts!r:.200}")
    if not _is_count(manifest["episodes"]) or manifest["episodes"] != sum(counts.values()):
        raise DatasetError(f"{mpath}: episodes: {manifest['episodes']!r} != counts train + eval "
                           f"({sum(counts.values())})")
    expected = sorted(f"{s}.jsonl" for s in SPLITS)
    if not isinstance(files, dict) or sorted(files) != expected:
        listed = sorted(files) if isinstance(files, dict) else files
        raise DatasetError(f"{mpath}: files: must list exactly {expected}, got {listed!r:.200}")
    real_root = root.resolve()
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    for name in expected:
        entry, fpath = files[name], root / name
        if not fpath.resolve().is_relative_to(real_root):
            raise DatasetError(f"{fpath}: resolves to {fpath.resolve()}, outside the dataset directory {real_root}; "
                               "copy the file into the directory instead of linking to it")
        if not isinstance(entry, dict):
            raise DatasetError(f"{mpath}: files.{name}: must be an object with episodes, bytes and sha256")
        split = name.removesuffix(".jsonl")
        if entry.get("episodes") != counts[split]:
            raise DatasetError(f"{mpath}: files.{name}.episodes: {entry.get('episodes')!r} != counts.{split} "
                               f"({counts[split]})")
        if not _is_count(entry.get("bytes")):
            raise DatasetError(f"{mpath}: files.{name}.bytes: missing or not a size, got {entry.get('bytes')!r}")
        digest = entry.get("sha256")
        if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            raise DatasetError(f"{mpath}: files.{name}.sha256: missing or not a hex sha256, got {digest!r:.80} "
                               "(every manifest lmrl-data writes records one; regenerate the dataset)")
        out[name] = (fpath, entry)
    return out


def validate_dataset(path: str | os.PathLike) -> dict[str, Any]:
    """Check a dataset directory (manifest, checksums, counts, every line) or one JSONL file.

    Nothing in the manifest is taken on trust (see the module docstring for the checks).

    Returns:
        A summary ``{"files": {name: episodes}, "episodes": n}``.

    Raises:
        DatasetError: at the first problem, naming the file, the line and the field.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such dataset directory or file")
    if path.is_file() and path.name != "manifest.json":
        n = sum(1 for _ in read_episodes(path))
        return {"files": {path.name: n}, "episodes": n}
    root = path if path.is_dir() else path.parent
    manifest = read_manifest(root)
    mpath = root / "manifest.json"
    files = _manifest_files(root, manifest)
    env_id = manifest["task"].get("env_id") if isinstance(manifest["task"], dict) else None
    summary: dict[str, Any] = {"files": {}, "episodes": 0}
    for name, (fpath, entry) in files.items():
        if not fpath.is_file():
            raise DatasetError(f"{fpath}: listed in manifest.json but missing")
        n = 0
        for lineno, ep in enumerate(read_episodes(fpath), start=1):
            if env_id is not None and ep.env_id != env_id:
                raise DatasetError(f"{fpath}:{lineno}: env_id: {ep.env_id!r} != manifest task {env_id!r}")
            n += 1
        if n != entry["episodes"]:
            raise DatasetError(f"{fpath}: holds {n} episodes, manifest.json says {entry['episodes']}")
        digest = file_sha256(fpath)
        if digest != entry["sha256"]:
            raise DatasetError(f"{fpath}: sha256 {digest[:12]}... != manifest.json {entry['sha256'][:12]}... "
                               "(the file was modified after generation; regenerate the dataset)")
        if fpath.stat().st_size != entry["bytes"]:
            raise DatasetError(f"{mpath}: files.{name}.bytes: {entry['bytes']} != the file's {fpath.stat().st_size} "
                               "(the manifest was modified after generation; regenerate the dataset)")
        summary["files"][name] = n
        summary["episodes"] += n
    return summary
