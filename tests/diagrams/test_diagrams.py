"""Diagrams: drawn from the spec only, encoded as the legend says, fresh in diagrams/, overlays that count."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs

import runfsm
from runfsm import _cli as cli
from runfsm import spec
from runfsm._machine import build_machine, machine_config
from runfsm.diagrams import (
    COMBINED,
    DIAGRAMS,
    FORMATS,
    DiagramError,
    RenderError,
    TraceError,
    diagram_names,
    main,
    render,
    to_dot,
    to_mermaid,
    write_all,
)
from runfsm.diagrams import _style as st
from runfsm.diagrams._dot import columns, edge_groups
from runfsm.diagrams._overlay import Overlay, overlay_from_moves, safe_name
from runfsm.diagrams._render import find_renderer
from runfsm.lifecycle import Lifecycle, profile

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "diagrams"
KINDS = ("run", "run_step", "message")
VERSIONS = spec.VERSIONS


def _has_pure() -> bool:
    try:
        find_renderer("pure")
    except RenderError:
        return False
    return True


needs_pure = pytest.mark.skipif(not _has_pure(), reason="graphviz-pure is not installed (pip install 'runfsm[diagrams]')")

# --- reading the emitted text back --------------------------------------------------

_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$')
_NODE = re.compile(r'^\s*"([^"]+)" \[(.*)\];$')
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*?>(?=, \w+=|$))')


def _attrs(text: str) -> dict[str, str]:
    return {k: v[1:-1].replace('\\"', '"').replace("\\\\", "\\") if v.startswith('"') else v
            for k, v in _ATTR.findall(text)}


def dot_edges(dot: str, prefix: str = "") -> dict[tuple[str, str], list[dict[str, str]]]:
    """(source, dest) -> attributes of each drawn edge, leaving out the initial marker's arrow."""
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    for line in dot.splitlines():
        m = _EDGE.match(line)
        if m and m.group(1).startswith(prefix) and "__initial__" not in m.group(1):
            if m.group(1).startswith("legend"):
                continue
            key = (m.group(1)[len(prefix):], m.group(2)[len(prefix):])
            out.setdefault(key, []).append(_attrs(m.group(3)))
    return out


def dot_triples(dot: str, prefix: str = "") -> set[tuple[str, str, str]]:
    """(source, dest, trigger) for every trigger named on a drawn edge."""
    return {
        (s, d, trig)
        for (s, d), edges in dot_edges(dot, prefix).items()
        for a in edges
        for trig in a["label"].split("\\n")
    }


def dot_nodes(dot: str) -> dict[str, dict[str, str]]:
    return {m.group(1): _attrs(m.group(2)) for line in dot.splitlines() if (m := _NODE.match(line))}


def machine_triples(lc: Lifecycle) -> set[tuple[str, str, str]]:
    """(source, dest, trigger) of the ``transitions`` machine built from the same spec."""
    machine = build_machine(lc, model=None)
    return {
        (src, t.dest, name)
        for name, event in machine.events.items()
        for src, ts in event.transitions.items()
        for t in ts
    }


# --- drawn from the spec, and only from it -------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_dot_edges_equal_the_transitions_machine_built_from_the_spec(kind: str, version: str) -> None:
    lc = profile(version).lifecycle(kind)
    drawn = dot_triples(to_dot(kind, version=version))
    assert drawn == machine_triples(lc)
    assert drawn == {(t.source, t.dest, t.trigger) for t in lc.transitions}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_dot_edges_equal_the_graph_machine_of_transitions(kind: str, version: str) -> None:
    """transitions' own diagram of the machine has the same arrows (and really is Graphviz, not Mermaid)."""
    pytest.importorskip("graphviz")
    from transitions.extensions import GraphMachine

    lc = profile(version).lifecycle(kind)
    graph = GraphMachine(model="self", graph_engine="graphviz", **machine_config(lc)).get_graph()
    assert type(graph).__module__.startswith("graphviz"), "transitions fell back to another graph engine"
    theirs = set()
    for src, dst, label in re.findall(r"^\s*(\w+) -> (\w+) \[label=\"?([^\"\]]*)\"?\]", graph.source, re.M):
        theirs |= {(src, dst, trig.strip()) for trig in label.split("|")}
    assert theirs and dot_triples(to_dot(kind, version=version)) == theirs


