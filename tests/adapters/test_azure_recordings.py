"""``runfsm validate`` reads the Azure SDK test proxy's recordings (``{"Entries": [...]}``) as they are."""

from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runfsm._cli import main as runfsm_main
from runfsm.validate import validate_paths

RECORDING = Path(__file__).parents[1] / "data" / "azure" / "session.json"
RUN = "run_h73B9wRCAnqvH6lbf4ZYlUPk"


def _load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORDING.read_text())
    return data


def _write(tmp_path: Path, document: Any, name: str = "rec.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return path


def _stream_entry(data: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in data["Entries"] if isinstance(e["ResponseBody"], str))


def test_the_fixture_is_what_the_recording_script_writes() -> None:
    pytest.importorskip("azure.ai.agents")
    import importlib.util

    spec = importlib.util.spec_from_file_location("azure_record", RECORDING.parent / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert json.dumps(module.record(), indent=2, ensure_ascii=False) + "\n" == RECORDING.read_text()


def test_a_recorded_session_is_validated_entry_by_entry() -> None:
    report = validate_paths(RECORDING)
    assert report.histories[RUN] == ["queued", "in_progress", "requires_action", "queued", "in_progress",
                                     "completed"]
    streamed = [k for k in report.histories if k != RUN]
    assert [report.histories[k] for k in streamed] == [["queued", "in_progress", "completed"]]
    # the one error: the session cancels a finished run, and the service refused it
    assert [f.code for f in report.errors] == ["client.cancel_terminal"]
    assert report.errors[0].source is not None and "entry 13: POST" in report.errors[0].source


def test_without_the_refused_cancel_it_is_clean(tmp_path: Path) -> None:
    data = _load()
    data["Entries"] = [e for e in data["Entries"] if e["StatusCode"] != 400]
    report = validate_paths(_write(tmp_path, data))
    assert report.ok and not report.input_errors and len(report.histories) == 2


def test_a_run_going_back_in_a_recording_is_an_error(tmp_path: Path) -> None:
    data = _load()
    polls = [e for e in data["Entries"] if e["RequestMethod"] == "GET" and e["RequestUri"].split("?")[0].endswith(RUN)]
    late = copy.deepcopy(polls[-1])
    late["ResponseBody"]["status"] = "in_progress"
    late["ResponseBody"]["completed_at"] = None
    data["Entries"].append(late)
    report = validate_paths(_write(tmp_path, data))
    assert "run.terminal_left" in [f.code for f in report.errors if f.object_id == RUN]


@pytest.mark.parametrize("form", ["lines", "base64"])
def test_an_sse_body_as_lines_or_base64_reads_the_same(tmp_path: Path, form: str) -> None:
    data = _load()
    entry = _stream_entry(data)
    text = entry["ResponseBody"]
    entry["ResponseBody"] = text.splitlines(keepends=True) if form == "lines" else base64.b64encode(
        text.encode()).decode()
    assert validate_paths(_write(tmp_path, data)).histories == validate_paths(RECORDING).histories


def test_a_json_body_recorded_as_text_is_read(tmp_path: Path) -> None:
    data = _load()
    for entry in data["Entries"]:
        if isinstance(entry["ResponseBody"], dict):
            entry["ResponseBody"] = json.dumps(entry["ResponseBody"])
    assert validate_paths(_write(tmp_path, data)).histories == validate_paths(RECORDING).histories


def test_a_cut_stream_is_noted_not_an_error(tmp_path: Path) -> None:
    data = _load()
    entry = _stream_entry(data)
    text = entry["ResponseBody"]
    entry["ResponseBody"] = text[: text.rindex("\n\n", 0, len(text) // 2) + 2]  # cut between two events
    report = validate_paths(_write(tmp_path, data))
    assert not report.input_errors and [f.code for f in report.errors] == ["client.cancel_terminal"]
    assert any(f.severity == "info" for f in report.findings)


@pytest.mark.parametrize(("document", "words"), [
    ('{"Entries": [{"RequestUri": ', "not valid JSON"),
    ('{"Entries": {"a": 1}}', 'no list under "Entries"'),
    ('{"Entries": [7]}', "entry 1: not an object but int"),
    ('{"Entries": [{"RequestUri": 3, "RequestMethod": "GET", "StatusCode": 200}]}', "entry 1: RequestUri"),
    ('{"Entries": [{"RequestUri": "https://h/threads/t", "RequestMethod": "GET", "StatusCode": "200"}]}',
     "StatusCode must be a whole number"),
    ('{"Entries": [{"RequestUri": "https://h/threads/t", "RequestMethod": "GET", "StatusCode": 200, '
     '"ResponseBody": 12}]}', "neither JSON, text nor base64"),
    ('{"Entries": [{"RequestUri": "https://h/threads/t", "RequestMethod": "GET", "StatusCode": 200, '
     '"ResponseBody": "{not json"}]}', "is not JSON"),
])
def test_a_malformed_recording_is_an_input_finding(tmp_path: Path, document: str, words: str) -> None:
    report = validate_paths(_write(tmp_path, document))
    assert [f.code for f in report.findings] == ["input.recording"]
    assert words in report.findings[0].message


def test_an_empty_recording_is_empty_unless_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path, {"Entries": [], "Variables": {}})
    assert validate_paths(path).codes() == ["input.empty"]
    assert validate_paths(path, allow_empty=True).codes() == []


def test_a_recording_not_utf8_is_an_input_finding(tmp_path: Path) -> None:
    path = tmp_path / "rec.json"
    path.write_bytes(b'{"Entries": ["\xff"]}')
    assert validate_paths(path).codes() == ["input.recording"]


def test_the_cli_reads_recordings_with_other_files_and_in_parallel(tmp_path: Path) -> None:
    malformed = _write(tmp_path, '{"Entries": [1, 2', "bad.json")
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = runfsm_main(["validate", "--jobs", "2", str(RECORDING), str(malformed)])
    text = out.getvalue()
    assert code == 2 and "client.cancel_terminal" in text and "input.recording" in text
    assert "Traceback" not in text


def test_the_docs_table_is_the_profile_data() -> None:
    from runfsm.azure_profile import FACTS, GRADES

    doc = (Path(__file__).parents[2] / "docs" / "azure.md").read_text()
    rows = [line for line in doc.splitlines() if line.startswith("| ") and line.count("`") == 2]
    got = [(r.split(" | ")[0][2:], r.split("`")[1]) for r in rows if r.split("`")[1] in GRADES]
    assert got == [(f.topic, f.grade) for f in FACTS]


def _entry(**fields: Any) -> dict[str, Any]:
    return {"RequestUri": "https://x/api/projects/p/threads/thread_1/runs/run_1?api-version=v1",
            "RequestMethod": "GET", "StatusCode": 200, "ResponseHeaders": {}, "ResponseBody": None, **fields}


@pytest.mark.parametrize(("entry", "code"), [
    (_entry(StatusCode=400, ResponseBody="[" * 100_000 + "]" * 100_000), None),  # a refusal body nested past reading
    (_entry(RequestUri="http://[::1/threads"), "input.recording"),  # an unreadable URI
    (_entry(ResponseHeaders={"Content-Type": "text/event-stream"},
            ResponseBody="event: thread.run.created\ndata: \ud800\n\n"), "input."),  # a lone surrogate in SSE
    (_entry(ResponseHeaders={"Content-Type": "text/event-stream"}, ResponseBody=["data: \ud800\n", "\n"]), "input."),
])
def test_hostile_entries_are_findings_never_tracebacks(tmp_path: Path, entry: dict[str, Any], code: str | None) -> None:
    report = validate_paths(_write(tmp_path, {"Entries": [entry]}))
    if code is None:  # an unreadable refusal body is no refusal: nothing to report
        assert report.findings == []
    else:
        assert report.findings and report.findings[0].code.startswith(code), report.codes()
        assert all(f.code.startswith(("input.", "stream.")) for f in report.findings), report.codes()


def test_an_empty_body_is_what_the_recorder_writes_for_no_bytes(tmp_path: Path) -> None:
    for body in ([], ""):
        report = validate_paths(_write(tmp_path, {"Entries": [_entry(StatusCode=204, ResponseBody=body)]}))
        assert report.findings == [], (body, report.codes())


@pytest.mark.parametrize("form", ["lines", "base64"])
def test_a_refusal_recorded_as_lines_or_base64_is_recognised(tmp_path: Path, form: str) -> None:
    text = json.dumps({"error": {"message": "Cannot cancel run with status 'completed'.",
                                 "type": "invalid_request_error", "param": None, "code": None}})
    body: Any = [text] if form == "lines" else base64.b64encode(text.encode()).decode()
    report = validate_paths(_write(tmp_path, {"Entries": [_entry(StatusCode=400, ResponseBody=body)]}))
    assert report.codes() == ["client.cancel_terminal"]


# --- which entries count, how headers and bodies are read, how much is read --------------------------


def test_only_entries_whose_path_is_under_threads_are_checked(tmp_path: Path) -> None:
    data = _load()
    outside = next(e for e in data["Entries"] if "/threads" not in e["RequestUri"])
    outside["ResponseBody"] = "{not json"  # unread: the entry is not API traffic the validator checks
    assert validate_paths(_write(tmp_path, data)).codes() == ["client.cancel_terminal"]
    # "/threads" in the query string is not in the path
    alone = _entry(RequestUri="https://x/api/projects/p/assistants?after=/threads/thread_1", ResponseBody="{not json")
    path = _write(tmp_path, {"Entries": [alone]})
    assert validate_paths(path).codes() == ["input.empty"]  # nothing was checked
    assert validate_paths(path, allow_empty=True).codes() == []
    assert validate_paths(_write(tmp_path, {"Entries": [_entry(ResponseBody="{not json")]})).codes() == [
        "input.recording"]


def _keepalive_stream(data: dict[str, Any], content_type: Any) -> dict[str, Any]:
    """The recorded stream, opened by an SSE comment so that only its content type says it is a stream."""
    entry = _stream_entry(data)
    entry["ResponseBody"] = ": keep-alive\n\n" + entry["ResponseBody"]
    if content_type is None:
        del entry["ResponseHeaders"]["Content-Type"]
    else:
        entry["ResponseHeaders"]["Content-Type"] = content_type
    return data


@pytest.mark.parametrize("content_type", ["text/event-stream; charset=utf-8", "Text/Event-Stream",
                                          ["text/event-stream"], ["text/event-stream", "charset=utf-8"]])
def test_an_sse_body_is_recognised_by_its_content_type_alone(tmp_path: Path, content_type: Any) -> None:
    report = validate_paths(_write(tmp_path, _keepalive_stream(_load(), content_type)))
    assert report.histories == validate_paths(RECORDING).histories
    assert report.codes() == ["client.cancel_terminal"]


def test_without_its_content_type_such_a_body_is_not_json(tmp_path: Path) -> None:
    report = validate_paths(_write(tmp_path, _keepalive_stream(_load(), None)))
    assert [f.code for f in report.input_errors] == ["input.recording"]
    assert "entry 12: ResponseBody of POST" in report.input_errors[0].message
    assert "is not JSON" in report.input_errors[0].message


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",))), max_size=4),
       st.sampled_from(["Content-Type", "content-type", "CONTENT-TYPE"]))
def test_a_header_recorded_as_a_list_is_its_values_joined(values: list[str], name: str) -> None:
    from runfsm.validate._recordings import _header

    assert _header({"x-other": "no", name: values}, "content-type") == ",".join(values)
    assert _header({name: "text/plain"}, "content-type") == "text/plain"
    assert _header({"x-other": "no"}, "content-type") == _header(None, "content-type") == ""


def test_a_recording_past_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    from runfsm.validate._recordings import MAX_RECORDING

    path = tmp_path / "huge.json"
    with open(path, "wb") as f:  # sparse: the size is all that is looked at
        f.write(b'{"Entries": [')
        f.truncate(MAX_RECORDING + 1)
    report = validate_paths(path)
    assert report.codes() == ["input.recording"]
    assert f"{MAX_RECORDING + 1} bytes, more than the {MAX_RECORDING} read" in report.findings[0].message


def test_the_size_limit_is_inclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runfsm.validate import _recordings

    size = RECORDING.stat().st_size
    monkeypatch.setattr(_recordings, "MAX_RECORDING", size)
    assert validate_paths(RECORDING).codes() == ["client.cancel_terminal"]  # exactly the limit: read
    monkeypatch.setattr(_recordings, "MAX_RECORDING", size - 1)
    report = validate_paths(RECORDING)
    assert report.codes() == ["input.recording"] and not report.histories
    assert f"{size} bytes, more than the {size - 1} read" in report.findings[0].message


# Each kind of entry, and whether it counts as checked: an entry under /threads the reader judged
# (whatever it found), not one outside the API's paths nor one it could not read.
_KINDS: dict[str, tuple[dict[str, Any] | int, bool]] = {
    "polled": (_entry(ResponseBody={"object": "thread", "id": "thread_1", "created_at": 1_700_000_000,
                                    "metadata": {}, "tool_resources": {}}), True),
    "no_bytes": (_entry(StatusCode=204, ResponseBody=""), True),
    "server_error": (_entry(StatusCode=500, ResponseBody={"error": {"message": "boom"}}), True),
    "refused": (_entry(StatusCode=400, ResponseBody={"error": {"message": "Cannot cancel run with status 'completed'.",
                                                               "type": "invalid_request_error"}}), True),
    "streamed": (_entry(ResponseHeaders={"Content-Type": "text/event-stream"}, ResponseBody="data: [DONE]\n\n"), True),
    "outside": (_entry(RequestUri="https://x/api/projects/p/assistants?api-version=v1", ResponseBody={}), False),
    "not_an_object": (7, False),
    "no_status": (_entry(StatusCode=None), False),
    "unreadable_body": (_entry(ResponseBody=12), False),
    "not_json": (_entry(ResponseBody="{not json"), False),
}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(_KINDS)), max_size=12))
def test_the_count_returned_is_the_entries_checked(tmp_path: Path, kinds: list[str]) -> None:
    from runfsm.validate import Tracker
    from runfsm.validate._recordings import feed_recording

    path = _write(tmp_path, {"Entries": [_KINDS[k][0] for k in kinds]})
    assert feed_recording(Tracker(), path, "rec") == sum(_KINDS[k][1] for k in kinds)


def test_the_size_limit_is_the_one_documented() -> None:
    from runfsm.validate._recordings import MAX_RECORDING

    doc = " ".join((Path(__file__).parents[2] / "docs" / "azure.md").read_text().split())
    assert f"one of more than {MAX_RECORDING // 2**20} MiB is an `input.recording` finding" in doc
    assert MAX_RECORDING % 2**20 == 0
