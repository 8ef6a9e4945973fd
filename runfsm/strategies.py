"""Hypothesis strategies for the run lifecycle, derived from the spec.

Use them to test your own client code against every legal (and illegal) thing
the Assistants-style API can do::

    from hypothesis import given
    from runfsm import strategies as rs

    @given(rs.status_paths("run", view="poll"))
    def test_my_poll_loop_stops(path): ...

Everything here is computed from :mod:`runfsm.spec` through the compiled
:class:`~runfsm.Lifecycle` tables: statuses, edges, field rules, value domains,
event names.  Nothing is restated.  Each strategy takes ``version`` (``"v2"`` or
``"v1"``) and, where it matters, ``strict`` (doc and wire edges only) or
tolerant (inferred edges too).  A ``profile`` or ``lifecycle`` argument
replaces the compiled one, so the same strategies can drive a modified
lifecycle (the project's mutation tests do that).

Shrinking: every choice is an integer, a boolean or a ``sampled_from`` whose
first element is the most common case, so a failing example shrinks toward the
short, everyday path (``queued -> in_progress -> completed``) and the plainest
object of each status.

This module imports Hypothesis; ``import runfsm`` never imports it.
"""

from __future__ import annotations

import json
import string
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:  # say which extra installs it, not a bare ModuleNotFoundError
    from .errors import MissingExtra

    raise MissingExtra("testing", exc.name or "hypothesis", "runfsm.strategies") from None

from . import spec
from .errors import MissingExtra, SpecError
from .lifecycle import Lifecycle, Profile, Transition, held_in
from .lifecycle import profile as _compiled_profile

__all__ = [
    "KINDS",
    "RuleBreak",
    "as_sdk",
    "broken_rules",
    "field_requirement",
    "illegal_run_histories",
    "illegal_stream_paths",
    "illegal_transitions",
    "messages",
    "model_scripts",
    "poll_paths",
    "rule_breaks",
    "run_event_streams",
    "run_histories",
    "run_snapshots",
    "run_steps",
    "runs",
    "script_tools",
    "sdk_objects",
    "status_paths",
    "transition_paths",
    "wire_objects",
]

KINDS = ("run", "run_step", "message")
"""The object kinds every strategy understands."""

_SPEC_RULES: Mapping[str, Sequence[spec.FieldRule]] = {
    "run": spec.RUN_FIELD_RULES,
    "run_step": spec.STEP_FIELD_RULES,
    "message": spec.MESSAGE_FIELD_RULES,
}
_ID_CHARS = string.ascii_letters + string.digits
_BASE_TIME = 1_700_000_000
_INF = float("inf")


# --- resolving versions, profiles and lifecycles -----------------------------------------


def _resolve(version: str, profile: Profile | None) -> Profile:
    if profile is not None:
        return profile
    return _compiled_profile(version)


def _lifecycle(kind: str, version: str, profile: Profile | None, lifecycle: Lifecycle | None) -> Lifecycle:
    if lifecycle is not None:
        return lifecycle
    if kind not in KINDS:
        raise SpecError(f"unknown object kind {kind!r}; known: {', '.join(KINDS)}")
    return _resolve(version, profile).lifecycle(kind)


# --- the graph, ranked for shrinking -----------------------------------------------------


def _distances(lc: Lifecycle, edges: Sequence[Transition]) -> dict[str, float]:
    """Edges from each status to the nearest terminal status (inf if none is reachable)."""
    back: dict[str, list[str]] = {s: [] for s in lc.order}
    for t in edges:
        back[t.dest].append(t.source)
    dist: dict[str, float] = {s: _INF for s in lc.order}
    queue: deque[str] = deque()
    for s in lc.order:
        if s in lc.terminal:
            dist[s] = 0
            queue.append(s)
    while queue:
        cur = queue.popleft()
        for prev in back[cur]:
            if dist[prev] == _INF:
                dist[prev] = dist[cur] + 1
                queue.append(prev)
    return dist


@dataclass(frozen=True)
class _Graph:
    """The edges of one lifecycle in one mode, each source's edges in shrink order.

    The first edge from every status is documented (not inferred) and leads to a
    terminal status soonest; ties keep the spec's row order.  Following the first
    edge from the initial status therefore gives the everyday path.
    """

    lc: Lifecycle
    strict: bool
    ranked: Mapping[str, tuple[Transition, ...]]  # every edge (by trigger)
    ranked_dests: Mapping[str, tuple[Transition, ...]]  # one edge per destination


@lru_cache(maxsize=64)
def _graph(lc: Lifecycle, strict: bool) -> _Graph:
    edges = [t for t in lc.transitions if not (strict and t.inferred)]
    d_strict = _distances(lc, [t for t in lc.transitions if not t.inferred])
    d_all = _distances(lc, edges)
    index = {t: i for i, t in enumerate(lc.transitions)}

    def key(t: Transition) -> tuple[bool, float, float, int]:
        return (t.inferred, d_strict[t.dest], d_all[t.dest], index[t])

    ranked: dict[str, tuple[Transition, ...]] = {}
    ranked_dests: dict[str, tuple[Transition, ...]] = {}
    for s in lc.order:
        out = sorted((t for t in edges if t.source == s), key=key)
        ranked[s] = tuple(out)
        seen: dict[str, Transition] = {}
        for t in out:
            seen.setdefault(t.dest, t)
        ranked_dests[s] = tuple(seen.values())
    return _Graph(lc, strict, ranked, ranked_dests)


def _complete(g: _Graph, status: str, by_dest: bool) -> list[Transition]:
    """The everyday way from ``status`` to a terminal status (first-ranked edges)."""
    table = g.ranked_dests if by_dest else g.ranked
    out: list[Transition] = []
    for _ in range(len(g.lc.order) + 1):
        if status in g.lc.terminal or not table[status]:
            break
        t = table[status][0]
        out.append(t)
        status = t.dest
    return out


def _draw_walk(
    draw: st.DrawFn, g: _Graph, start: str, max_steps: int, finished: bool, by_dest: bool
) -> list[Transition]:
    # The number of freely chosen edges comes first and shrinks to 0: the shortest
    # choice sequence is then "no free edge, finish the everyday way".
    table = g.ranked_dests if by_dest else g.ranked
    out: list[Transition] = []
    status = start
    for _ in range(draw(st.integers(0, max_steps))):
        options = table[status]
        if not options:
            break
        t = options[draw(st.integers(0, len(options) - 1))]
        out.append(t)
        status = t.dest
    if finished:
        out += _complete(g, status, by_dest)
    return out


# --- status paths ------------------------------------------------------------------------


