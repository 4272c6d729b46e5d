"""Fail if a built wheel's metadata names a local path (used by `nox -s dist`).

Usage: python scripts/check_wheel_metadata.py dist/*.whl
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path


def check(wheels: list[str]) -> int:
    """Fail if a built wheel's METADATA names a local path (file:// or a path dependency)."""
    if not wheels:
        print("usage: python scripts/check_wheel_metadata.py WHEEL...", file=sys.stderr)
        return 2
    bad = []
    for whl in wheels:
        with zipfile.ZipFile(whl) as z:
            meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            for line in z.read(meta).decode().splitlines():
                if line.startswith("Requires-Dist:") and ("file:" in line or " @ " in line or "/" in line.split(";")[0]):
                    bad.append(f"{Path(whl).name}: {line}")
    for b in bad:
        print("local path in wheel metadata:", b, file=sys.stderr)
    print(f"checked {len(wheels)} wheels: {'FAIL' if bad else 'no local paths'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(check(sys.argv[1:]))
