"""Parallel, resumable, byte-reproducible dataset generation.

Episode ``i`` (``0 <= i < episodes``) is played with seed ``seed + i`` for both the env and the
behaviour policy (the policy derives its own generator from it), so an episode depends on nothing
but its index and the recipe. The index range is cut into fixed shards; worker processes (spawn-safe
`multiprocessing`) play whole shards and write each one atomically (``.tmp`` then rename) under
``OUT/.partial/``. When every shard exists the shards are concatenated in index order into
``train.jsonl`` and ``eval.jsonl`` (split by a hash of the index), then ``manifest.json`` is written
last, and the shards are removed. Hence:

* the output bytes are the same for any number of workers;
* Ctrl-C leaves the finished shards; re-running the same command continues from them;
* a directory without ``manifest.json`` is never a finished dataset.

A shard is finished when it holds one line per episode and its sha256, written next to it
(``shard-*.jsonl.sha256``) right after the shard, matches its bytes; a resumed run plays any other
shard again (a shard cut short or edited by hand is redone, not concatenated). `generate` writes
only into a directory that is new, empty or holds its own state (``.partial/fingerprint.json`` or
``manifest.json`` of the same command); anything else is refused unless ``overwrite=True``
(``--overwrite``).

Episodes are played by `lmrl_envs.rollout` (the one rollout loop): a behaviour policy may end an
episode early by returning ``None`` as its action (the original's data collectors cut episodes,
e.g. Text-Nav at 15 steps); the episode is then recorded as truncated with ``info["cut_off"] = True``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import lmrl_envs
from lmrl_data import __version__
from lmrl_data.io import MANIFEST_FORMAT, atomic_write_text, file_sha256, read_manifest
from lmrl_data.policies import BehaviourPolicy, Recipe, get_recipe
from lmrl_data.stats import StatsAccumulator
from lmrl_envs import DatasetError, Episode, EpisodeSpec, TextEnv, read_episodes

__all__ = ["GenerateConfig", "generate", "is_eval", "play_episodes"]

GENERATOR = "lmrl-data"
LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerateConfig:
    """What `generate` makes (the manifest records all of it except `workers`)."""

    env_id: str
    """Dataset id: a registered env id (``"maze-fo"`` or ``"maze-fo-v0"``)."""
    out: str
    """Output directory (``OUT/train.jsonl``, ``OUT/eval.jsonl``, ``OUT/manifest.json``)."""
    episodes: int | None = None
    """Number of episodes; None = the recipe's full (paper) size."""
    seed: int = 0
    """Episode i uses seed ``seed + i`` for the env and the policy."""
    workers: int = 1
    """Worker processes (the output does not depend on it)."""
    eval_percent: float = 10.0
    """Share of episodes in eval.jsonl (by a hash of the episode index)."""
    shard_size: int | None = None
    """Episodes per resumable shard; None = ``clamp(episodes // 50, 1, 2000)``."""
    params: dict[str, Any] = field(default_factory=dict)
    """Overrides of the recipe's policy parameters."""
    progress: bool = True
    """Show a tqdm progress bar (episodes/s)."""
    overwrite: bool = False
    """Write into `out` even if it holds files `generate` did not write (or another dataset):
    train.jsonl, eval.jsonl and manifest.json are replaced, anything else is left alone."""


def is_eval(index: int, eval_percent: float) -> bool:
    """Whether episode `index` belongs to the eval split: ``sha256(str(index)) mod 10000 < 100 * percent``.

    Example:
        >>> sum(is_eval(i, 10.0) for i in range(10_000))
        1036
    """
    h = int.from_bytes(hashlib.sha256(str(index).encode()).digest()[:8], "big")
    return h % 10_000 < round(eval_percent * 100)


