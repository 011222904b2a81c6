"""multipart/form-data parsing, transforming and encoding for request-transformer."""

from __future__ import annotations

from sekisho.plugins.request_transformer.multipart import boundary_of, encode, parse, transform
from sekisho.plugins.request_transformer.templates import lookup_in
from sekisho.plugins.request_transformer.transform import Operations, parse_entries

BOUNDARY = "XyZ"
BODY = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="keep"\r\n\r\n'
    b"1\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="drop"\r\n\r\n'
    b"2\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"file\r\nbody--with-dashes\r\n"
    b"--XyZ--\r\n"
)


def test_boundary_from_content_type() -> None:
    assert boundary_of("multipart/form-data; boundary=XyZ") == "XyZ"
    assert boundary_of('multipart/form-data; charset=utf-8; boundary="a b"') == "a b"
    assert boundary_of("multipart/form-data") is None


def test_round_trip_keeps_bytes() -> None:
    parts = parse(BODY, BOUNDARY)
    assert parts is not None and [p.name for p in parts] == ["keep", "drop", "upload"]
    assert parts[2].is_file and parts[2].content == b"file\r\nbody--with-dashes"
    assert encode(parts, BOUNDARY) == BODY


def test_malformed_bodies_are_left_alone() -> None:
    assert parse(b"not multipart", BOUNDARY) is None
    assert parse(BODY.replace(b"--XyZ--\r\n", b""), BOUNDARY) is None


def test_operations() -> None:
    parts = parse(BODY, BOUNDARY)
    assert parts is not None
    ops = Operations(
        remove=parse_entries(["drop"], names_only=True),
        rename=parse_entries(["upload:document"]),
        replace=parse_entries(["keep:one", "document:not-for-files"]),
        add=parse_entries(["keep:ignored", "source:gateway"]),
        append=parse_entries(["tag:x"]),
    )
    assert transform(parts, ops, lambda t: t.render(lookup_in({})))
    assert [p.name for p in parts] == ["keep", "document", "source", "tag"]
    assert parts[0].content == b"one" and parts[1].content == b"file\r\nbody--with-dashes"
    assert b'filename="a.txt"' in parts[1].head
    reparsed = parse(encode(parts, BOUNDARY), BOUNDARY)
    assert reparsed is not None and [(p.name, p.content) for p in reparsed][2:] == [
        ("source", b"gateway"),
        ("tag", b"x"),
    ]
