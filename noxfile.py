"""The one entry point for tests, lint and packaging.

    nox                      # default: every package's CPU tests, integration, lint, dist
    nox -s "tests(package='envs', device='cpu')"
    nox -s tests             # all packages, CPU and CUDA (CUDA skips without a GPU)
    LMRL_REQUIRE_GPU=1 nox -s "tests(package='algos', device='cuda')"   # fails without a GPU

Each `tests` session installs ONE package with only its declared dependencies (plus the sibling
distributions it declares, installed from their local paths) into a fresh virtualenv, so a
missing dependency shows up here and not on a user's machine. torch is pinned to the CPU wheel
(`TORCH`) so no session pulls a multi-GB CUDA build on a CPU machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = ("envs", "data", "algos", "eval")
# Sibling distributions each package declares (installed from local paths, in order).
SIBLINGS = {"envs": (), "data": ("envs",), "algos": ("envs",), "eval": ("envs", "data", "algos")}
# Extras installed for each package's tests.
EXTRAS = {"envs": "[gymnasium]", "data": "", "algos": "[peft,tensorboard,wandb]", "eval": "[full]"}
NEEDS_TORCH = {"algos", "eval"}
TORCH = os.environ.get("LMRL_TORCH_SPEC", "torch==2.13.0")
TEST_DEPS = ("pytest>=8",)

nox.options.sessions = ["tests(package='envs', device='cpu')", "tests(package='data', device='cpu')",
                        "tests(package='algos', device='cpu')", "tests(package='eval', device='cpu')",
                        "tests(package='envs-hf', device='cpu')", "integration", "lint", "dist"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


def _has_cuda() -> bool:
    if shutil.which("nvidia-smi") is None:
        return False
    return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0


def _install(session: nox.Session, package: str, extras: str = "") -> None:
    if package in NEEDS_TORCH or extras:
        session.install(TORCH)
    for sib in SIBLINGS[package]:
        session.install(str(ROOT / "packages" / f"lmrl-{sib}"))
    session.install(f"{ROOT / 'packages' / f'lmrl-{package}'}{extras or EXTRAS[package]}", *TEST_DEPS)


@nox.session
@nox.parametrize("device", ["cpu", "cuda"])
@nox.parametrize("package", [*PACKAGES, "envs-hf"])
def tests(session: nox.Session, package: str, device: str) -> None:
    """One package's unit tests, alone with its declared dependencies, on one device.

    `envs-hf` runs lmrl-envs' tests again with its `hf` extra (torch + transformers), so the
    pluggable language-model partners are tested too; plain `envs` proves the package works
    (and skips those tests) without torch.
    """
    if device == "cuda" and not _has_cuda():
        if os.environ.get("LMRL_REQUIRE_GPU") == "1":
            session.error("LMRL_REQUIRE_GPU=1 but no CUDA GPU is visible (nvidia-smi -L failed)")
        session.skip("no CUDA GPU on this machine (set LMRL_REQUIRE_GPU=1 to make this a failure)")
    if device == "cuda" and package in ("envs", "envs-hf", "data"):
        session.skip(f"lmrl-{package} has no GPU code")
    name = "envs" if package == "envs-hf" else package
    _install(session, name, "[hf]" if package == "envs-hf" else "")
    env = {"LMRL_TEST_DEVICE": device}
    session.run("python", "-m", "pytest", str(ROOT / "packages" / f"lmrl-{name}" / "tests"), "-q",
                "-p", "no:cacheprovider", *session.posargs, env=env)


@nox.session
def integration(session: nox.Session) -> None:
    """Cross-package tests with every package installed."""
    _install(session, "eval")
    session.run("python", "-m", "pytest", str(ROOT / "tests" / "integration"), "-q", "-p", "no:cacheprovider",
                *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, with the root configuration."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", str(ROOT))


@nox.session
def dist(session: nox.Session) -> None:
    """Build every package with poetry, check the metadata has no local paths, install the wheels."""
    poetry = shutil.which("poetry")
    if poetry is None:
        session.install("poetry>=1.8")
        poetry = "poetry"
    out = Path(session.create_tmp()).resolve() / "dist"  # absolute: poetry resolves --output against --directory
    shutil.rmtree(out, ignore_errors=True)
    wheels = []
    for pkg in PACKAGES:
        src = ROOT / "packages" / f"lmrl-{pkg}"
        session.run(poetry, "--directory", str(src), "build", "--output", str(out), "--no-interaction",
                    external=True, silent=True)
        wheels.append(next(out.glob(f"lmrl_{pkg}-*.whl")))
    session.run("python", str(ROOT / "scripts" / "check_wheel_metadata.py"), *map(str, wheels))
    session.install(TORCH)
    session.install(*map(str, wheels))
    session.run("python", "-c", "import lmrl_envs, lmrl_data, lmrl_algos, lmrl_eval; print('wheels import ok')")