def play_episodes(env: TextEnv | list[TextEnv], policy: BehaviourPolicy, seeds: range | list[int]) -> list[Episode]:
    """Play one episode per seed with a behaviour policy, through `lmrl_envs.rollout`.

    Each episode's `EpisodeSpec` carries the seed and the policy's reset options
    (`policy.episode_options(seed)`); the records follow `rollout`'s conventions (``info["behaviour"]``,
    ``info["cut_off"]``). Since the policy seeds itself per episode, the result does not depend on how
    many envs are passed.

    Example:
        >>> from lmrl_data.policies import get_recipe
        >>> recipe = get_recipe("maze-fo")
        >>> eps = play_episodes(recipe.make_env(), recipe.make_policy(), [3, 4])
        >>> [(ep.seed, ep.env_id) for ep in eps]
        [(3, 'maze-fo-v0'), (4, 'maze-fo-v0')]
    """
    specs = [EpisodeSpec(s, policy.episode_options(s)) for s in seeds]
    return lmrl_envs.rollout(env, policy, specs=specs)


# ---------------------------------------------------------------------- worker side
_WORKER: dict[str, Any] = {}


def _worker_objects(recipe: Recipe) -> tuple[TextEnv, BehaviourPolicy]:
    key = repr(recipe)
    if _WORKER.get("key") != key:
        for obj in (_WORKER.get("env"), _WORKER.get("policy")):
            if obj is not None:
                obj.close()
        _WORKER.update(key=key, env=recipe.make_env(), policy=recipe.make_policy())
    return _WORKER["env"], _WORKER["policy"]


def _run_shard(job: tuple[Recipe, int, int, int, str]) -> tuple[int, int]:
    """Play episodes [start, stop) and write them atomically to `path`; returns (shard, count)."""
    recipe, seed, start, stop, path = job
    env, policy = _worker_objects(recipe)
    episodes = play_episodes(env, policy, range(seed + start, seed + stop))
    lmrl_envs.write_episodes(path, episodes)
    atomic_write_text(_checksum_path(Path(path)), file_sha256(path) + "\n")
    return start, stop - start


def _checksum_path(shard: Path) -> Path:
    return shard.with_name(shard.name + ".sha256")


