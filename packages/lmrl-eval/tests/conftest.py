"""Shared fixtures: the test device (``$LMRL_TEST_DEVICE``, set by the nox session ``tests(package='eval', device=...)``)."""

from __future__ import annotations

import importlib.util
import os

import pytest

DEVICE_ENV = "LMRL_TEST_DEVICE"


@pytest.fixture(scope="session")
def device() -> str:
    """The device of the tests that load models: ``$LMRL_TEST_DEVICE`` (``cpu`` or ``cuda``; default ``cpu``).

    ``cuda`` without a usable GPU fails the test (an error at setup), never skips it: a CUDA session must not pass
    by running on the CPU. torch is imported only for ``cuda`` (plain lmrl-eval has no torch).
    """
    name = os.environ.get(DEVICE_ENV, "").strip() or "cpu"
    if name not in ("cpu", "cuda"):
        pytest.fail(f"{DEVICE_ENV}={name!r}: set it to cpu or cuda (or leave it unset for cpu)", pytrace=False)
    if name == "cuda":
        if importlib.util.find_spec("torch") is None:
            pytest.fail(f"{DEVICE_ENV}=cuda, but torch is not installed: pip install 'lmrl-eval[full]'", pytrace=False)
        import torch

        if not torch.cuda.is_available():
            pytest.fail(f"{DEVICE_ENV}=cuda, but torch {torch.__version__} sees no CUDA GPU (torch.cuda.is_available() "
                        f"is False): run on a machine with a GPU and a CUDA build of torch, or set {DEVICE_ENV}=cpu",
                        pytrace=False)
    return name


@pytest.fixture(autouse=True, scope="session")
def _requested_device_is_usable(device: str) -> None:
    """Every test checks the requested device, so a CUDA session without a GPU fails even where a test decodes on the
    CPU (the model-loading tests here still pass ``device="cpu"`` themselves)."""