@pytest.mark.parametrize("version", VERSIONS)
def test_combined_view_holds_the_run_and_the_step_lifecycles(version: str) -> None:
    p = profile(version)
    dot = to_dot(COMBINED, version=version)
    for lc in (p.run, p.run_step):
        assert dot_triples(dot, lc.kind + ".") == machine_triples(lc)
        nodes = {n[len(lc.kind) + 1:] for n in dot_nodes(dot) if n.startswith(lc.kind + ".")}
        assert nodes - {"__initial__"} == set(lc.statuses)
    mermaid = to_mermaid(COMBINED, version=version)
    assert mermaid_triples(mermaid, "run_step_") == machine_triples(p.run_step)


def mermaid_triples(text: str, prefix: str = "") -> set[tuple[str, str, str]]:
    out = set()
    for src, dst, label in re.findall(r"^\s*(\w+) --> (\w+): (.+)$", text, re.M):
        if not (src.startswith(prefix) and dst.startswith(prefix)):
            continue
        for trig in label.removesuffix(" (inferred)").split(" / "):
            out.add((src[len(prefix):], dst[len(prefix):], trig))
    return out


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_mermaid_edges_markers_and_classes_follow_the_spec(kind: str, version: str) -> None:
    lc = profile(version).lifecycle(kind)
    text = to_mermaid(kind, version=version)
    assert text.splitlines()[3] == "stateDiagram-v2"
    assert "    direction LR" in text.splitlines()
    assert mermaid_triples(text) == machine_triples(lc)
    inferred = {(t.source, t.dest) for t in lc.transitions if t.inferred}
    for src, dst, label in re.findall(r"^\s*(\w+) --> (\w+): (.+)$", text, re.M):
        assert label.endswith("(inferred)") == ((src, dst) in inferred)
    assert re.findall(r"\[\*\] --> (\w+)", text) == [lc.initial]
    assert set(re.findall(r"(\w+) --> \[\*\]", text)) == set(lc.terminal)
    classes = {name: set(ids.split(", ")) for ids, name in re.findall(r"^\s*class (.+) (\w+)$", text, re.M)}
    assert classes["terminal"] == set(lc.terminal)
    assert classes.get("paused", set()) == set(lc.paused)
    assert classes["active"] == set(lc.active) - set(lc.paused)


def test_v1_draws_no_incomplete_and_v2_does() -> None:
    for fn in (to_dot, to_mermaid):
        assert "incomplete" not in fn("run", version="v1")
        assert "incomplete" in fn("run", version="v2")
    assert "run_out_of_tokens" not in to_dot("message", version="v1")
    assert diagram_names("v1")["run"] != diagram_names("v2")["run"]
    assert len(set(diagram_names("v1").values()) | set(diagram_names("v2").values())) == 2 * len(DIAGRAMS)


# --- the visual encoding --------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_encoding_initial_terminal_active_actor_inferred(kind: str, version: str) -> None:
    lc = profile(version).lifecycle(kind)
    dot = to_dot(kind, version=version)
    nodes = dot_nodes(dot)
    for s in lc.order:
        assert (nodes[s].get("peripheries") == "2") == (s in lc.terminal), s  # double border = terminal
    start = [e for e in dot.splitlines() if "__initial__" in e and "->" in e]
    assert len(start) == 1 and f'-> "{lc.initial}"' in start[0]  # the initial status is marked
    # The active statuses, and only they, sit in the active cluster; terminals share the last column.
    cluster = dot[dot.index('subgraph "cluster_active"'):]
    cluster = cluster[: cluster.index("\n  }\n")]
    assert {n for n in lc.order if f'"{n}" [' in cluster} == set(lc.active)
    assert sorted(s for col in columns(lc) for s in col) == sorted(lc.active)
    assert columns(lc)[0] == [lc.initial]
    for (src, dst), edges in dot_edges(dot).items():
        for a in edges:
            group = next(g for g in edge_groups(lc) if (g.source, g.dest) == (src, dst)
                         and set(g.triggers) == set(a["label"].split("\\n")))
            style = st.ACTOR_STYLES[group.actor]
            if group.inferred:
                assert a["style"] == "dotted" and a["color"] == st.faded(style.color)
            else:
                assert a["style"] == style.style and a["color"] == style.color
            assert a["label"]  # every edge names its trigger(s)


def test_actor_styles_tell_every_actor_apart_and_cover_the_spec() -> None:
    assert set(st.ACTOR_STYLES) == set(spec.ACTORS)
    looks = {(s.color, s.style) for s in st.ACTOR_STYLES.values()}
    assert len(looks) == len(spec.ACTORS)
    assert all(s.style != st.INFERRED_STYLE for s in st.ACTOR_STYLES.values())


