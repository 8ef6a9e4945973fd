"""Reading JSON, JSON Lines and SSE by content; every unreadable line is an input error of its own line."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from runfsm.validate import InputError
from runfsm.validate._reader import Bad, Event, Record, SSEDecoder, coerce, loads, loads_lenient, read_bytes

RUN = {"object": "thread.run", "id": "run_1", "status": "queued"}


def items(data: bytes) -> list[Record | Event | Bad]:
    return list(read_bytes(data, "f"))


def kinds(data: bytes) -> list[tuple[str, int | None]]:
    out = []
    for it in items(data):
        if isinstance(it, Bad):
            out.append((it.error.code, it.error.line))
        else:
            out.append((type(it).__name__, it.line))
    return out


def test_pretty_json_document() -> None:
    text = json.dumps(RUN, indent=2).encode()
    assert [(type(i).__name__, i.line) for i in items(b"\n\n" + text)] == [("Record", 3)]


def test_json_array_and_concatenated_documents() -> None:
    (arr,) = items(json.dumps([RUN, RUN]).encode())
    assert isinstance(arr, Record) and len(arr.value) == 2
    two = (json.dumps(RUN, indent=2) + "\n" + json.dumps(RUN, indent=2)).encode()
    assert kinds(two) == [("Record", 1), ("Record", 6)]


def test_json_lines_with_bad_lines_in_between() -> None:
    lines = [json.dumps(RUN), "{truncated", json.dumps(RUN) + "}", "\x00", json.dumps(RUN), "[1, 2", json.dumps(RUN)]
    got = kinds("\n".join(lines).encode())
    assert got == [("Record", 1), ("input.json", 2), ("input.json", 3), ("Record", 3), ("input.json", 4),
                   ("Record", 5), ("input.json", 6), ("Record", 7)]


def test_broken_pretty_documents_are_one_error_each() -> None:
    text = json.dumps(RUN, indent=2)[:-10].encode()
    assert kinds(text) == [("input.json", 4)]
    broken = json.dumps(RUN, indent=2).replace('"id"', "id")  # an unquoted key in the middle
    assert kinds((broken + "\n" + json.dumps(RUN, indent=2)).encode()) == [("input.json", 3), ("Record", 6)]


def test_undecodable_lines_and_line_endings() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(RUN).encode() + b"\r\n\xff\xfe\r\n" + json.dumps(RUN).encode() + b"\r"
    assert kinds(data) == [("Record", 1), ("input.encoding", 2), ("Record", 3)]


def test_numbers_too_large_and_nesting_too_deep() -> None:
    huge = b'{"object": "thread.run", "created_at": 1' + b"0" * 6000 + b"}"
    deep = b"[" * 100_000 + b"]" * 100_000
    got = kinds(huge + b"\n" + deep + b"\n" + json.dumps(RUN).encode())
    assert got == [("input.json", 1), ("input.json", 2), ("Record", 3)]
    problems = [i.error.reason for i in items(huge + b"\n" + deep) if isinstance(i, Bad)]
    assert "too large" in problems[0] and "nested too deeply" in problems[1]


def test_sse_is_recognised_by_content() -> None:
    text = b": keep-alive\nevent: thread.run.created\ndata: {\"a\":\ndata: 1}\nid: 7\n\nevent: done\ndata: [DONE]\n"
    got = items(text)
    assert got == [Event("thread.run.created", '{"a":\n1}', 3), Event("done", "[DONE]", 8)]


def test_sse_bad_lines_and_the_lost_data_prefix() -> None:
    text = b"event: a\n...\ndata: {}\n\nevent: b\n{\"x\": 1}\n\nevent: c\n\nretry: x\nnonsense: y\n"
    got = kinds(text)
    assert got == [("input.sse", 2), ("Event", 3), ("input.sse", 6), ("Event", 6), ("Event", 8),
                   ("input.sse", 11)]
    events = [i for i in items(text) if isinstance(i, Event)]
    assert events[1].data == '{"x": 1}' and events[2].data is None


def test_an_event_whose_data_line_was_bad_is_flagged() -> None:
    (bad, ev) = items(b"event: a\ndata: \xff\n\n")
    assert isinstance(bad, Bad) and bad.error.code == "input.encoding"
    assert isinstance(ev, Event) and ev.flagged and ev.data is None


@given(st.lists(st.integers(1, 40), max_size=30))
def test_incremental_sse_equals_whole_parse(cuts: list[int]) -> None:
    text = ("event: thread.run.created\r\ndata: {\"id\": \"r\"}\r\n\r\nevent: done\ndata: [DONE]\n\n"
            "...\nevent: x\ndata: é\r\n\r\n").encode()
    whole = list(read_bytes(text, "s"))
    decoder = SSEDecoder("s")
    got: list[object] = []
    pos = 0
    for c in cuts:
        got += decoder.feed_bytes(text[pos:pos + c])
        pos += c
    got += decoder.feed_bytes(text[pos:])
    got += decoder.close()
    assert [repr(g) for g in got] == [repr(w) for w in whole]


def test_loads_and_coerce() -> None:
    assert loads(b'{"a": 1}') == {"a": 1}
    value, warn = loads_lenient('{"a": 1}}')
    assert value == {"a": 1} and warn is not None and "read anyway" in warn.reason
    for text in ("[1]]", "nope", ""):
        try:
            loads_lenient(text, source="x", line=2)
        except InputError as exc:
            assert exc.line == 2 and exc.source == "x"
        else:
            raise AssertionError(text)

    class Model:
        def model_dump(self) -> dict[str, int]:
            return {"a": 1}

    class Broken:
        def model_dump(self) -> None:
            raise ValueError("no")

    assert coerce(Model()) == {"a": 1}
    for bad in (Broken(), object(), 3):
        try:
            coerce(bad)
        except InputError as exc:
            assert exc.code == "input.type"
        else:
            raise AssertionError(bad)


def test_a_line_that_never_ends_is_cut(monkeypatch: object) -> None:
    import runfsm.validate._reader as reader

    monkeypatch.setattr(reader, "MAX_LINE", 100)  # type: ignore[attr-defined]
    decoder = SSEDecoder("s")
    got = decoder.feed_bytes(b"event: a\ndata: " + b"x" * 150)
    got += decoder.feed_bytes(b"y" * 50 + b"\n\nevent: done\ndata: [DONE]\n\n")
    got += decoder.close()
    assert [type(g).__name__ for g in got] == ["Bad", "Event", "Event"]
    assert got[1] == Event("a", None, 1, True) and got[2].name == "done"