def transition_paths(
    kind: str = "run",
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    finished: bool = True,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[Transition, ...]]:
    """Legal sequences of transitions (by trigger) from the initial status.

    Each step takes one edge of the lifecycle (inferred edges only when not
    ``strict``).  After ``max_steps`` drawn edges the path is finished along the
    shortest documented way to a terminal status; with ``finished=False`` it may
    stop anywhere instead.  Shrinks toward ``queued -> in_progress -> completed``.
    """
    lc = _lifecycle(kind, version, profile, lifecycle)
    g = _graph(lc, strict)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Transition, ...]:
        return tuple(_draw_walk(draw, g, lc.initial, max_steps, finished, by_dest=False))

    return build()


def status_paths(
    kind: str = "run",
    *,
    view: str = "stream",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    finished: bool = True,
    repeats: bool = False,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[str, ...]]:
    """Legal sequences of statuses, starting with the initial status.

    ``view="stream"``: what a stream shows, one legal edge per step
    (``lifecycle.is_legal(a, b, strict)`` for each neighbour pair).
    ``view="poll"``: what a poller sees, a subsequence of a stream path that
    keeps its first and last status, so each neighbour pair is only
    ``lifecycle.reachable(a, b, strict)``; with ``repeats=True`` a poller may see
    the same status several times in a row.
    """
    if view not in ("stream", "poll"):
        raise SpecError(f"unknown view {view!r}; known: stream, poll")
    lc = _lifecycle(kind, version, profile, lifecycle)
    g = _graph(lc, strict)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, ...]:
        walk = _draw_walk(draw, g, lc.initial, max_steps, finished, by_dest=True)
        path = [lc.initial, *(t.dest for t in walk)]
        if view == "poll":
            inner = [s for s in path[1:-1] if draw(st.booleans())]
            path = path[:1] + inner + path[1:][-1:]
        if repeats:
            path = [s for s in path for _ in range(1 + draw(st.integers(0, 2)))]
        return tuple(path)

    return build()


def poll_paths(
    kind: str = "run",
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    finished: bool = True,
    repeats: bool = False,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[str, ...]]:
    """Shorthand for ``status_paths(kind, view="poll", ...)``."""
    return status_paths(
        kind, view="poll", strict=strict, version=version, max_steps=max_steps, finished=finished,
        repeats=repeats, profile=profile, lifecycle=lifecycle,
    )


def _illegal_pairs(lc: Lifecycle, strict: bool, view: str) -> tuple[tuple[str, str], ...]:
    if view not in ("stream", "poll"):
        raise SpecError(f"unknown view {view!r}; known: stream, poll")
    ok = lc.is_legal if view == "stream" else lc.reachable
    # Sources in spec order, terminal sources last: the first pairs are the plainest mistakes.
    sources = sorted(lc.order, key=lambda s: s in lc.terminal)
    return tuple((a, b) for a in sources for b in lc.order if a != b and not ok(a, b, strict))


def illegal_transitions(
    kind: str = "run",
    *,
    view: str = "stream",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[str, str]]:
    """Pairs ``(source, dest)`` of distinct statuses that no single edge joins.

    ``view="poll"`` gives pairs where ``dest`` cannot be observed after ``source``
    at all (not reachable).  In strict mode the inferred edges count as illegal.
    """
    lc = _lifecycle(kind, version, profile, lifecycle)
    pairs = _illegal_pairs(lc, strict, view)
    if not pairs:
        raise SpecError(f"{lc.kind} lifecycle ({lc.version}) has no illegal {view} transition")
    return st.sampled_from(pairs)


def illegal_stream_paths(
    kind: str = "run",
    *,
    view: str = "stream",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 8,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[tuple[str, ...], int]]:
    """A status path with exactly one illegal step, and that step's index.

    ``(path, i)``: every neighbour pair is legal (``view="stream"``: one edge;
    ``"poll"``: reachable) except ``path[i - 1] -> path[i]``.
    """
    lc = _lifecycle(kind, version, profile, lifecycle)
    g = _graph(lc, strict)
    ok = lc.is_legal if view == "stream" else lc.reachable
    bad_from: dict[str, tuple[str, ...]] = {}
    for a, b in _illegal_pairs(lc, strict, view):
        bad_from[a] = (*bad_from.get(a, ()), b)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[tuple[str, ...], int]:
        walk = _draw_walk(draw, g, lc.initial, max_steps, finished=False, by_dest=True)
        prefix = [lc.initial, *(t.dest for t in walk)]
        # Go on the everyday way until a status with an illegal successor (a poller can
        # legally see anything after ``queued`` in tolerant mode, but not after a terminal status).
        for t in _complete(g, prefix[-1], by_dest=True):
            if prefix[-1] in bad_from:
                break
            prefix.append(t.dest)
        if prefix[-1] not in bad_from:
            raise SpecError(f"{lc.kind} lifecycle ({lc.version}): {prefix[-1]!r} has no illegal {view} successor")
        wrong = draw(st.sampled_from(bad_from[prefix[-1]]))
        rest = [t.dest for t in _draw_walk(draw, g, wrong, max_steps, finished=False, by_dest=True)]
        path = (*prefix, wrong, *rest)
        index = len(prefix)
        assert not ok(path[index - 1], path[index], strict)
        return path, index

    return build()


# --- field rules ---------------------------------------------------------------------------


def field_requirement(rules: Sequence[spec.FieldRule], status: str, field: str) -> bool | None:
    """What ``rules`` say about ``field`` in ``status``: True (must be set), False (must be null), None (free)."""
    must_set = must_null = False
    for r in rules:
        if r.field != field:
            continue
        inside = status in r.statuses
        if r.kind == "exactly":
            must_set |= inside
            must_null |= not inside
        elif r.kind == "set":
            must_set |= inside
        elif r.kind == "null_outside":
            must_null |= not inside
        elif r.kind == "null":
            must_null |= inside
    if must_set and must_null:
        codes = ", ".join(r.code for r in rules if r.field == field)
        raise SpecError(f"field rules {codes} want {field!r} both set and null in status {status!r}")
    return True if must_set else (False if must_null else None)


def broken_rules(rules: Sequence[spec.FieldRule], status: str, obj: Mapping[str, Any]) -> list[str]:
    """The codes of the rules that ``obj`` (in ``status``) breaks: a missing key counts as null."""
    out = []
    for r in rules:
        inside = status in r.statuses
        is_set = obj.get(r.field) is not None
        bad = {
            "exactly": is_set != inside,
            "set": inside and not is_set,
            "null_outside": not inside and is_set,
            "null": inside and is_set,
        }.get(r.kind, False)
        if bad:
            out.append(r.code)
    return out


def _governed_fields(lc: Lifecycle, kind: str) -> dict[str, bool]:
    """Fields with a rule, in spec order -> False when the version has none of their statuses (always null)."""
    out: dict[str, bool] = {}
    for r in (*_SPEC_RULES.get(kind, ()), *lc.field_rules):
        out.setdefault(r.field, False)
    for r in lc.field_rules:
        out[r.field] = True
    for r in _SPEC_RULES.get(kind, ()):  # the spec's rules in force for this version and period
        if set(r.statuses) & lc.statuses and held_in(r, lc):
            out[r.field] = True
    return out