def _shard_finished(shard: Path, episodes: int) -> bool:
    """True if `shard` holds `episodes` lines and matches the sha256 written after it; a damaged shard is reported."""
    if not shard.exists():
        return False
    checksum = _checksum_path(shard)
    digest, lines = hashlib.sha256(), 0
    with open(shard, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    recorded = checksum.read_text(encoding="utf-8", errors="replace").strip() if checksum.exists() else None
    if recorded == digest.hexdigest() and lines == episodes:
        return True
    LOGGER.warning("%s does not match its checksum %s (cut short or edited after it was written); playing its "
                   "episodes again", shard, checksum.name)
    return False


def _close_worker() -> None:
    for obj in (_WORKER.pop("env", None), _WORKER.pop("policy", None)):
        if obj is not None:
            obj.close()
    _WORKER.clear()


# ---------------------------------------------------------------------- driver
def _kind(value: Any) -> str:
    """A parameter's kind for `--param` checks: numbers are one kind (an int may replace a float)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {"dict": "JSON object", "list": "JSON array", "str": "string"}.get(type(value).__name__, type(value).__name__)


def _entry_name(obj: Any) -> str:
    return obj if isinstance(obj, str) else f"{obj.__module__}:{obj.__qualname__}"


def _fingerprint(recipe: Recipe, cfg: GenerateConfig, n: int, shard_size: int) -> dict[str, Any]:
    """Everything that determines the output bytes (compared on resume)."""
    return {
        "env_id": recipe.env_id,
        "policy": _entry_name(recipe.policy),
        "params": recipe.params,
        "env_kwargs": recipe.env_kwargs,
        "episodes": n,
        "seed": cfg.seed,
        "eval_percent": cfg.eval_percent,
        "shard_size": shard_size,
        "generator_version": __version__,
        "lmrl_envs_version": lmrl_envs.__version__,
    }


def generate(cfg: GenerateConfig, recipe: Recipe | None = None) -> dict[str, Any]:
    """Generate (or resume) a dataset and return its manifest.

    Args:
        cfg: the generation settings.
        recipe: use this recipe instead of the registered one for `cfg.env_id` (tests, new tasks).

    Raises:
        FileExistsError: `cfg.out` holds files `generate` did not write, a different dataset or a different
            unfinished generation (and `cfg.overwrite` is False), or is a file.

    Example:
        >>> import tempfile
        >>> m = generate(GenerateConfig("maze-fo", tempfile.mkdtemp(), episodes=4, progress=False))
        >>> m["counts"]["train"] + m["counts"]["eval"]
        4
    """
    recipe = recipe or get_recipe(cfg.env_id)
    if cfg.params:
        unknown = set(cfg.params) - set(recipe.params)
        if unknown:
            raise ValueError(f"unknown policy parameter(s) {sorted(unknown)} for {recipe.env_id}; "
                             f"known: {sorted(recipe.params)}")
        for key, value in cfg.params.items():
            if _kind(value) != _kind(recipe.params[key]):
                raise ValueError(f"policy parameter {key}={value!r} must be a {_kind(recipe.params[key])} like its "
                                 f"default {recipe.params[key]!r} (--param {key}=VALUE, VALUE in JSON)")
        recipe = replace(recipe, params={**recipe.params, **cfg.params})
    n = recipe.default_episodes if cfg.episodes is None else cfg.episodes
    if n < 1:
        raise ValueError(f"--episodes must be >= 1, got {n}")
    if cfg.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {cfg.workers}")
    if not 0 <= cfg.eval_percent <= 100:  # also rejects nan
        raise ValueError(f"--eval-percent must be in [0, 100], got {cfg.eval_percent}")
    shard_size = cfg.shard_size or min(2000, max(1, n // 50))
    fingerprint = _fingerprint(recipe, cfg, n, shard_size)
    out = Path(cfg.out)
    partial = out / ".partial"

    finished = _claim_out(out, fingerprint, cfg.overwrite)
    if finished is not None:
        shutil.rmtree(partial, ignore_errors=True)  # in case a run was stopped just before removing it
        return finished  # already complete: nothing to do
    out.mkdir(parents=True, exist_ok=True)
    partial.mkdir(exist_ok=True)
    fp_path = partial / "fingerprint.json"
    if not fp_path.exists():
        atomic_write_text(fp_path, json.dumps(fingerprint, indent=1, sort_keys=True))

    shards = [(s, min(n, s + shard_size)) for s in range(0, n, shard_size)]
    paths = {s: partial / f"shard-{s:09d}.jsonl" for s, _ in shards}
    todo = [(recipe, cfg.seed, s, e, str(paths[s])) for s, e in shards if not _shard_finished(paths[s], e - s)]
    done_eps = n - sum(e - s for _, _, s, e, _ in todo)
    t0 = time.perf_counter()
    _run_jobs(todo, cfg.workers, done_eps, n, cfg.progress, recipe.env_id)
    elapsed = time.perf_counter() - t0
    manifest = _finalize(out, recipe, cfg, n, fingerprint, [paths[s] for s, _ in shards])
    shutil.rmtree(partial, ignore_errors=True)
    manifest["_elapsed_s"] = elapsed  # not stored; for the CLI's summary line
    return manifest


def _load_json(path: Path) -> Any:
    """The JSON in `path`, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _claim_out(out: Path, fingerprint: dict[str, Any], overwrite: bool) -> dict[str, Any] | None:
    """Check that `out` may be written: return the manifest if it already holds this exact dataset, else None.

    `out` may be written if it is missing, empty, or holds this command's unfinished run
    (``.partial/fingerprint.json`` equal to `fingerprint`). Anything else (files `generate` did not
    write, another dataset, another unfinished run) raises `FileExistsError`, unless `overwrite`:
    then the old manifest and ``.partial`` are removed, so the directory never looks finished or
    resumable with the old settings.
    """
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} is a file, not a directory; choose another --out")
    manifest_path, fp_path = out / "manifest.json", out / ".partial" / "fingerprint.json"
    if manifest_path.exists():
        try:
            old = read_manifest(manifest_path)
        except DatasetError:
            problem = "already holds a manifest.json that lmrl-data generate did not write"
        else:
            if old.get("fingerprint") == fingerprint:
                return old
            task = old["task"] if isinstance(old["task"], dict) else {}
            problem = (f"already holds a finished dataset made with other settings ({task.get('env_id')}, "
                       f"{old['episodes']} episodes, seed {old['seed']})")
    elif fp_path.exists():
        if _load_json(fp_path) == fingerprint:
            return None  # this command's unfinished run: resume it
        problem = f"holds an unfinished generation with other settings ({fp_path}; re-run that command to finish it)"
    else:
        foreign = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
        if not foreign:
            return None
        names = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        problem = f"holds files lmrl-data generate did not write ({names})"
    if not overwrite:
        raise FileExistsError(f"{out} {problem}; nothing was changed. Choose another --out, or pass --overwrite to "
                              "write this dataset there (train.jsonl, eval.jsonl and manifest.json are replaced)")
    manifest_path.unlink(missing_ok=True)
    shutil.rmtree(out / ".partial", ignore_errors=True)
    return None


