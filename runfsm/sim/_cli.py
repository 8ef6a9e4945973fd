"""``runfsm simulate FILE|NAME [--stream] [--jsonl OUT]``: play a scenario, print its timelines.

``FILE`` is a scenario file (TOML); a ``NAME`` that is not a file is one of the
built-in scenarios (``runfsm simulate --list``; ``--show NAME`` prints one's TOML).

Exit status: 0 when the scenario ran and its expectations held, 1 when an
expectation failed, 2 when the file is unreadable or malformed (or the scenario
could not be played: an unexpected API refusal, a script error).
"""

from __future__ import annotations

import sys
from typing import Any

from ._builtin import builtin_names, builtin_text, load_builtin, resolve_scenario
from ._errors import APIError, ScenarioError, SimError
from ._player import ScenarioResult, run_scenario

__all__ = ["format_result", "main"]


def _short(text: str, width: int = 72) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _offset(t: float, t0: float) -> str:
    return f"+{t - t0:g}s"


def _message_text(m: dict[str, Any]) -> str:
    return "".join(p["text"]["value"] for p in m.get("content", ()) if p.get("type") == "text")


def _step_lines(step: dict[str, Any]) -> list[str]:
    """What a step did: one line per tool call (or a note for a message step)."""
    details = step["step_details"]
    if details["type"] != "tool_calls":
        return ["writes a message"]
    lines = []
    for c in details["tool_calls"]:
        kind = c["type"]
        body = c.get(kind)
        if kind == "function":
            out = body.get("output")
            lines.append(f"{body['name']}({body['arguments']})" + (f" -> {out}" if out else ""))
        elif isinstance(body, dict) and "input" in body:
            logs = [o["logs"] for o in body.get("outputs", ()) if o.get("type") == "logs"]
            lines.append(f"{kind}: {_short(body['input'], 50)}" + (f" -> logs {_short(logs[0], 30)!r}" if logs else ""))
        else:
            lines.append(kind)
    return lines


def format_result(result: ScenarioResult, *, indent: str = "  ") -> str:
    """A person-readable account of a played scenario: timelines, steps, final messages, expectations."""
    sim = result.sim
    sc = result.scenario
    lines = [f"{sc.name}: {sc.description}" if sc.description else sc.name]
    names = {rid: name for name, rid in result.runs.items()}
    threads = {tid: name for name, tid in result.threads.items()}
    assistants = {aid: name for name, aid in result.assistants.items()}
    for run_id, _status in sim.iter_runs():
        snap = sim.peek_run(run_id)
        timeline = sim.timeline(run_id)
        t0 = timeline[0][0]
        lines.append(f"{indent}run {names.get(run_id, run_id)} ({run_id}) on thread "
                     f"{threads.get(snap['thread_id'], snap['thread_id'])}, assistant "
                     f"{assistants.get(snap['assistant_id'], snap['assistant_id'])}")
        for i, (t, status) in enumerate(timeline):
            note = ""
            if i == len(timeline) - 1 and snap.get("last_error"):
                note = f"  ({snap['last_error']['code']}: {snap['last_error']['message']})"
            elif i == len(timeline) - 1 and snap.get("incomplete_details"):
                note = f"  ({snap['incomplete_details']['reason']})"
            lines.append(f"{indent * 2}{_offset(t, t0):>7}  {status}{note}")
        for step in sim.peek_steps(run_id):
            what = _step_lines(step)
            head = f"{indent * 2}step {_offset(step['created_at'], int(t0)):>4}  {step['type']:<16} {step['status']:<9}"
            if len(what) == 1:
                lines.append(f"{head}  {_short(what[0], 80)}")
            else:
                lines.append(head)
                lines += [f"{indent * 8}{_short(w, 90)}" for w in what]
        for m in sim.run_messages(run_id)[-1:]:
            suffix = ""
            if m.get("incomplete_details"):
                suffix = f"  ({m['status']}: {m['incomplete_details']['reason']})"
            lines.append(f"{indent * 2}final message: {_short(_message_text(m), 90)}{suffix}")
    if result.checked or result.failures:
        passed = result.checked - len(result.failures)
        lines.append(f"{indent}expectations: {passed}/{result.checked} held")
        lines += [f"{indent * 2}FAILED {f}" for f in result.failures]
    return "\n".join(lines)


def list_builtin() -> str:
    """The built-in scenarios, one per line with its description."""
    lines = []
    for name in builtin_names():
        lines.append(f"{name:<18} {load_builtin(name).description}")
    return "\n".join(lines)


def main(args: Any) -> int:
    """Entry point of ``runfsm simulate``."""
    if getattr(args, "list", False):
        print(list_builtin())
        return 0
    show = getattr(args, "show", None)
    try:
        if show is not None:
            print(builtin_text(show), end="")
            return 0
        if not getattr(args, "file", None):
            print("runfsm simulate: give a scenario file or the name of a built-in scenario "
                  f"({', '.join(builtin_names())}); `runfsm simulate --list` describes them", file=sys.stderr)
            return 2
        scenario = resolve_scenario(args.file)
        result = run_scenario(scenario, stream=True if getattr(args, "stream", False) else None)
    except (ScenarioError, SimError, APIError) as exc:
        print(f"runfsm simulate: {exc}", file=sys.stderr)
        return 2
    print(format_result(result))
    out = getattr(args, "jsonl", None)
    if out:
        try:
            n = result.sim.export_jsonl(out)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            print(f"runfsm simulate: cannot write {out!r}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            return 2
        print(f"trace: {n} records written to {out}")
    return 0 if result.ok else 1
