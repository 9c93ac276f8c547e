"""Element spans of an XML document, in bytes, so a patcher can insert and remove text.

The patchers never re-serialise a document: they parse it once with expat to
learn where each element starts and ends (byte offsets into the original), then
splice text in at well-defined points. Everything they do not touch stays byte
for byte as the editor's application wrote it (attribute order, quoting,
entities, whitespace, the DOCTYPE, comments).
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Iterator, TypeVar
from xml.sax.saxutils import escape, quoteattr

from ..otio_common import OtioInputError

# a start tag, attribute values quoted (they may contain '>')
_START_TAG = re.compile(rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
_END_TAG = re.compile(rb"</[^\s>]+\s*>")
_ENCODING = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass
class Node:
    """One element: where it is in the bytes, its attributes, children and text."""

    tag: str
    attrs: dict[str, str]
    start: int                 # index of '<'
    head_end: int              # just after the start tag's '>'
    self_closing: bool
    parent: "Node | None" = None
    children: list["Node"] = field(default_factory=list)
    tail_start: int = -1       # index of the end tag's '<' (== end for a self-closing element)
    end: int = -1              # just after the element
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def iter(self, tag: str | None = None) -> Iterator["Node"]:
        """This element and its descendants, document order."""
        if tag is None or self.tag == tag:
            yield self
        for c in self.children:
            yield from c.iter(tag)

    def find(self, tag: str) -> "Node | None":
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list["Node"]:
        return [c for c in self.children if c.tag == tag]

    def child_text(self, tag: str, default: str = "") -> str:
        c = self.find(tag)
        return c.text.strip() if c is not None else default

    def ancestors(self) -> Iterator["Node"]:
        p = self.parent
        while p is not None:
            yield p
            p = p.parent


N = TypeVar("N", bound=Node)


def parse(doc: bytes, what: str = "XML document", error: type[Exception] = OtioInputError,
          node_class: type[N] = Node) -> N:
    """The element tree of ``doc`` with byte spans. Raises ``error`` (one line naming ``what``)
    when it is not well-formed or not UTF-8 (the only encoding we splice into); a patcher
    passes its own error class so its callers catch one kind of exception, and may pass a
    subclass of :class:`Node` that reads its format's conventions (MLT's named properties)."""
    m = _ENCODING.match(doc.lstrip(b"\xef\xbb\xbf"))
    if m and m.group(1).decode().lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise error(f"cannot patch a {what} encoded as {m.group(1).decode()} (only UTF-8)")
    parser = xml.parsers.expat.ParserCreate()
    root: list[N] = []
    stack: list[N] = []

    def start(name, attrs):
        i = parser.CurrentByteIndex
        tag = _START_TAG.match(doc, i)
        if tag is None:       # pragma: no cover - expat accepted it, so the pattern should too
            raise error(f"cannot locate the <{name}> tag at byte {i}")
        node = node_class(name, dict(attrs), i, tag.end(), bool(tag.group(1)), stack[-1] if stack else None)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(name):
        node = stack.pop()
        i = parser.CurrentByteIndex
        if node.self_closing:
            node.tail_start = node.end = node.head_end
        else:
            tag = _END_TAG.match(doc, i)
            if tag is None:   # pragma: no cover
                raise error(f"cannot locate </{name}> at byte {i}")
            node.tail_start, node.end = i, tag.end()

    def chars(data):
        if stack:
            stack[-1].text_parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.buffer_text = True
    try:
        parser.Parse(doc, True)
    except xml.parsers.expat.ExpatError as exc:
        raise error(f"the {what} is not well-formed XML ({exc})") from None
    if not root:
        raise error(f"the {what} has no root element")
    return root[0]


def leading_space(doc: bytes, index: int) -> int:
    """Start of the run of whitespace that ends at ``index``."""
    i = index
    while i > 0 and doc[i - 1:i] in (b" ", b"\t", b"\n", b"\r"):
        i -= 1
    return i


def indent_of(doc: bytes, node: Node) -> str:
    """The whitespace before ``node`` on its line ('' when it is not first on its line)."""
    i = leading_space(doc, node.start)
    run = doc[i:node.start].decode()
    return run.rsplit("\n", 1)[-1] if "\n" in run else ""


def line_start(doc: bytes, index: int) -> int | None:
    """Start of ``index``'s line when only spaces and tabs stand before ``index`` on it, else None
    (something else precedes it on its line: an insertion there must go inline)."""
    i = index
    while i > 0 and doc[i - 1] in (0x20, 0x09):
        i -= 1
    if i == 0 or doc[i - 1] == 0x0A:
        return i
    return None


def line_indent(doc: bytes, index: int) -> str | None:
    """The spaces and tabs before ``index`` on its line, or None when anything else precedes it there."""
    start = line_start(doc, index)
    return None if start is None else doc[start:index].decode()


def removal(doc: bytes, node: Node) -> tuple[int, int, bytes]:
    """The edit that removes ``node``: its whole line(s), line end included, when it stands alone
    on them (so no blank line is left behind), else just its bytes."""
    start = line_start(doc, node.start)
    j = node.end
    while j < len(doc) and doc[j] in (0x20, 0x09, 0x0D):
        j += 1
    if start is not None and (j == len(doc) or doc[j] == 0x0A):
        return (start, min(j + 1, len(doc)), b"")
    return (node.start, node.end, b"")


def newline_of(doc: bytes) -> str:
    return "\r\n" if b"\r\n" in doc[:4096] else "\n"


def splice(doc: bytes, edits: list[tuple[int, int, bytes]], error: type[Exception] = ValueError) -> bytes:
    """Replace each ``[start, end)`` with its bytes (non-overlapping; any order).

    Edits at the same place (equal start and end: several insertions at one point) go in
    in the order given, so a patcher lists its blocks in the order they must read.
    """
    out = []
    pos = 0
    for start, end, data in sorted(edits, key=lambda e: (e[0], e[1])):     # stable: ties keep their order
        if start < pos:
            raise error("overlapping edits (internal error)")
        out.append(doc[pos:start])
        out.append(data)
        pos = end
    out.append(doc[pos:])
    return b"".join(out)


def text(value) -> str:
    """Element text, escaped."""
    return escape(str(value))


def attr(value) -> str:
    """An attribute value with its quotes, escaped (newlines and tabs kept as character references)."""
    return quoteattr(str(value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


__all__ = ["Node", "parse", "splice", "removal", "leading_space", "indent_of", "line_start", "line_indent",
           "newline_of", "text", "attr"]