def _run_jobs(todo: list, workers: int, done: int, total: int, progress: bool, desc: str) -> None:
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done, unit="ep", desc=desc, smoothing=0.1)
    try:
        if workers == 1 or len(todo) <= 1:
            try:
                for job in todo:
                    _, count = _run_shard(job)
                    if bar is not None:
                        bar.update(count)
            finally:
                _close_worker()
        else:
            ctx = mp.get_context("spawn")
            with ctx.Pool(min(workers, len(todo))) as pool:
                for _, count in pool.imap_unordered(_run_shard, todo):
                    if bar is not None:
                        bar.update(count)
    finally:
        if bar is not None:
            bar.close()


def _finalize(out: Path, recipe: Recipe, cfg: GenerateConfig, n: int, fingerprint: dict, shard_paths: list[Path]):
    files = {"train": out / "train.jsonl", "eval": out / "eval.jsonl"}
    tmps = {k: p.with_name(p.name + ".tmp") for k, p in files.items()}
    acc = {k: StatsAccumulator() for k in ("all", "train", "eval")}
    handles = {k: open(p, "wb") for k, p in tmps.items()}  # noqa: SIM115 (closed below)
    try:
        index = 0
        for shard in shard_paths:
            with open(shard, "rb") as f:
                lines = f.readlines()  # split as read_episodes splits (on b"\n" only)
            for line, ep in zip(lines, read_episodes(shard), strict=True):
                split = "eval" if is_eval(index, cfg.eval_percent) else "train"
                handles[split].write(line)
                acc[split].add(ep)
                acc["all"].add(ep)
                index += 1
        if index != n:
            raise DatasetError(f"{out}/.partial: shards hold {index} episodes, expected {n}; delete {out} and rerun")
        for h in handles.values():
            h.flush()
            os.fsync(h.fileno())
    except BaseException:
        for k, h in handles.items():
            h.close()
            tmps[k].unlink(missing_ok=True)
        raise
    for h in handles.values():
        h.close()
    for k in files:
        os.replace(tmps[k], files[k])
    spec = lmrl_envs.spec(recipe.env_id) if recipe.env_entry is None else None
    manifest = {
        "format": MANIFEST_FORMAT,
        "task": {
            "env_id": recipe.env_id,
            "env_version": spec.version if spec else None,
            "env_kwargs": recipe.env_kwargs,
            "contract_version": lmrl_envs.CONTRACT_VERSION,
            "episode_format": lmrl_envs.EPISODE_FORMAT,
            "lmrl_envs_version": lmrl_envs.__version__,
        },
        "generator": {"name": GENERATOR, "version": __version__},
        "policy": {"name": _entry_name(recipe.policy), "params": recipe.params, "bc_filter": recipe.bc_filter},
        "seed": cfg.seed,
        "episodes": n,
        "eval_percent": cfg.eval_percent,
        "split_rule": "episode i goes to eval iff int(sha256(str(i))[:8 bytes]) % 10000 < eval_percent * 100",
        "counts": {k: acc[k].n for k in files},
        "statistics": {k: a.result() for k, a in acc.items()},
        "files": {p.name: {"episodes": acc[k].n, "bytes": p.stat().st_size, "sha256": file_sha256(p)}
                  for k, p in files.items()},
        "fingerprint": fingerprint,
    }
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=False) + "\n")
    return manifest