def _apply_rules(
    lc: Lifecycle,
    kind: str,
    status: str,
    obj: dict[str, Any],
    values: Mapping[str, Any],
    free: Callable[[str], bool],
) -> None:
    """Set or null every governed field of ``obj`` as the rules demand; ``free(field)`` decides the rest."""
    for field, applies in _governed_fields(lc, kind).items():
        req = field_requirement(lc.field_rules, status, field) if applies else False
        want = free(field) if req is None else req
        if not want:
            obj[field] = None
            continue
        value = values.get(field)
        if value is None:
            if req is None:
                obj[field] = None
                continue
            raise SpecError(f"{kind}: no value known for field {field!r}, which status {status!r} requires")
        obj[field] = value


def _free_flags(draw: st.DrawFn, lc: Lifecycle, kind: str) -> dict[str, bool]:
    """One boolean per governed field, drawn whatever the status (so every status costs the
    same number of choices and shrinking prefers the first status, not the least constrained)."""
    return {f: draw(st.booleans()) for f in _governed_fields(lc, kind)}


# --- value domains -------------------------------------------------------------------------


def _token(draw: st.DrawFn, min_size: int = 6) -> str:
    """An id suffix: one integer in base 62 (cheap to draw and to shrink), at least ``min_size`` characters."""
    n = draw(st.integers(0, 62**24 - 1))
    out = ""
    while n:
        n, digit = divmod(n, 62)
        out = _ID_CHARS[digit] + out
    return out.rjust(min_size, _ID_CHARS[0])


def _usage(draw: st.DrawFn) -> dict[str, Any]:
    prompt = draw(st.integers(0, 5000))
    completion = draw(st.integers(0, 2000))
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    if draw(st.booleans()):  # recorded traffic carries detail keys too
        usage["prompt_token_details"] = {"cached_tokens": 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": 0}
    return usage


_FUNCTION_NAMES = ("get_weather", "lookup_order", "add_numbers")


def _function_call(call_id: str, name: str, arguments: str, output: str | None, with_output: bool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": name, "arguments": arguments}
    if with_output:
        fn["output"] = output
    return {"id": call_id, "type": spec.PAUSING_TOOL_CALL_TYPE, "function": fn}


def _tool_call(kind: str, call_id: str, *, name: str = "", arguments: str = "{}", output: str | None = None) -> dict[str, Any]:
    """One entry of a ``tool_calls`` step, shaped as on the wire for each tool type."""
    if kind == spec.PAUSING_TOOL_CALL_TYPE:
        return _function_call(call_id, name, arguments, output, with_output=True)
    body: dict[str, Any] = {"input": "print(1 + 1)", "outputs": []} if kind == "code_interpreter" else {}
    if kind not in ("code_interpreter", "file_search", "retrieval"):
        raise SpecError(f"no wire shape known for tool call type {kind!r}")
    return {"id": call_id, "type": kind, kind: body}


def _tool_definition(kind: str, name: str = _FUNCTION_NAMES[0]) -> dict[str, Any]:
    if kind == spec.PAUSING_TOOL_CALL_TYPE:
        return {"type": kind, "function": {
            "name": name, "description": f"{name} (test tool)",
            "parameters": {"type": "object", "properties": {"x": {"type": "string"}}, "required": []},
        }}
    return {"type": kind}


def _calls(draw: st.DrawFn, prefix: str) -> list[tuple[str, str, str]]:
    """(call id, function name, arguments) for one to three parallel function calls."""
    n = draw(st.integers(1, 3))
    out = []
    for i in range(n):
        name = draw(st.sampled_from(_FUNCTION_NAMES))
        arg = draw(st.sampled_from(("Paris", "42", "")))
        out.append((f"call_{prefix}{i}", name, json.dumps({"x": arg})))
    return out


def _required_action(calls: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "type": spec.REQUIRED_ACTION_TYPE,
        spec.REQUIRED_ACTION_TYPE: {
            "tool_calls": [_function_call(c, n, a, None, with_output=False) for c, n, a in calls]
        },
    }


def _text_content(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"value": text, "annotations": []}}] if text else []


# --- wire objects --------------------------------------------------------------------------


@dataclass
class _Ids:
    thread: str
    assistant: str
    run: str


def _draw_ids(draw: st.DrawFn) -> _Ids:
    return _Ids(thread=f"thread_{_token(draw)}", assistant=f"asst_{_token(draw)}", run=f"run_{_token(draw)}")


