"""Uploaded files: the body read as raw bytes or as multipart form data (with the
standard library's MIME parser), and a safe place beside the archive to keep them."""

from __future__ import annotations

import hashlib
import os
import re
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

from fonds.errors import FondsError, QuerySyntaxError
from fonds.store import files_base, is_server_url


class UploadQuotaFull(FondsError):
    """The folder of uploads holds as much as the server allows (answered with 413)."""


SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None) -> str:
    """A plain file name from whatever a client sent: no folders, no dot files."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = SAFE_NAME.sub("_", base).lstrip("._")[:100]
    return base or "upload.txt"


def file_from_body(content_type: str, body: bytes, filename: str | None) -> tuple[str, bytes]:
    """(file name, bytes) of an upload: a multipart field named ``file``, else the body."""
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            raise QuerySyntaxError("the multipart body cannot be read: check its boundary")
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                data = part.get_payload(decode=True)
                if isinstance(data, bytes):
                    return safe_filename(part.get_filename() or filename), data
        raise QuerySyntaxError("no form field named 'file' in the upload")
    return safe_filename(filename), body


def upload_folder(db_path: str) -> Path:
    """Where uploaded files are kept: beside the archive's file; for a PostgreSQL
    database, a folder of its own beside this machine's copy of its index
    (``files_base``), several databases' files sharing that folder."""
    if is_server_url(db_path):
        return Path(files_base(db_path) + ".uploads").resolve()
    return Path(db_path).resolve().parent / "uploads"


def store_upload(db_path: str, name: str, data: bytes, quota: int) -> tuple[Path, bool]:
    """Keep an upload in ``uploads/`` beside the archive, named by its hash and its name:
    (its path, whether this call created it). The folder holds at most ``quota`` bytes."""
    folder = upload_folder(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = folder / f"{digest}-{name}"
    if path.resolve().parent != folder:  # cannot happen with a safe name; refuse anyway
        raise QuerySyntaxError("bad file name")
    if path.exists():
        return path, False
    used = sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())
    if used + len(data) > quota:
        raise UploadQuotaFull(
            f"the server's upload space is full ({used:,} of {quota:,} bytes used): "
            "ask its keeper to make room, or ingest the file with `fonds ingest`"
        )
    path.write_bytes(data)
    return path, True
