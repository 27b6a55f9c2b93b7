"""Load a file from disk: hash its bytes, refuse binaries, detect the text encoding."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from charset_normalizer import from_bytes

from fonds.errors import ReadError
from fonds.model import SourceFile

# Magic numbers of binary formats a reader may still want (PDF) or that are never text.
PDF_MAGIC = b"%PDF-"
BINARY_MAGICS = (b"\x7fELF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b")


STREAM_OVER_BYTES = 16 * 1024 * 1024
HEAD_BYTES = 256 * 1024


def load_source(path: Path, stream_over: int | None = -1) -> SourceFile:
    """Read ``path`` and decode it; raise ReadError with the reason when it is not text.

    A PDF is returned undecoded (``encoding="pdf"``, empty text): the PDF reader opens it.
    A file larger than ``stream_over`` bytes is hashed in chunks and only its head is
    decoded (``streamed=True``): a streaming reader (TEI) reads the file itself.
    ``stream_over=None`` always loads the whole file.
    """
    if stream_over == -1:
        stream_over = STREAM_OVER_BYTES
    try:
        if stream_over is not None and path.stat().st_size > stream_over:
            return _load_head(path)
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ReadError(f"{path}: the file disappeared before it could be read") from err
    except IsADirectoryError as err:
        raise ReadError(f"{path}: is a directory") from err
    except OSError as err:
        raise ReadError(f"{path}: cannot be read ({err.strerror or err})") from err
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise ReadError(f"{path}: the file is empty")
    if data.startswith(PDF_MAGIC):
        return SourceFile(str(path), sha, "", "pdf", len(data))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return SourceFile(str(path), sha, data.decode("utf-16"), "utf-16", len(data))
        except UnicodeDecodeError as err:
            raise ReadError(
                f"{path}: broken UTF-16 text (a byte that ends no character at {err.start})"
            ) from err
    if data.startswith(BINARY_MAGICS) or _looks_binary(data):
        raise ReadError(f"{path}: a binary file, not a document fonds can read")
    text, encoding = decode_text(data)
    return SourceFile(str(path), sha, text, encoding, len(data))


def _load_head(path: Path) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if not head:
                head = chunk[:HEAD_BYTES]
            digest.update(chunk)
            size += len(chunk)
    if head.startswith(PDF_MAGIC):
        return SourceFile(str(path), digest.hexdigest(), "", "pdf", size)
    if head.startswith(BINARY_MAGICS) or _looks_binary(head):
        raise ReadError(f"{path}: a binary file, not a document fonds can read")
    encoding = head_encoding(head)
    text = codecs.getincrementaldecoder(encoding)("replace").decode(head)  # may end mid-way
    name = "utf-8" if encoding == "utf-8-sig" else encoding
    return SourceFile(str(path), digest.hexdigest(), text, name, size, streamed=True)


def head_encoding(head: bytes) -> str:
    """The encoding of a large file, told by its head as ``decode_text`` tells a whole
    file's: UTF-16 by its mark, else UTF-8 (with or without BOM, a few broken bytes
    replaced), else the most likely legacy encoding."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head)  # a character cut at the end
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(head.decode("utf-8", errors="replace")):
        return "utf-8-sig"
    return _legacy_encoding(head)


@contextmanager
def open_text(source: SourceFile) -> Iterator[Iterator[str]]:
    """The lines of a large text file (``streamed``), read from disk in its encoding, one
    at a time, without their line feeds (as ``str.split("\\n")`` gives them)."""
    encoding = "utf-8-sig" if source.encoding == "utf-8" else source.encoding
    try:
        with open(source.path, encoding=encoding, errors="replace", newline="\n") as fh:
            yield (line[:-1] if line.endswith("\n") else line for line in fh)
    except OSError as err:
        raise ReadError(f"{source.path}: cannot be read ({err.strerror or err})") from err


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), else the most likely legacy encoding
    (cp1251, latin-1 ...); return the text and the encoding's name."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Mostly valid UTF-8 with a few broken bytes (a truncated download, a bad copy):
    # keep it UTF-8 and mark the broken bytes rather than misreading every accent.
    lenient = data.decode("utf-8", errors="replace")
    if _mostly_utf8(lenient):
        return lenient, "utf-8 (invalid bytes replaced)"
    encoding = _legacy_encoding(data)
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return lenient, "utf-8 (invalid bytes replaced)"


def _mostly_utf8(lenient: str) -> bool:
    """Whether UTF-8 decoded leniently (broken bytes replaced) is still UTF-8: a few
    broken bytes among many characters beyond ASCII."""
    broken = lenient.count("\ufffd")
    multibyte = sum(1 for ch in lenient if ord(ch) > 127) - broken
    return multibyte > 0 and broken <= max(3, multibyte // 10)


def _legacy_encoding(data: bytes) -> str:
    """The most likely legacy encoding of ``data`` (cp1251, latin-1 ...), guessed by
    charset-normalizer on a bounded sample (fast on big files)."""
    best = from_bytes(data[:200_000]).best()
    return best.encoding if best is not None else "cp1252"


# Every byte but the control bytes (below 9, 14–31): deleting these leaves the controls.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample.translate(None, _NOT_CONTROL))  # counted in C, not byte by byte
    return control > len(sample) * 0.05
