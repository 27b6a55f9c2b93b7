"""Exit 0 when a CPU build of the torch the semantic extra pins lies in one of pip's
find-links folders (so installing the extra costs a local file, not a CUDA download)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def main() -> int:
    pinned = re.search(r'"torch==([^"]+)"', PYPROJECT.read_text())
    if not pinned:
        return 1
    found = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    folders = [
        part
        for line in found.splitlines()
        if "find-links" in line
        for part in line.split("=", 1)[1].strip("'\" ").split()
    ]
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    for folder in folders:
        for wheel in Path(folder.removeprefix("file://")).glob(f"torch-{pinned[1]}*cpu*.whl"):
            if tag in wheel.name:
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
