"""Files named by a URL (``s3://bucket/folder``, ``gs://…``, ``https://…``), read through
fsspec: listed where the run is planned, each fetched to a temporary file by whoever
reads it (a cluster's worker, or the one process), read as any file, then removed.

fsspec knows the protocols; the package of each is the user's to install (``s3fs`` for
S3 and S3-compatible stores, ``gcsfs``, ``adlfs``; ``fonds[server]`` brings ``s3fs``).
Credentials and endpoints come from the usual places: the protocol's own (``AWS_*``
variables, ``~/.aws``), or fsspec's configuration (``FSSPEC_S3_ENDPOINT_URL=…``), which
every worker of a cluster must have too. A record keeps the URL as its source path.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from fonds.errors import DependencyError, ReadError

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(path: object) -> bool:
    """Whether a path given is a URL for fsspec (``file://`` and plain paths are not)."""
    return isinstance(path, str) and URL.match(path) is not None and not path.startswith("file://")


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as err:  # pragma: no cover - installed with fonds[server]
        raise DependencyError(f"{url}: reading URLs needs fsspec ({err})") from err
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as err:
        protocol = url.split("://", 1)[0]
        raise DependencyError(
            f"{url}: no reader of {protocol}:// URLs is installed ({err}); for S3, "
            "pip install 'fonds[server]'"
        ) from err


def list_files(url: str) -> list[str]:
    """Every file under a URL (a folder, recursively, in order), or the URL itself when it
    names one file, or one that cannot be listed (reading it then says why)."""
    fs, root = _filesystem(url)
    try:
        if not fs.isdir(root):
            return [url]
        found = sorted(fs.find(root))
    except OSError:
        return [url]
    return [fs.unstrip_protocol(path) for path in found]


def name_of(url: str) -> str:
    """A URL's last part: the name of the file it stands for."""
    return PurePosixPath(url.split("://", 1)[-1].split("?", 1)[0]).name


def size_of(url: str) -> int:
    """A file's size in bytes; 0 when it cannot be told (reading it then says why)."""
    try:
        fs, root = _filesystem(url)
        return int(fs.size(root) or 0)
    except (OSError, ValueError, DependencyError):
        return 0


@contextmanager
def fetched(url: str) -> Iterator[Path]:
    """The file a URL names, copied to a temporary folder (its own name kept: readers
    bid on it) for as long as the block runs."""
    fs, root = _filesystem(url)
    folder = Path(tempfile.mkdtemp(prefix="fonds-fetched-"))
    try:
        local = folder / (name_of(url) or "file")
        try:
            fs.get_file(root, str(local))
        except (OSError, ValueError) as err:
            raise ReadError(f"{url}: cannot be read ({err})") from err
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)