@pytest.mark.parametrize("name", DIAGRAMS)
def test_one_explicit_font_for_graph_nodes_and_edges(name: str) -> None:
    dot = to_dot(name)
    for what in ("graph", "node", "edge"):
        line = next(x for x in dot.splitlines() if x.strip().startswith(what + " ["))
        assert f'fontname="{st.FONT}"' in line


def test_legend_lists_only_what_the_diagram_contains() -> None:
    run, message_v1 = to_dot("run"), to_dot("message", version="v1")
    assert st.INFERRED_LEGEND in run and st.CLASS_LEGEND["paused"] in run
    assert st.INFERRED_LEGEND not in message_v1 and st.CLASS_LEGEND["paused"] not in message_v1
    assert st.ACTOR_STYLES["clock"].legend not in message_v1  # v1 messages only complete
    bare = to_dot("run", legend=False)
    assert st.INFERRED_LEGEND not in bare and st.ACTOR_STYLES["client"].legend not in bare
    assert "Run lifecycle (API v2)" in bare


def test_output_is_deterministic() -> None:
    for name in DIAGRAMS:
        assert to_dot(name) == to_dot(name)
        assert to_mermaid(name) == to_mermaid(name)


# --- committed files are fresh ----------------------------------------------------------


def _generate(out: Path, formats: list[str]) -> list[Path]:
    written: list[Path] = []
    for version in VERSIONS:
        written += write_all(out, formats=formats, version=version)
    written += write_all(out, formats=formats, protocol="responses")
    return written


def _compare(fresh: list[Path], exts: tuple[str, ...], note: str = "") -> None:
    stale = []
    for path in fresh:
        committed = COMMITTED / path.name
        if not committed.is_file() or committed.read_bytes() != path.read_bytes():
            stale.append(path.name)
    names = {p.name for p in fresh}
    extra = sorted(p.name for p in COMMITTED.glob("*") if p.suffix.lstrip(".") in exts and p.name not in names)
    assert not stale and not extra, (
        f"diagrams/ is stale (changed or missing: {stale}; no longer generated: {extra}). "
        "Regenerate with: runfsm diagram && runfsm diagram --version v1 && runfsm diagram --protocol responses" + note
    )


def test_committed_dot_and_mermaid_are_fresh(tmp_path: Path) -> None:
    _compare(_generate(tmp_path, ["dot", "mermaid"]), ("dot", "mmd"))


@needs_pure
def test_committed_svg_and_png_are_fresh(tmp_path: Path) -> None:
    """graphviz-pure writes the same bytes on every platform, so the images compare exactly."""
    exe = find_renderer("pure")
    version = subprocess.run([str(exe), "-V"], capture_output=True, text=True, check=False)
    note = f" (rendered here by {(version.stdout + version.stderr).strip()}; another release may lay out differently)"
    _compare(_generate(tmp_path, ["svg", "png"]), ("svg", "png"), note)


@needs_pure
def test_svg_shows_every_status_and_trigger_in_the_chosen_font() -> None:
    for version in VERSIONS:
        for kind in KINDS:
            lc = profile(version).lifecycle(kind)
            svg = render(to_dot(kind, version=version), "svg").decode()
            texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
            assert set(lc.statuses) <= texts
            assert set(lc.triggers) <= texts
            families = set(re.findall(r'font-family="([^"]+)"', svg))
            assert families and all(f.startswith(st.FONT) for f in families), families
            assert "Times" not in svg


