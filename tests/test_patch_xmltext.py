"""The byte-span XML map every patcher (FCP7, FCPX, Kdenlive) edits documents with.

The story: a patcher parses the editor's document once, then inserts and removes text
at element boundaries; what it does not touch must stay byte for byte. These are the
shared rules it relies on: where an element is, how a removal leaves no blank line, in
which order insertions at one point go in, and which error a bad document raises.
"""

from __future__ import annotations

import pytest

from scenefill.plugin.otio_common import OtioInputError
from scenefill.plugin.patch import xmltext

DOC = b'<root>\n  <a x="1>2">text</a>\n  <b/> <c/>\n</root>\n'


def test_element_spans_are_byte_offsets_into_the_original():
    root = xmltext.parse(DOC)
    a, b, c = root.children
    assert DOC[a.start:a.end] == b'<a x="1>2">text</a>'
    assert DOC[a.head_end:a.tail_start] == b"text" and a.text == "text"
    assert b.self_closing and b.tail_start == b.end == b.head_end and DOC[b.start:b.end] == b"<b/>"


def test_a_removal_takes_a_lone_element_with_its_line_and_leaves_a_shared_line_alone():
    root = xmltext.parse(DOC)
    a, b, c = root.children
    assert xmltext.splice(DOC, [xmltext.removal(DOC, a)]) == b"<root>\n  <b/> <c/>\n</root>\n"
    assert xmltext.splice(DOC, [xmltext.removal(DOC, b)]) == b"<root>\n  <a x=\"1>2\">text</a>\n   <c/>\n</root>\n"
    crlf = DOC.replace(b"\n", b"\r\n")
    a = xmltext.parse(crlf).children[0]
    assert xmltext.splice(crlf, [xmltext.removal(crlf, a)]) == b"<root>\r\n  <b/> <c/>\r\n</root>\r\n"


def test_line_indent_tells_a_line_of_its_own_from_an_inline_position():
    root = xmltext.parse(DOC)
    a, b, c = root.children
    assert xmltext.line_indent(DOC, a.start) == "  "
    assert xmltext.line_start(DOC, a.start) == a.start - 2
    assert xmltext.line_indent(DOC, c.start) is None         # <b/> precedes it on its line
    assert xmltext.line_indent(DOC, 0) == ""


def test_insertions_at_one_point_go_in_in_the_order_given():
    root = xmltext.parse(DOC)
    at = root.tail_start
    out = xmltext.splice(DOC, [(at, at, b"<first/>"), (root.children[0].start, root.children[0].end, b"<A/>"),
                               (at, at, b"<second/>")])
    assert out == b'<root>\n  <A/>\n  <b/> <c/>\n<first/><second/></root>\n'


def test_overlapping_edits_raise_the_callers_error():
    class PatcherError(ValueError):
        pass

    with pytest.raises(PatcherError, match="overlapping"):
        xmltext.splice(DOC, [(0, 10, b""), (5, 12, b"")], PatcherError)


def test_a_bad_document_raises_one_line_of_the_callers_error_class_naming_the_document():
    class PatcherError(ValueError):
        pass

    with pytest.raises(OtioInputError, match="the XML document is not well-formed"):
        xmltext.parse(b"<a>")
    with pytest.raises(PatcherError, match="^the project is not well-formed XML"):
        xmltext.parse(b"<a><b></a>", "project", PatcherError)
    with pytest.raises(PatcherError, match="encoded as ISO-8859-1"):
        xmltext.parse(b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>', "project", PatcherError)


def test_a_patcher_may_read_its_format_through_its_own_node_class():
    class Named(xmltext.Node):
        def named(self, name: str) -> str:
            return next((c.text for c in self.children if c.attrs.get("name") == name), "")

    root = xmltext.parse(b'<mlt><property name="x">1</property><p><property name="y">2</property></p></mlt>',
                         node_class=Named)
    assert root.named("x") == "1" and root.children[1].named("y") == "2"
    assert all(isinstance(n, Named) for n in root.iter())
