"""Device resolution and torch.distributed (DDP) set-up: gloo on CPU, nccl on CUDA.

A run launched with ``torchrun --nproc_per_node N`` (env vars RANK / WORLD_SIZE set) trains data
parallel: every process draws the same global batch and takes its ``rank::world`` share (offline
trainers); online trainers shard each round's rollouts instead (`lmrl_algos.common.online`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from lmrl_algos.common.config import ConfigError

__all__ = ["Dist", "agree", "device_kind", "init_distributed", "resolve_device"]


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def device_kind(name: str) -> str:
    """``auto`` -> ``cuda`` if a GPU is visible, else ``cpu``; any other name as given (the one reading of
    ``--device auto``).

    Example:
        >>> device_kind("cpu"), device_kind("auto") in ("cpu", "cuda")
        ('cpu', True)
    """
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def resolve_device(name: str, dist: Dist | None = None) -> torch.device:
    """The device of ``--device auto|cpu|cuda`` (`device_kind`; under torchrun this process's GPU); ``cuda`` without
    a GPU is a `ConfigError`."""
    name = device_kind(name)
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("--device cuda but no CUDA GPU is visible; pass --device cpu (or auto)")
        local = int(os.environ.get("LOCAL_RANK", dist.rank if dist else 0))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device(name)


def init_distributed(device_name: str) -> Dist:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); else a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    import torch.distributed as td

    if not td.is_initialized():
        td.init_process_group("nccl" if device_kind(device_name) == "cuda" else "gloo")
    return Dist(td.get_rank(), td.get_world_size())


def agree(dist: Dist, device: torch.device, *flags: bool) -> list[bool]:
    """Each flag, true on every rank if it is true on any (an all-reduce; unchanged in a single process).

    Decisions taken from the clock (``--time-budget``, ``--save-minutes``) differ between ranks by a few
    milliseconds; every rank must take the same branch (a save has a barrier, a round a gather).
    """
    if not dist.enabled:
        return list(flags)
    import torch.distributed as td

    t = torch.tensor([float(f) for f in flags], device=device)
    td.all_reduce(t, op=td.ReduceOp.MAX)
    return [bool(x) for x in t.tolist()]
