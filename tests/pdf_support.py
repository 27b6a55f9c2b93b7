"""Small PDFs written byte by byte for the tests: a text layer of given pages, or a page
whose content stream expands far past its size (a "PDF bomb")."""

from __future__ import annotations

import zlib


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(text: str) -> bytes:
    lines = [f"({_escape(line)}) Tj T*" for line in text.splitlines()]
    return ("BT /F1 11 Tf 14 TL 72 760 Td " + " ".join(lines) + " ET").encode("latin-1")


def pdf_bytes(pages: list[str], streams: list[bytes] | None = None, flate: bool = False) -> bytes:
    """A PDF of one page per item of ``pages`` (Helvetica text), or of the raw content
    ``streams`` given; ``flate`` compresses each stream."""
    contents = streams if streams is not None else [_content(p) for p in pages]
    n = len(contents)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{4 + 2 * i} 0 R".encode() for i in range(n))
        + f"] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(contents):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
            f"<< /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        data = zlib.compress(stream, 9) if flate else stream
        head = f"<< /Length {len(data)}{' /Filter /FlateDecode' if flate else ''} >>"
        objects.append(head.encode() + b"\nstream\n" + data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def bomb_pdf(expanded_bytes: int) -> bytes:
    """One page whose compressed content stream expands to ``expanded_bytes`` of spaces."""
    return pdf_bytes([], streams=[b" " * expanded_bytes], flate=True)