@needs_pure
def test_png_is_a_png() -> None:
    data = render(to_dot("message"), "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"


# --- trace overlay ------------------------------------------------------------------------


def _walk(lc: Lifecycle, choices: list[int]) -> list[str]:
    """A path through ``lc`` from its initial status, choosing successors by index."""
    path = [lc.initial]
    for c in choices:
        nxt = sorted(lc.next_statuses(path[-1]))
        if not nxt:
            break
        path.append(nxt[c % len(nxt)])
    return path


@given(hs.sampled_from(VERSIONS), hs.lists(hs.integers(0, 10), max_size=25))
def test_overlay_counts_every_status_and_move_of_a_walk(version: str, choices: list[int]) -> None:
    lc = profile(version).run
    path = _walk(lc, choices)
    moves = [(a, b, True) for a, b in itertools.pairwise(path)]
    ov = overlay_from_moves(lc, "r", path, moves)
    assert ov.status_counts == Counter(path)
    assert ov.edge_counts == Counter(itertools.pairwise(path))
    assert not ov.jump_counts and not ov.illegal_counts
    dot = to_dot(lc, overlay=ov)
    nodes, edges = dot_nodes(dot), dot_edges(dot)
    for s in lc.order:
        n = ov.status_counts.get(s, 0)
        assert (nodes[s]["color"] == st.VISITED) == bool(n)
        assert nodes[s]["label"] == (f"{s}  ×{n}" if n else s)
    for (a, b), drawn in edges.items():
        n = ov.edge_counts.get((a, b), 0)
        assert (drawn[0]["color"] == st.VISITED) == bool(n)
        assert drawn[0]["label"].endswith(f"×{n}") == bool(n)


def test_overlay_draws_jumps_illegal_moves_and_unknown_statuses() -> None:
    lc = runfsm.RUN
    history = ["queued", "completed", "in_progress", "canceled"]
    moves = [("queued", "completed", True), ("completed", "in_progress", False), ("in_progress", "canceled", False)]
    ov = overlay_from_moves(lc, "run_1 from t.jsonl", history, moves)
    assert ov.jump_counts == {("queued", "completed"): 1}
    assert ov.illegal_counts == {("completed", "in_progress"): 1, ("in_progress", "canceled"): 1}
    dot = to_dot(lc, overlay=ov)
    edges = dot_edges(dot)
    illegal = edges[("completed", "in_progress")][-1]
    assert illegal["color"] == st.ILLEGAL and illegal["label"] == "illegal ×1"
    assert edges[("queued", "completed")][-1]["style"] == "dashed"
    unknown = dot_nodes(dot)["?canceled"]
    assert unknown["color"] == st.ILLEGAL and "unknown status" in unknown["label"]
    assert edges[("in_progress", "?canceled")][-1]["color"] == st.ILLEGAL
    assert st.OVERLAY_LEGEND["illegal"] in dot and "run_1 from t.jsonl" in dot
    mermaid = to_mermaid(lc, overlay=ov)
    assert "completed --> in_progress: ILLEGAL ×1" in mermaid
    assert "in_progress --> unknown_canceled: ILLEGAL ×1" in mermaid
    assert "class unknown_canceled illegal" in mermaid


@needs_pure
def test_overlay_with_odd_status_names_still_renders() -> None:
    lc = runfsm.RUN
    odd = 'we"ird\\ status:#1'
    ov = overlay_from_moves(lc, 'run "x"', ["queued", odd], [("queued", odd, False)])
    assert render(to_dot(lc, overlay=ov), "svg").startswith(b"<?xml")
    assert 'state "we_ird\\ status__1 ×1 (unknown status)"' in to_mermaid(lc, overlay=ov)


def test_safe_name() -> None:
    assert safe_name("run_abc123") == "run_abc123"
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("...") == "run"


def _run_record(run_id: str, status: str, created: int = 1_700_000_000) -> dict[str, object]:
    rec: dict[str, object] = dict.fromkeys(spec.RUN_KEYS)
    rec.update(id=run_id, object=spec.OBJECT_TYPES["run"], created_at=created, thread_id="thread_1",
               assistant_id="asst_1", status=status, model="gpt-4o", tools=[], metadata={})
    if status in runfsm.RUN.active:
        rec["expires_at"] = created + spec.RUN_DEADLINE_SECONDS
    if status != "queued":
        rec["started_at"] = created + 1
    if status == "requires_action":
        rec["required_action"] = {"type": spec.REQUIRED_ACTION_TYPE, "submit_tool_outputs": {"tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}
    if status == "completed":
        rec["completed_at"] = created + 5
    return rec


def _needs_validator() -> None:
    import runfsm.validate  # the overlay reads traces through the validator

    assert callable(runfsm.validate.validate_paths)


def test_trace_overlay_end_to_end_through_the_validator(tmp_path: Path) -> None:
    _needs_validator()
    trace = tmp_path / "trace.jsonl"
    statuses = ["queued", "in_progress", "requires_action", "queued", "in_progress", "completed", "in_progress"]
    lines = [json.dumps(_run_record("run_A", s)) for s in statuses]
    lines += [json.dumps(_run_record("run_B", s)) for s in ("queued", "in_progress", "completed")]
    trace.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    paths = write_all(out, formats=["dot", "mermaid"], trace=trace)
    assert sorted(p.name for p in paths) == sorted(
        f"trace-{r}.{ext}" for r in ("run_A", "run_B") for ext in ("dot", "mmd"))
    dot = (out / "trace-run_A.dot").read_text(encoding="utf-8")
    nodes, edges = dot_nodes(dot), dot_edges(dot)
    assert nodes["in_progress"]["label"] == "in_progress  ×3"
    assert nodes["requires_action"]["label"] == "requires_action  ×1"
    assert edges[("queued", "in_progress")][0]["label"] == "start  ×2"
    assert edges[("completed", "in_progress")][-1]["color"] == st.ILLEGAL  # completed is terminal
    assert nodes["cancelled"]["color"] == st.FADED
    b = dot_nodes((out / "trace-run_B.dot").read_text(encoding="utf-8"))
    assert b["completed"]["label"] == "completed  ×1" and b["requires_action"]["color"] == st.FADED
    v1 = write_all(out, formats=["dot"], trace=trace, version="v1")
    assert {p.name for p in v1} == {"trace-run_A-v1.dot", "trace-run_B-v1.dot"}


def test_trace_errors_are_runfsm_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TraceError, match="does not exist"):
        write_all(tmp_path, formats=["dot"], trace=tmp_path / "missing.jsonl")
    assert cli.main(["diagram", "--format", "dot", "--out", str(tmp_path), "--trace", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    _needs_validator()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("not json at all\n", encoding="utf-8")
    with pytest.raises(TraceError, match="no run found"):
        write_all(tmp_path, formats=["dot"], trace=empty)


# --- API, CLI, renderers, errors -------------------------------------------------------------


def test_bad_requests_get_runfsm_errors(tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match="unknown diagram 'thread'"):
        to_dot("thread")
    with pytest.raises(DiagramError, match="unknown format 'pdf'"):
        write_all(tmp_path, formats=["pdf"])
    with pytest.raises(runfsm.SpecError, match="unknown API version"):
        write_all(tmp_path, formats=["dot"], version="v3")
    with pytest.raises(RenderError, match="unknown renderer"):
        write_all(tmp_path, formats=["dot"], renderer="cairo")
    with pytest.raises(DiagramError, match="overlay"):
        to_dot(COMBINED, overlay=Overlay("x"))
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(DiagramError, match="cannot create output directory"):
        write_all(blocker / "sub", formats=["dot"])


def test_missing_renderer_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    for renderer in ("pure", "system"):
        with pytest.raises(RenderError, match=re.escape("pip install 'runfsm[diagrams]'")):
            write_all(tmp_path / "out", formats=["svg"], renderer=renderer)
    assert not (tmp_path / "out").exists()  # nothing half-written
    code = cli.main(["diagram", "--format", "png", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "runfsm[diagrams]" in err and "Traceback" not in err
    assert write_all(tmp_path / "out", formats=["dot", "mermaid"])  # text formats need no renderer


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake renderer")
def test_system_renderer_runs_dot_from_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\ncat > /dev/null\necho "<svg><!-- $* --></svg>"\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    assert find_renderer("system") == fake
    assert render(to_dot("message"), "svg", renderer="system").strip() == b"<svg><!-- -Tsvg --></svg>"
    broken = tmp_path / "bin2" / "dot"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(broken.parent))
    with pytest.raises(RenderError, match="syntax error in line 1"):
        render("digraph {", "svg", renderer="system")


@needs_pure
def test_cli_writes_every_format_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diagram", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {f"{d}.{ext}" for d in DIAGRAMS for ext in ("dot", "svg", "png", "mmd")}
    assert sorted(Path(p).name for p in printed) == sorted(names)
    assert len(FORMATS) == 4


def test_cli_format_and_version_flags(tmp_path: Path) -> None:
    args = ["diagram", "--format", "dot", "--format", "mermaid", "--version", "v1", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    assert {p.name for p in tmp_path.iterdir()} == {f"{d}-v1.{e}" for d in DIAGRAMS for e in ("dot", "mmd")}
    assert main(type("Args", (), {"format": ["dot"], "out": str(tmp_path / "x")})()) == 0  # defaults fill in


def test_importing_diagrams_loads_no_heavy_module() -> None:
    code = (
        "import sys, runfsm.diagrams; "
        "print(sorted({'graphviz', 'transitions', 'hypothesis', 'openai', 'runfsm.validate'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(sys.platform == "win32", reason="the command is graphviz-pure.exe there")
def test_renderer_is_found_next_to_the_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = tmp_path / "graphviz-pure"
    exe.write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", "")
    assert find_renderer("pure") == exe
    assert shutil.which("graphviz-pure") is None