def _run_object(
    prof: Profile,
    status: str,
    *,
    ids: _Ids,
    created_at: int,
    values: Mapping[str, Any],
    free: Callable[[str], bool],
    tools: list[dict[str, Any]],
    model: str = "gpt-4o",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    run: dict[str, Any] = dict.fromkeys(spec.RUN_KEYS)
    run.update(
        id=ids.run, object=spec.OBJECT_TYPES["run"], created_at=created_at, thread_id=ids.thread,
        assistant_id=ids.assistant, status=status, model=model, instructions=None, tools=tools,
        metadata=metadata or {},
    )
    _apply_rules(prof.run, "run", status, run, values, free)
    # Keys every recorded run carries besides the schema's required ones.
    run.update(temperature=1.0, top_p=1.0, tool_choice="auto", parallel_tool_calls=True, response_format="auto",
               truncation_strategy={"type": "auto", "last_messages": None})
    if spec.VERSIONS.index(prof.version) >= spec.VERSIONS.index("v2"):  # token budgets came with v2
        run.update(max_prompt_tokens=None, max_completion_tokens=None)
    return run


def _check_status(lc: Lifecycle, status: str | None) -> None:
    if status is not None:
        lc.require_status(status)


def runs(
    status: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Run objects as the API returns them, valid for ``status`` (any status when None).

    Every key of the wire format is present; each field a rule governs is set or
    null as the rules of that status demand (disputed rules included, so a
    validator reports nothing at all); fields the rules leave free are drawn
    either way.  Timestamps never precede ``created_at``; ``expires_at`` is
    ``created_at`` plus the spec's deadline.
    """
    prof = _resolve(version, profile)
    _check_status(prof.run, status)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        s = status if status is not None else draw(st.sampled_from(prof.run.order))
        ids = _draw_ids(draw)
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        started = created + draw(st.integers(0, 30))
        ended = started + draw(st.integers(0, spec.RUN_DEADLINE_SECONDS - 60))
        calls = _calls(draw, _token(draw, 4))
        values = {
            "required_action": _required_action(calls),
            "last_error": {"code": draw(st.sampled_from(spec.RUN_ERROR_CODES)), "message": "Something went wrong."},
            "incomplete_details": {"reason": draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS))},
            "usage": _usage(draw),
            "started_at": started,
            "expires_at": created + spec.RUN_DEADLINE_SECONDS,
            "cancelled_at": ended,
            "failed_at": ended,
            "completed_at": ended,
        }
        kinds = draw(st.lists(st.sampled_from(prof.tool_call_types), unique=True, max_size=3))
        tools = [_tool_definition(k) for k in kinds]
        flags = _free_flags(draw, prof.run, "run")
        run = _run_object(prof, s, ids=ids, created_at=created, values=values, free=flags.__getitem__,
                          tools=tools, model=draw(st.sampled_from(("gpt-4o", "gpt-4o-mini", "gpt-4-turbo"))),
                          metadata=draw(st.dictionaries(st.sampled_from(("user", "case")),
                                                        st.text(_ID_CHARS, max_size=8), max_size=2)))
        if run["required_action"] is not None:  # the functions it calls are among the run's tools
            known = {t["function"]["name"] for t in tools if t["type"] == spec.PAUSING_TOOL_CALL_TYPE}
            tools += [_tool_definition(spec.PAUSING_TOOL_CALL_TYPE, n) for n in sorted({n for _, n, _ in calls} - known)]
        return run

    return sdk_objects(build()) if sdk else build()


def _step_object(
    prof: Profile,
    status: str,
    *,
    step_id: str,
    ids: _Ids,
    created_at: int,
    deadline: int,
    details: dict[str, Any],
    values: Mapping[str, Any],
    free: Callable[[str], bool],
    expiry_key: str,
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": step_id, "object": spec.OBJECT_TYPES["run_step"], "created_at": created_at, "run_id": ids.run,
        "assistant_id": ids.assistant, "thread_id": ids.thread, "type": details["type"], "status": status,
        "cancelled_at": None, "completed_at": None, expiry_key: None, "failed_at": None, "last_error": None,
        "step_details": details, "usage": None,
    }
    _apply_rules(prof.run_step, "run_step", status, step, values, free)
    clock_made = {t.dest for t in prof.run_step.transitions if t.actor == "clock"}
    if expiry_key == spec.STEP_EXPIRY_KEYS[0]:
        step[expiry_key] = deadline  # the wire's key carries the run's deadline
    elif status in clock_made:
        step[expiry_key] = values.get("ended_at")  # the schema's key: when the step expired
    return step


def _step_details(step_type: str, message_id: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    if step_type not in spec.STEP_TYPES:
        raise SpecError(f"unknown step type {step_type!r}; known: {', '.join(spec.STEP_TYPES)}")
    if step_type == spec.STEP_TYPES[0]:
        return {"type": step_type, step_type: {"message_id": message_id}}
    return {"type": step_type, step_type: calls}


def run_steps(
    status: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
    expiry_key: str | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Run step objects valid for ``status`` (any status when None).

    ``step_details`` is a ``message_creation`` or a ``tool_calls`` step whose calls
    use the version's tool types (``retrieval`` in v1, ``file_search`` in v2);
    function calls carry their ``output`` once the step completed.  The expiry
    timestamp is under ``expiry_key``: the wire's ``expires_at`` (the run's
    deadline) or the schema's ``expired_at``; drawn when None.
    """
    prof = _resolve(version, profile)
    _check_status(prof.run_step, status)
    if expiry_key is not None and expiry_key not in spec.STEP_EXPIRY_KEYS:
        raise SpecError(f"unknown step expiry key {expiry_key!r}; known: {', '.join(spec.STEP_EXPIRY_KEYS)}")

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        s = status if status is not None else draw(st.sampled_from(prof.run_step.order))
        ids = _draw_ids(draw)
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        ended = created + draw(st.integers(0, 300))
        step_type = draw(st.sampled_from(spec.STEP_TYPES))
        finished = s not in prof.run_step.active
        calls = []
        for i, kind in enumerate(draw(st.lists(st.sampled_from(prof.tool_call_types), min_size=1, max_size=3))):
            out = "ok" if finished else None
            calls.append(_tool_call(kind, f"call_{i}{_token(draw, 4)}", name=_FUNCTION_NAMES[0], output=out))
        values = {
            "last_error": {"code": draw(st.sampled_from(spec.STEP_ERROR_CODES)), "message": "Something went wrong."},
            "usage": {k: v for k, v in _usage(draw).items() if k.endswith("_tokens")},
            "cancelled_at": ended, "failed_at": ended, "completed_at": ended, "ended_at": ended,
        }
        return _step_object(
            prof, s, step_id=f"step_{_token(draw)}", ids=ids, created_at=created,
            deadline=created + spec.RUN_DEADLINE_SECONDS,
            details=_step_details(step_type, f"msg_{_token(draw)}", calls), values=values,
            free=_free_flags(draw, prof.run_step, "run_step").__getitem__,
            expiry_key=expiry_key or draw(st.sampled_from(spec.STEP_EXPIRY_KEYS)),
        )

    return sdk_objects(build()) if sdk else build()


def _message_object(
    prof: Profile,
    status: str | None,
    *,
    message_id: str,
    ids: _Ids,
    created_at: int,
    text: str,
    from_run: bool,
    values: Mapping[str, Any],
    free: Callable[[str], bool],
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "id": message_id, "object": spec.OBJECT_TYPES["message"], "created_at": created_at,
        "assistant_id": ids.assistant if from_run else None, "thread_id": ids.thread,
        "run_id": ids.run if from_run else None, "role": "assistant" if from_run else "user",
        "content": _text_content(text), "attachments": [], "metadata": {},
    }
    if status is None:
        return msg  # create, retrieve and list answer without status keys (wire)
    msg.update(status=status, incomplete_details=None, incomplete_at=None, completed_at=None)
    _apply_rules(prof.message, "message", status, msg, values, free)
    return msg


def messages(
    status: str | None = None,
    *,
    with_status: bool | None = None,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Message objects valid for ``status``.

    ``with_status=False`` gives the shape that create, retrieve and list return on
    the wire: no ``status`` key and none of the keys the status rules govern.
    ``with_status=True`` gives streamed messages (``status`` drawn unless given);
    None draws either shape.
    """
    prof = _resolve(version, profile)
    _check_status(prof.message, status)
    if status is not None and with_status is False:
        raise SpecError("a message without status keys cannot have a status")
    rule_fields = set(_governed_fields(prof.message, "message"))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        keep_status = with_status if with_status is not None else (status is not None or draw(st.booleans()))
        s = (status if status is not None else draw(st.sampled_from(prof.message.order))) if keep_status else None
        ids = _draw_ids(draw)
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        ended = created + draw(st.integers(0, 300))
        from_run = True if s is not None and s in prof.message.active else draw(st.booleans())
        values = {
            "incomplete_details": {"reason": draw(st.sampled_from(spec.MESSAGE_INCOMPLETE_REASONS))},
            "incomplete_at": ended, "completed_at": ended,
        }
        msg = _message_object(
            prof, s, message_id=f"msg_{_token(draw)}", ids=ids, created_at=created,
            text=draw(st.text(string.ascii_letters + " .,!?", max_size=40)), from_run=from_run,
            values=values, free=_free_flags(draw, prof.message, "message").__getitem__,
        )
        assert s is not None or not (rule_fields & set(msg))
        return msg

    return sdk_objects(build()) if sdk else build()


def wire_objects(
    kind: str | None = None,
    status: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid runs, run steps or messages (``kind`` None: any of the three)."""
    makers: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
        "run": lambda: runs(status, version=version, profile=profile),
        "run_step": lambda: run_steps(status, version=version, profile=profile),
        "message": lambda: messages(status, with_status=True if status else None, version=version, profile=profile),
    }
    if kind is not None:
        if kind not in makers:
            raise SpecError(f"unknown object kind {kind!r}; known: {', '.join(KINDS)}")
        return sdk_objects(makers[kind]()) if sdk else makers[kind]()
    chosen = st.one_of(*(makers[k]() for k in KINDS))
    return sdk_objects(chosen) if sdk else chosen


# --- objects that break exactly one rule -------------------------------------------------


class RuleBreak(NamedTuple):
    """An object that breaks exactly one field rule, and which."""

    obj: dict[str, Any]
    kind: str  # "run" | "run_step" | "message"
    status: str
    rule: spec.FieldRule
    field_set: bool  # True: the field was set where the rule wants null; False: nulled where it wants a value

    @property
    def code(self) -> str:
        """The rule's code, e.g. ``"run.required_action"`` (what a validator's finding names)."""
        return self.rule.code

    @property
    def severity(self) -> str:
        """``"warning"`` for a disputed rule, else ``"error"``."""
        return "warning" if self.rule.disputed else "error"


def _break_candidates(lc: Lifecycle, kind: str) -> tuple[tuple[str, spec.FieldRule, bool], ...]:
    """(status, rule, set the field?) such that flipping that one field breaks that rule and no other."""
    out = []
    fields = _governed_fields(lc, kind)
    for rule in lc.field_rules:
        for status in lc.order:
            base = {f: field_requirement(lc.field_rules, status, f) for f in fields}
            if base[rule.field] is None:
                continue
            flipped = not base[rule.field]
            obj = {f: (1 if v else None) for f, v in base.items()}
            obj[rule.field] = 1 if flipped else None
            if broken_rules(lc.field_rules, status, obj) == [rule.code]:
                out.append((status, rule, flipped))
    return tuple(out)


def rule_breaks(
    kind: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    rules: Sequence[str] | None = None,
) -> st.SearchStrategy[RuleBreak]:
    """Objects that are valid except for exactly one field rule, labelled with it.

    A valid object of some status is drawn, then one governed field is set where
    its rule wants null (or nulled where it wants a value).  ``rules`` limits the
    choice to those rule codes.  Messages always carry their status (the rules
    apply only then).  A validator should report one finding with
    ``rule == result.code`` and ``severity == result.severity``.
    """
    prof = _resolve(version, profile)
    kinds = (kind,) if kind is not None else KINDS
    cands: list[tuple[str, str, spec.FieldRule, bool]] = []
    for k in kinds:
        lc = _lifecycle(k, version, prof, None)
        cands += [(k, s, r, f) for s, r, f in _break_candidates(lc, k) if rules is None or r.code in rules]
    if not cands:
        raise SpecError(f"no field rule can be broken alone for {', '.join(kinds)} (rules: {rules})")
    makers: dict[str, Callable[[str], st.SearchStrategy[dict[str, Any]]]] = {
        "run": lambda s: runs(s, profile=prof),
        "run_step": lambda s: run_steps(s, profile=prof),
        "message": lambda s: messages(s, with_status=True, profile=prof),
    }
    set_values: dict[str, Callable[[st.DrawFn, dict[str, Any]], Any]] = {
        "required_action": lambda d, o: _required_action(_calls(d, "x")),
        "last_error": lambda d, o: {"code": d(st.sampled_from(
            spec.RUN_ERROR_CODES if o["object"] == spec.OBJECT_TYPES["run"] else spec.STEP_ERROR_CODES)),
            "message": "Something went wrong."},
        "incomplete_details": lambda d, o: {"reason": d(st.sampled_from(
            spec.RUN_INCOMPLETE_REASONS if o["object"] == spec.OBJECT_TYPES["run"]
            else spec.MESSAGE_INCOMPLETE_REASONS))},
        "usage": lambda d, o: {k: v for k, v in _usage(d).items() if k.endswith("_tokens")},
        "expires_at": lambda d, o: o["created_at"] + spec.RUN_DEADLINE_SECONDS,
    }

    @st.composite
    def build(draw: st.DrawFn) -> RuleBreak:
        k, status, rule, to_set = draw(st.sampled_from(cands))
        obj = draw(makers[k](status))
        if to_set:
            make = set_values.get(rule.field)
            obj[rule.field] = make(draw, obj) if make else obj["created_at"] + draw(st.integers(0, 60))
        else:
            obj[rule.field] = None
        return RuleBreak(obj, k, status, rule, to_set)

    return build()


# --- SSE event streams ---------------------------------------------------------------------


def _end_edge(lc: Lifecycle, status: str, run_edge: Transition, previous: str | None,
              fallback: bool) -> Transition | None:
    """How a step or message in ``status`` ends when its run takes ``run_edge``.

    By the run's trigger if this lifecycle has it (``fail``, ``expire``, ...), else
    by the trigger that brought the run into its current status (a cancel that
    went through ``cancelling``), else toward the status of the run's name; with
    ``fallback`` the first edge of the spec (the ordinary one) ends it otherwise.
    """
    for trigger in (run_edge.trigger, previous):
        edge = lc.by_trigger.get((status, trigger)) if trigger else None
        if edge is not None:
            return edge
    same = lc.edges(status, run_edge.dest)
    if same:
        return same[0]
    if fallback:
        out = [t for t in lc.transitions if t.source == status]
        return out[0] if out else None
    return None


class _Stream:
    """Builds the events of one run along a path of run transitions (LIFECYCLE.md section 6)."""

    def __init__(self, draw: st.DrawFn, prof: Profile, ids: _Ids, created: int, expiry_key: str) -> None:
        self.draw = draw
        self.prof = prof
        self.ids = ids
        self.names = prof.event_names()
        self.events: list[tuple[str, Any]] = []
        self.now = created
        self.created = created
        self.deadline = created + spec.RUN_DEADLINE_SECONDS
        self.expiry_key = expiry_key
        self.started: int | None = None
        self.calls: list[tuple[str, str, str]] = []
        self.usage: dict[str, Any] | None = None
        self.run_error = {"code": draw(st.sampled_from(spec.RUN_ERROR_CODES)), "message": "Something went wrong."}
        self.run_reason = {"reason": draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS))}
        self.tools = [_tool_definition(k) for k in prof.tool_call_types if k != spec.PAUSING_TOOL_CALL_TYPE]
        self.tools += [_tool_definition(spec.PAUSING_TOOL_CALL_TYPE, n) for n in _FUNCTION_NAMES]
        self.step: dict[str, Any] | None = None
        self.msg: dict[str, Any] | None = None
        self.counter = 0

    # -- plumbing --

    def emit(self, kind: str, what: str, data: Any) -> None:
        self.events.append((self._name(kind, what), data))

    def tick(self, clock: bool = False) -> None:
        self.now += self.draw(st.integers(0, 2))
        if clock:
            self.now = max(self.now, self.deadline)
        else:
            self.now = min(self.now, self.deadline - 1)

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter:03d}"

    # -- objects --

    def run(self, status: str) -> dict[str, Any]:
        # A run that must have started but was never seen working (a cancel that lost the race
        # before the run started, or a poller that missed in_progress) started now at the latest.
        if self.started is None and field_requirement(self.prof.run.field_rules, status, "started_at"):
            self.started = self.now
        values = {
            "required_action": _required_action(self.calls) if self.calls else None,
            "last_error": self.run_error, "incomplete_details": self.run_reason, "usage": self.usage,
            "started_at": self.started, "expires_at": self.deadline,
            "cancelled_at": self.now, "failed_at": self.now, "completed_at": self.now,
        }
        return _run_object(self.prof, status, ids=self.ids, created_at=self.created, values=values,
                           free=lambda f: values.get(f) is not None, tools=self.tools)

    def step_obj(self, status: str) -> dict[str, Any]:
        assert self.step is not None
        values = {"last_error": {"code": spec.STEP_ERROR_CODES[0], "message": "Something went wrong."},
                  "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                  "cancelled_at": self.now, "failed_at": self.now, "completed_at": self.now, "ended_at": self.now}
        return _step_object(self.prof, status, step_id=self.step["id"], ids=self.ids, created_at=self.step["created"],
                            deadline=self.deadline, details=self.step["details"](status), values=values,
                            free=lambda f: values.get(f) is not None, expiry_key=self.expiry_key)

    def msg_obj(self, status: str) -> dict[str, Any]:
        assert self.msg is not None
        reason = None
        values: dict[str, Any] = {"completed_at": self.now, "incomplete_at": self.now}
        if self.msg.get("reason"):
            reason = {"reason": self.msg["reason"]}
        values["incomplete_details"] = reason
        text = "".join(self.msg["pieces"]) if status not in self.prof.message.active else ""
        return _message_object(self.prof, status, message_id=self.msg["id"], ids=self.ids,
                               created_at=self.msg["created"], text=text, from_run=True, values=values,
                               free=lambda f: values.get(f) is not None)

    # -- steps and messages --

    def open_step(self, step_type: str, calls: list[dict[str, Any]], message_id: str = "") -> None:
        self.tick()
        step_id = self.next_id("step")
        done_calls = calls

        def details(status: str) -> dict[str, Any]:
            finished = status not in self.prof.run_step.active
            shown = []
            for c in done_calls:
                c = dict(c)
                if c["type"] == spec.PAUSING_TOOL_CALL_TYPE:
                    c[c["type"]] = dict(c[c["type"]], output="ok" if finished else None)
                shown.append(c)
            return _step_details(step_type, message_id, shown)

        self.step = {"id": step_id, "created": self.now, "details": details, "status": self.prof.run_step.initial}
        self.emit("run_step", "created", self.step_obj(self.prof.run_step.initial))
        self.emit("run_step", self.prof.run_step.initial, self.step_obj(self.prof.run_step.initial))

    def step_deltas(self, calls: list[dict[str, Any]]) -> None:
        assert self.step is not None
        obj = spec.OBJECT_TYPES["run_step"] + ".delta"
        for i, c in enumerate(calls):
            head = {"index": i, "id": c["id"], "type": c["type"], c["type"]: {k: ("" if k == "arguments" else v)
                                                                            for k, v in c[c["type"]].items()}}
            self.tick()
            self.events.append((self._name("run_step", "delta"), {"id": self.step["id"], "object": obj, "delta": {
                "step_details": {"type": spec.STEP_TYPES[1], "tool_calls": [head]}}}))
            args = c[c["type"]].get("arguments")
            if args:
                for piece in self._split(args):
                    self.events.append((self._name("run_step", "delta"), {"id": self.step["id"], "object": obj, "delta": {
                        "step_details": {"type": spec.STEP_TYPES[1], "tool_calls": [
                            {"index": i, "type": c["type"], c["type"]: {"arguments": piece}}]}}}))

    def _name(self, kind: str, what: str) -> str:
        name = f"{spec.EVENT_PREFIXES[kind]}.{what}"
        if name not in self.names:
            raise SpecError(f"event {name!r} is not an event of API {self.prof.version}")
        return name

    def _split(self, text: str) -> list[str]:
        n = self.draw(st.integers(1, 3))
        size = max(1, -(-len(text) // n))
        return [text[i:i + size] for i in range(0, len(text), size)]

    def end_step(self, edge: Transition) -> None:
        assert self.step is not None
        self.tick(clock=edge.actor == "clock")
        self.emit("run_step", edge.dest, self.step_obj(edge.dest))
        self.step = None

    def tool_step(self) -> None:
        """A code_interpreter / file_search step: runs on its own and completes (never pauses the run)."""
        kinds = [k for k in self.prof.tool_call_types if k != spec.PAUSING_TOOL_CALL_TYPE]
        kind = self.draw(st.sampled_from(kinds))
        calls = [_tool_call(kind, self.next_id("call"))]
        self.open_step(spec.STEP_TYPES[1], calls)
        self.step_deltas(calls)
        finish = next(t for t in self.prof.run_step.transitions if t.source == self.prof.run_step.initial)
        self.end_step(finish)

    def open_message(self) -> None:
        msg_id = self.next_id("msg")
        self.open_step(spec.STEP_TYPES[0], [], msg_id)
        self.tick()
        pieces = self.draw(st.lists(st.sampled_from(("Hello", " there", "!", " The answer is", " 42.")),
                                    min_size=1, max_size=4))
        self.msg = {"id": msg_id, "created": self.now, "pieces": pieces, "reason": None}
        initial = self.prof.message.initial
        self.emit("message", "created", self.msg_obj(initial))
        self.emit("message", initial, self.msg_obj(initial))
        obj = spec.OBJECT_TYPES["message"] + ".delta"
        for i, piece in enumerate(pieces):
            text: dict[str, Any] = {"value": piece}
            if i == 0:
                text["annotations"] = []
            self.tick()
            self.events.append((self._name("message", "delta"), {"id": msg_id, "object": obj, "delta": {
                "content": [{"index": 0, "type": "text", "text": text}]}}))

    def end_message(self, edge: Transition) -> None:
        assert self.msg is not None
        self.msg["reason"] = spec.MESSAGE_REASON_BY_TRIGGER.get(edge.trigger)
        self.tick(clock=edge.actor == "clock")
        self.emit("message", edge.dest, self.msg_obj(edge.dest))
        self.msg = None

    # -- the run --

    def run_event(self, edge: Transition | None, status: str) -> None:
        if edge is not None:
            self.tick(clock=edge.actor == "clock")
        self.emit("run", status, self.run(status))

    def done(self) -> None:
        self.events.append((spec.EVENT_DONE, "[DONE]"))


def run_event_streams(
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 10,
    finished: bool = True,
    thread_created: bool | None = None,
    profile: Profile | None = None,
) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """The server-sent events of one run, in the order of LIFECYCLE.md section 6.

    A legal run path (stream view) is drawn, then turned into events: the first
    stream (``thread.created`` first when ``thread_created``; drawn when None)
    opens with ``thread.run.created``; while the run works, tool steps complete on
    their own and a message step writes a message (``delta`` events included);
    function calls leave their step open at ``requires_action``; each stream ends
    with ``done`` when the run pauses or ends, and the stream of
    ``submit_tool_outputs`` starts by completing the tool step (if the run is
    cancelled or expires while paused, no stream is open: the events end at the
    pause).  A run that is
    cancelled, fails or expires ends its open message (``incomplete``, with the
    matching reason) and step first.  Every object in every event is valid for
    its status, timestamps only move forward, and ``expires_at`` holds.

    The result is a list of ``(event name, data)`` pairs; ``data`` is a wire dict,
    or ``"[DONE]"`` for ``done``.
    """
    prof = _resolve(version, profile)
    lc = prof.run
    g = _graph(lc, strict)
    working = frozenset(t.source for t in lc.transitions if t.dest in lc.paused)
    # Triggers that fire only from a paused status (submit_tool_outputs): the client resumes the run
    # with a new streaming request.  Anything else after a pause happens with no stream open.
    resume = frozenset(t.trigger for t in lc.transitions if t.source in lc.paused) - frozenset(
        t.trigger for t in lc.transitions if t.source not in lc.paused)
    msg_lc = prof.message

    @st.composite
    def build(draw: st.DrawFn) -> list[tuple[str, Any]]:
        path = _draw_walk(draw, g, lc.initial, max_steps, finished, by_dest=False)
        ids = _draw_ids(draw)
        s = _Stream(draw, prof, ids, _BASE_TIME + draw(st.integers(0, 10**7)),
                    draw(st.sampled_from(spec.STEP_EXPIRY_KEYS)))
        if thread_created if thread_created is not None else draw(st.booleans()):
            s.events.append((spec.EVENT_THREAD_CREATED, {
                "id": ids.thread, "object": "thread", "created_at": s.created, "metadata": {},
                "tool_resources": {}}))
        s.emit("run", "created", s.run(lc.initial))
        s.run_event(None, lc.initial)
        previous: str | None = None
        for i, edge in enumerate(path):
            if edge.source in lc.paused and edge.trigger not in resume:
                break  # the stream ended at the pause; the client did not resume it with a stream
            final = next((t for t in path[i:] if t.dest in lc.terminal), None)
            final_prev = path[path.index(final) - 1].trigger if final is not None and path.index(final) > 0 else None
            if edge.source in working:
                for _ in range(draw(st.integers(0, 2))):
                    s.tool_step()
                if edge.dest in lc.paused:
                    s.calls = _calls(draw, f"{i}x")
                    calls = [_tool_call(spec.PAUSING_TOOL_CALL_TYPE, c, name=n, arguments=a) for c, n, a in s.calls]
                    s.open_step(spec.STEP_TYPES[1], calls)
                    s.step_deltas(calls)
                else:
                    ends = final is not None and _end_edge(msg_lc, msg_lc.initial, final, final_prev, False)
                    normal = bool(ends) and final is not None and final.dest in msg_lc.statuses
                    if ends and (normal or draw(st.booleans())):
                        s.open_message()
                    elif draw(st.booleans()):
                        s.open_step(spec.STEP_TYPES[0], [], s.next_id("msg"))
            if edge.source in lc.paused and edge.dest == lc.initial and s.step is not None:
                # submit_tool_outputs: a new stream starts by completing the tool step, outputs filled
                s.calls = []
                s.end_step(_end_edge(prof.run_step, s.step["status"], edge, previous, True) or edge)
            if edge.dest in lc.terminal:
                if s.msg is not None:
                    m_edge = _end_edge(msg_lc, msg_lc.initial, edge, previous, True)
                    assert m_edge is not None
                    s.end_message(m_edge)
                if s.step is not None:
                    s_edge = _end_edge(prof.run_step, prof.run_step.initial, edge, previous, True)
                    assert s_edge is not None
                    s.end_step(s_edge)
                s.calls = []
                if s.usage is None:
                    s.usage = {"prompt_tokens": 20, "completion_tokens": 11, "total_tokens": 31}
            if edge.dest in working:
                s.tick()
                s.started = s.now
            s.run_event(edge, edge.dest)
            if edge.dest in lc.paused or edge.dest in lc.terminal:
                s.done()
            previous = edge.trigger
        return s.events

    return build()


# --- model scripts for the simulator -------------------------------------------------------


def script_tools(script: Sequence[Any], *, version: str = spec.DEFAULT_VERSION) -> list[dict[str, Any]]:
    """The tool definitions a run needs for the simulator to accept ``script``.

    Every function a :class:`~runfsm.sim.CallFunctions` calls, plus the code
    interpreter and file search (``retrieval`` in v1) when the script uses them.
    """
    from .explore import tools_for

    return tools_for(script, version)


def model_scripts(
    *,
    inferred: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_actions: int = 4,
    slow: bool = True,
) -> st.SearchStrategy[tuple[Any, ...]]:
    """Scripts for the simulator's model (:mod:`runfsm.sim.script` actions), valid for ``version``.

    A script is a few actions (write a message, call functions in parallel, run the
    code interpreter, search files), optionally ended by a failure (possibly in the
    middle of an action) or, in v2, by running out of tokens.  Queue actions
    (:class:`~runfsm.sim.QueueDelay`, and with ``inferred`` the inferred
    :class:`~runfsm.sim.QueueStall` and ``Fail(in_queue=True)``) come first or right
    after a function call, where the run is queued.  ``slow`` lets an action take
    longer than the run's deadline (so the run expires while working).  Give the
    run the tools of :func:`script_tools`.  Shrinks toward ``(Say("Hello"),)``.
    """
    from .sim import (
        CallFunctions,
        CodeInterpreter,
        Fail,
        FileSearch,
        FunctionCall,
        QueueDelay,
        QueueStall,
        RunOutOfTokens,
        Say,
    )

    prof = _compiled_profile(version)
    durations = (1, 0, 5, 30, *((spec.RUN_DEADLINE_SECONDS + 100,) if slow else ()))
    texts = ("Hello", "The answer is 42.", "Here is what I found: nothing.", "")

    @st.composite
    def step_action(draw: st.DrawFn, allow_calls: bool = True) -> Any:
        pick = draw(st.integers(0, 3 if allow_calls else 2))
        duration = draw(st.sampled_from(durations))
        if pick == 0:
            return Say(draw(st.sampled_from(texts)), duration=duration)
        if pick == 1:
            return CodeInterpreter("print(6 * 7)", logs="42\n", duration=duration)
        if pick == 2:
            return FileSearch(duration=duration)
        names = draw(st.lists(st.sampled_from(_FUNCTION_NAMES), min_size=1, max_size=3))
        return CallFunctions(tuple(FunctionCall(n, {"x": str(i)}) for i, n in enumerate(names)), duration=duration)

    @st.composite
    def queue_fault(draw: st.DrawFn) -> Any:
        pick = draw(st.integers(0, 3 if inferred else 1))
        if pick == 0:
            return None
        if pick == 1:
            return QueueDelay(draw(st.sampled_from((5, 0, 60))))
        if pick == 2:
            return QueueStall()
        return Fail(draw(st.sampled_from(spec.RUN_ERROR_CODES)), in_queue=True)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Any, ...]:
        script: list[Any] = []
        queued = True  # where queue actions may go: first, and right after a function call
        n = draw(st.integers(0, max_actions))
        for _ in range(n):
            if queued:
                fault = draw(queue_fault())
                if fault is not None:
                    script.append(fault)
                    if not isinstance(fault, QueueDelay):
                        return tuple(script)  # the run never starts (or fails in the queue)
            action = draw(step_action())
            script.append(action)
            queued = isinstance(action, CallFunctions)
        ending = draw(st.integers(0, 2 if "run_out_of_tokens" in prof.run.triggers else 1))
        if ending == 1:
            during = draw(st.one_of(st.none(), step_action()))
            code_set = spec.STEP_ERROR_CODES if during is not None else spec.RUN_ERROR_CODES
            script.append(Fail(draw(st.sampled_from(code_set)), during=during,
                               duration=draw(st.sampled_from(durations))))
        elif ending == 2:
            during = draw(st.one_of(st.none(), st.sampled_from(texts).map(Say)))
            script.append(RunOutOfTokens(draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS)), during=during,
                                         duration=draw(st.sampled_from(durations))))
        if not script:
            script.append(Say(texts[0]))
        return tuple(script)

    return build()


