"""The one entry point for tests, lint and packaging.

    nox                      # default: every package's CPU tests, integration, lint, dist
    nox -s "tests(package='envs', device='cpu')"
    nox -s tests             # all packages, CPU and CUDA (CUDA skips without a GPU)
    LMRL_REQUIRE_GPU=1 nox -s "tests(package='algos', device='cuda')"   # fails without a GPU
    nox -s min_versions      # not a default: every package at the lowest dependency versions it declares

Each `tests` session installs ONE package with only its declared dependencies (plus the sibling
distributions it declares, installed from their local paths) into a fresh virtualenv, so a
missing dependency shows up here and not on a user's machine. torch is pinned to the CPU wheel
(`TORCH`) so no session pulls a multi-GB CUDA build on a CPU machine. A `cuda` session sets
LMRL_TEST_DEVICE=cuda, which the device-aware tests read (their `device` fixture), and fails when the
torch it installed sees no GPU (point LMRL_TORCH_SPEC at a CUDA build of torch).
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


def _install(session: nox.Session, package: str, extras: str = "", *pip_args: str) -> None:
    """Install `package` (with `extras`, else its test extras) and the siblings it declares in one pip call
    (`pip_args` first: `min_versions` passes its constraints there)."""
    if package in NEEDS_TORCH or extras:
        session.install(TORCH)
    siblings = [str(ROOT / "packages" / f"lmrl-{sib}") for sib in SIBLINGS[package]]
    session.install(*pip_args, *siblings, f"{ROOT / 'packages' / f'lmrl-{package}'}{extras or EXTRAS[package]}",
                    *TEST_DEPS)


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
    if device == "cuda":  # a CPU build of torch would run every device-aware test on the CPU: refuse it here
        session.run("python", "-c", "import sys, torch; sys.exit(0 if torch.cuda.is_available() else "
                    "f'torch {torch.__version__} sees no CUDA GPU: set LMRL_TORCH_SPEC to a CUDA build of torch')")
    env = {"LMRL_TEST_DEVICE": device}
    session.run("python", "-m", "pytest", str(ROOT / "packages" / f"lmrl-{name}" / "tests"), "-q",
                "-p", "no:cacheprovider", "--durations=5", *session.posargs, env=env)
    if device == "cpu" and package != "envs-hf" and not session.posargs:  # docstring examples, installed package
        # (envs-hf lacks the gymnasium extra that lmrl_envs.gym needs; its examples run in the envs session)
        session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--doctest-modules",
                    "--pyargs", f"lmrl_{name}", env=env)


def _declared(dist: str, extras: frozenset[str] = frozenset()) -> list:
    """The requirements (`packaging` `Requirement`s) `dist` declares in packages/<dist>/pyproject.toml with
    `extras`, and, recursively, those of the lmrl siblings it requires (with their extras); siblings left out."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: nox itself depends on tomli there
        import tomli as tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "packages" / dist / "pyproject.toml").read_text())["project"]
    optional = project.get("optional-dependencies", {})
    lines = project.get("dependencies", []) + [r for extra in sorted(extras) for r in optional[extra]]
    found = []
    for req in map(Requirement, lines):
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        found += _declared(req.name, frozenset(req.extras)) if req.name.startswith("lmrl-") else [req]
    return found


def _floors(package: str, extras: str) -> list[str]:
    """``name==floor`` for every third-party distribution lmrl-`package` (with `extras`, ``"[a,b]"``) and its
    siblings declare: the lowest version that every declared range of that name allows. torch is left out
    (`min_versions` installs `TORCH`)."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    by_name: dict[str, list] = {}
    for req in _declared(f"lmrl-{package}", frozenset(filter(None, extras.strip("[]").split(",")))):
        by_name.setdefault(canonicalize_name(req.name), []).append(req)
    pins = []
    for name, reqs in sorted(by_name.items()):
        lows = [Version(s.version) for r in reqs for s in r.specifier if s.operator in (">=", "==", "~=")]
        if not lows:
            raise ValueError(f"{name}: declared without a lower bound ({', '.join(map(str, reqs))}); "
                             "give it a floor (>=X) in its pyproject.toml")
        low = max(lows)
        if not all(r.specifier.contains(low, prereleases=True) for r in reqs):
            raise ValueError(f"{name}: the highest floor {low} is outside {', '.join(map(str, reqs))}")
        if name != "torch":
            pins.append(f"{name}=={low}")
    return pins


@nox.session
@nox.parametrize("package", [*PACKAGES, "envs-hf"])
def min_versions(session: nox.Session, package: str) -> None:
    """One package's CPU tests with each dependency it declares at its lowest allowed version (not a default).

    Not in the default sessions: it downloads old releases from PyPI. The `==` pins are derived from the
    pyproject.toml floors (`_floors`), so this session cannot drift from the declarations; dependencies of
    dependencies resolve as usual (the lowest *direct* versions). torch stays at `TORCH` (2.13.0), the one build
    that installs here in seconds (another pulls a multi-GB CUDA build), so the torch floor is not tested. A
    pinned release without a wheel for this Python fails (no source builds): floors are verified on this
    interpreter.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    name = "envs" if package == "envs-hf" else package
    extras = "[hf]" if package == "envs-hf" else EXTRAS[name]
    pins = _floors(name, extras)
    try:  # torch stays at TORCH when that is a plain requirement (a constraint cannot be a path or URL)
        torch_pin = [TORCH] if Requirement(TORCH).url is None else []
    except InvalidRequirement:
        torch_pin = []
    constraints = Path(session.create_tmp()).resolve() / f"floors-{package}.txt"
    constraints.write_text("\n".join(torch_pin + pins) + "\n")
    session.log("floors: " + ", ".join(pins))
    binary_only = ",".join(p.split("==")[0] for p in pins)
    _install(session, name, extras, "-c", str(constraints), "--only-binary", binary_only)
    session.run("python", "-m", "pip", "list", "--format=freeze")
    session.run("python", "-m", "pytest", str(ROOT / "packages" / f"lmrl-{name}" / "tests"), "-q",
                "-p", "no:cacheprovider", *session.posargs, env={"LMRL_TEST_DEVICE": "cpu"})


@nox.session
def integration(session: nox.Session) -> None:
    """Cross-package tests with every package installed."""
    _install(session, "eval")
    session.run("python", "-m", "pytest", str(ROOT / "tests" / "integration"), "-q", "-p", "no:cacheprovider",
                "--durations=5", *session.posargs)


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
