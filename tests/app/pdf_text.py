"""The words of a PDF that Devolve writes with fpdf2, for tests to compare with its page.

fpdf2 sets text in an embedded Unicode font as two-byte glyph codes in literal strings, one
text object (``BT`` … ``ET``) a line, shown with ``Tj`` (or ``TJ`` with spacing between the
words of a justified line), and gives the font a ToUnicode map from each code to its character,
so the text is read back by undoing both: no PDF library is needed for PDFs this simple. Lines
come back in the order they are drawn, joined by single spaces (a sentence wrapped over two
lines reads as one)."""

from __future__ import annotations

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
# A text object. Its strings cannot spell "ET": the subset font's codes are small, so each
# one's first byte is zero.
TEXT = re.compile(rb"\bBT\b(.*?)\bET\b", re.S)
BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def pdf_text(data: bytes) -> str:
    """The document's text; fails unless ``data`` is a whole PDF (header, cross-reference
    table, end marker) with a ToUnicode map."""
    assert data.startswith(b"%PDF-"), data[:20]
    assert b"xref" in data and data.rstrip().endswith(b"%%EOF")
    streams = [_inflated(m.group(1)) for m in STREAM.finditer(data)]
    codes: dict[int, str] = {}
    for stream in streams:
        for block in BFCHAR.findall(stream):
            for code, text in PAIR.findall(block):
                codes[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    assert codes, "no ToUnicode map"
    lines = [
        "".join(_decoded(raw, codes) for raw in _strings(block))
        for stream in streams
        if b" Tf" in stream
        for block in TEXT.findall(stream)
    ]
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def _inflated(raw: bytes) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return raw


def _decoded(raw: bytes, codes: dict[int, str]) -> str:
    pairs = (int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))
    return "".join(codes.get(code, "\ufffd") for code in pairs)


def _strings(block: bytes):
    """Each literal string in a text object, its escapes undone."""
    i = 0
    while (start := block.find(b"(", i)) != -1:
        out, depth, i = bytearray(), 1, start + 1
        while depth and i < len(block):
            byte = block[i : i + 1]
            if byte == b"\\":
                following = block[i + 1 : i + 2]
                octal = re.match(rb"[0-7]{1,3}", block[i + 1 : i + 4])
                if octal:
                    out.append(int(octal.group(), 8))
                    i += 1 + len(octal.group())
                    continue
                out += ESCAPES.get(following, following)
                i += 2
                continue
            depth += {b"(": 1, b")": -1}.get(byte, 0)
            if depth:
                out += byte
            i += 1
        yield bytes(out)