# --- one run's snapshots along a path ----------------------------------------------------------


def _snapshots(draw: st.DrawFn, prof: Profile, path: Sequence[str]) -> list[dict[str, Any]]:
    """Run objects of one run through ``path`` (legal or not), each valid for its status, time moving on."""
    lc = prof.run
    working = frozenset(t.source for t in lc.transitions if t.dest in lc.paused)
    clock_made = frozenset(t.dest for t in lc.transitions if t.actor == "clock")
    s = _Stream(draw, prof, _draw_ids(draw), _BASE_TIME + draw(st.integers(0, 10**7)), spec.STEP_EXPIRY_KEYS[0])
    out = []
    for i, status in enumerate(path):
        if i:
            s.tick(clock=status in clock_made)
        if status in working and (i == 0 or path[i - 1] != status):
            s.started = s.now
        s.calls = _calls(draw, f"{i}x") if status in lc.paused else []
        if status in lc.terminal and s.usage is None:
            s.usage = {"prompt_tokens": 20, "completion_tokens": 11, "total_tokens": 31}
        out.append(s.run(status))
    return out


def run_histories(
    *,
    view: str = "poll",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """What a client polling one run sees: its run objects along a legal path (see :func:`status_paths`).

    Every snapshot is valid for its status; ids and ``created_at`` never change,
    time moves forward, ``started_at`` is re-stamped each time the run starts
    working again.  ``view="stream"`` gives one snapshot per status change.
    """
    prof = _resolve(version, profile)
    paths = status_paths("run", view=view, strict=strict, version=version, max_steps=max_steps, profile=prof,
                         repeats=view == "poll")

    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        return _snapshots(draw, prof, draw(paths))

    return sdk_objects(build()) if sdk else build()


def illegal_run_histories(
    *,
    view: str = "poll",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 8,
    profile: Profile | None = None,
) -> st.SearchStrategy[tuple[list[dict[str, Any]], int]]:
    """Run snapshots along a path with exactly one illegal step, and that step's index.

    ``(snapshots, i)``: only ``snapshots[i - 1]["status"] -> snapshots[i]["status"]``
    breaks the lifecycle (``view="stream"``: not one edge; ``"poll"``: not
    reachable).  Each snapshot on its own is valid for its status.
    """
    prof = _resolve(version, profile)
    paths = illegal_stream_paths("run", view=view, strict=strict, version=version, max_steps=max_steps, profile=prof)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int]:
        path, index = draw(paths)
        return _snapshots(draw, prof, path), index

    return build()


def run_snapshots(
    path: Sequence[str],
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Run objects of one run through the given statuses, legal or not, each valid for its status.

    For hand-picked sequences (``["queued", "completed"]``) where :func:`run_histories`
    draws the path: ids and ``created_at`` stay fixed, time moves forward,
    ``started_at`` is stamped when the run starts working and kept after.
    """
    prof = _resolve(version, profile)
    statuses = [prof.run.require_status(s) for s in path]
    if not statuses:
        raise SpecError("run_snapshots needs at least one status")

    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        return _snapshots(draw, prof, statuses)

    return sdk_objects(build()) if sdk else build()


# --- the openai SDK's own types -------------------------------------------------------------


@lru_cache(maxsize=1)
def _sdk_types() -> dict[str, Any]:
    try:
        from openai.types.beta.threads import Message, Run
        from openai.types.beta.threads.runs import RunStep
    except ImportError as exc:
        raise MissingExtra("openai", "openai", "runfsm.strategies SDK model objects (sdk=True, as_sdk)") from exc
    return {spec.OBJECT_TYPES["run"]: Run, spec.OBJECT_TYPES["run_step"]: RunStep,
            spec.OBJECT_TYPES["message"]: Message}


def as_sdk(obj: Mapping[str, Any]) -> Any:
    """A wire object as the openai SDK hands it to client code: its own ``Run``, ``RunStep`` or ``Message``.

    Built the way the SDK builds every response it parses (leniently: a value the
    SDK's types do not know is kept, not refused), so a client under test gets
    exactly what it would get from the API.
    """
    types = _sdk_types()
    kind = obj.get("object")
    cls = types.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SpecError(f"as_sdk: object {kind!r} is none of {', '.join(types)}")
    from openai._models import construct_type  # the SDK's own response parser

    return construct_type(type_=cls, value=dict(obj))


def sdk_objects(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy``'s wire objects (or lists of them) as the openai SDK's model objects (see :func:`as_sdk`)."""
    _sdk_types()  # a missing extra is reported when the strategy is built, not at the first example

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return [as_sdk(v) for v in value]
        return as_sdk(value)

    return strategy.map(convert)
