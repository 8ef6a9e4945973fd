"""What the simulated model does in a run: a small, typed scripting API.

A script is either a sequence of actions, taken in order (the run completes after
the last one), or a callable that receives a :class:`ScriptContext` (the thread's
messages and the tool outputs submitted so far) and returns the next action, or
``None`` to finish the run.

Actions (every one takes an optional simulated ``duration`` in seconds and token
counts; ``None`` token counts are estimated from the text, about 4 bytes a token):

* :class:`Say`: write an assistant message (streamed as text deltas), optionally
  with :class:`Citation` annotations.
* :class:`CallFunctions`: call one or several functions in parallel
  (:class:`FunctionCall`); the run waits in ``requires_action`` for the outputs.
* :class:`CodeInterpreter`: run code (``input``) that prints ``logs``.
* :class:`FileSearch`: search the attached files (cite them in the next :class:`Say`).
* :class:`Fail`: the run fails with ``server_error``, ``rate_limit_exceeded`` or
  ``invalid_prompt``, optionally in the middle of another action (``during``) or
  while still queued (``in_queue``, an inferred edge).
* :class:`RunOutOfTokens`: the run ends ``incomplete`` (``max_completion_tokens``
  or ``max_prompt_tokens``), optionally cutting a :class:`Say` short.
* :class:`QueueDelay` / :class:`QueueStall`: the queue is slow / never starts the run
  (only where the run is queued: first, or right after a :class:`CallFunctions`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, cast

from .. import spec
from .._wire_shapes import DEFAULT_RANKER
from ._clock import MAX_TIME
from ._errors import ScriptError, describe

__all__ = [
    "ACTION_TYPES",
    "SCENARIO_KEY",
    "Action",
    "CallFunctions",
    "Citation",
    "CodeInterpreter",
    "Fail",
    "FileSearch",
    "FunctionCall",
    "QueueDelay",
    "QueueStall",
    "RunOutOfTokens",
    "Say",
    "Script",
    "ScriptAction",
    "ScriptContext",
    "SearchResult",
    "ToolOutput",
    "check_script",
    "check_writing",
    "estimate_tokens",
    "pauses",
    "step_action",
    "writes_message",
]


SCENARIO_KEY = "scenario_key"
"""The key of a field's ``metadata`` that gives its key in a scenario file (``None``: the format has none)."""


def estimate_tokens(text: str) -> int:
    """A rough token count for ``text``: one token per 4 bytes of UTF-8, at least 1."""
    return max(1, math.ceil(len(text.encode("utf-8")) / 4))


def _freeze(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _check_common(action: object) -> None:
    kind = type(action).__name__
    duration = getattr(action, "duration", 0)
    # A comparison, not math.isfinite (which overflows on a huge int); NaN fails it too.
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not -MAX_TIME <= duration <= MAX_TIME:
        raise ScriptError(f"{kind}: duration must be a number of seconds, got {describe(duration)}")
    if duration < 0:
        raise ScriptError(f"{kind}: duration must be >= 0, got {describe(duration)}")
    for name in ("prompt_tokens", "completion_tokens"):
        value = getattr(action, name, None)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ScriptError(f"{kind}: {name} must be a non-negative int or None, got {describe(value)}")


def _check_text(kind: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ScriptError(f"{kind}: {name} must be a string, got {type(value).__name__} {describe(value)}")


class ScriptAction:
    """What every script action declares; the simulators act on these declarations, not on the class.

    A new kind of action subclasses this (as a frozen dataclass with slots) and declares what differs
    from the defaults below.  Its payload is read by the handler its declarations choose: a step
    writing a message reads ``text`` and ``citations``; a run ended by ``fail`` reads ``code`` and
    ``error_message``; one ended by ``run_out_of_tokens`` reads ``reason``.

    In a scenario file an action is a table holding its ``KEY`` (``{ say = "Hi", duration = 2 }``),
    whose value is its ``KEY_FIELD`` (``KEY_VALUE`` when it has none), and its other fields under their
    names, or under the key a field's ``metadata`` gives as ``SCENARIO_KEY`` (``None``: the format has no
    syntax for it; a value other than its default is refused when written).
    """

    __slots__ = ()

    KEY: ClassVar[str] = ""  # its key in a scenario file's script table; "" for none
    KEY_FIELD: ClassVar[str | None] = None  # the field its KEY's value gives (None: its first without a default; "": none)
    KEY_VALUE: ClassVar[object] = True  # its KEY's value when that gives no field (file_search = true, queue = "stall")
    TOOL: ClassVar[str] = ""  # the tool type (as API v2 names it) its step uses; "" for none
    STEP: ClassVar[str] = ""  # the run step type it creates; "" when it creates none of its own
    ENDS: ClassVar[str] = ""  # the run trigger that ends the run after ``duration``; "" when the run goes on
    in_queue: bool = False  # it acts while the run is queued (before it starts), not while it works
    during: StepAction | None = None  # the action it interrupts (its step is created, then ends with the run)

    @property
    def duration(self) -> float:
        """Seconds it takes: the model working, or the queue holding the run before it starts (or ends)."""
        return 0

    @property
    def call_count(self) -> int:
        """How many tool calls its step holds."""
        return 1 if self.TOOL else 0


@dataclass(frozen=True, slots=True)
class Citation:
    """A file citation inside a :class:`Say` text.

    ``marker`` is the text the annotation covers (e.g. ``"【4:0†source】"``); it must
    occur in the message.  ``file_id`` defaults to the first file attached to a
    message of the thread.
    """

    marker: str
    file_id: str | None = None

    def __post_init__(self) -> None:
        _check_text("Citation", "marker", self.marker)
        if not self.marker:
            raise ScriptError("Citation: marker must not be empty")
        if self.file_id is not None:
            _check_text("Citation", "file_id", self.file_id)


@dataclass(frozen=True, slots=True)
class Say(ScriptAction):
    """Write an assistant message with ``text`` over ``duration`` seconds."""

    KEY: ClassVar[str] = "say"
    STEP: ClassVar[str] = spec.STEP_MESSAGE_CREATION

    text: str
    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    citations: tuple[Citation, ...] = field(default=(), metadata={SCENARIO_KEY: "cite"})
    estimate: int = field(init=False, repr=False, compare=False, default=0)
    """Completion tokens when ``completion_tokens`` is None (estimated from the text)."""

    def __post_init__(self) -> None:
        _check_text("Say", "text", self.text)
        _freeze(self, "estimate", estimate_tokens(self.text))
        _check_common(self)
        cites = tuple(self.citations)
        for c in cites:
            if not isinstance(c, Citation):
                raise ScriptError(f"Say: citations must be Citation objects, got {describe(c)}")
            if c.marker not in self.text:
                raise ScriptError(f"Say: citation marker {c.marker!r} does not occur in the text {self.text!r}")
        _freeze(self, "citations", cites)


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """One function call: ``name`` and its ``arguments`` (a JSON string, or a mapping encoded as JSON)."""

    name: str
    arguments: str = "{}"

    def __init__(self, name: str, arguments: str | Mapping[str, Any] = "{}") -> None:
        _check_text("FunctionCall", "name", name)
        if not name:
            raise ScriptError("FunctionCall: name must not be empty")
        if isinstance(arguments, Mapping):
            try:
                arguments = json.dumps(dict(arguments), ensure_ascii=False)
            except (TypeError, ValueError) as exc:
                raise ScriptError(f"FunctionCall {name}: arguments are not JSON-serialisable: {exc}") from None
        elif isinstance(arguments, str):
            try:
                json.loads(arguments)
            except ValueError as exc:
                raise ScriptError(f"FunctionCall {name}: arguments must be JSON text: {exc}: {describe(arguments)}") from None
        else:
            raise ScriptError(f"FunctionCall {name}: arguments must be a JSON string or a mapping, got {describe(arguments)}")
        _freeze(self, "name", name)
        _freeze(self, "arguments", arguments)


@dataclass(frozen=True, slots=True)
class CallFunctions(ScriptAction):
    """Call one or several functions in parallel; the run then waits in ``requires_action``.

    ``duration`` is how long the model takes to emit the calls.
    """

    KEY: ClassVar[str] = "call"
    TOOL: ClassVar[str] = spec.PAUSING_TOOL_CALL_TYPE
    STEP: ClassVar[str] = spec.STEP_TOOL_CALLS

    calls: tuple[FunctionCall, ...]
    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    estimate: int = field(init=False, repr=False, compare=False, default=0)
    """Completion tokens when ``completion_tokens`` is None (estimated from names and arguments)."""

    def __post_init__(self) -> None:
        calls = (self.calls,) if isinstance(self.calls, FunctionCall) else tuple(self.calls)
        if not calls:
            raise ScriptError("CallFunctions: give at least one FunctionCall")
        for c in calls:
            if not isinstance(c, FunctionCall):
                raise ScriptError(f"CallFunctions: calls must be FunctionCall objects, got {describe(c)}")
        _freeze(self, "calls", calls)
        _freeze(self, "estimate", sum(estimate_tokens(c.name + c.arguments) for c in calls))
        _check_common(self)

    @property
    def call_count(self) -> int:
        return len(self.calls)


@dataclass(frozen=True, slots=True)
class CodeInterpreter(ScriptAction):
    """Run ``input`` in the code interpreter for ``duration`` seconds; it prints ``logs``.

    ``images``: the images it draws (their bytes, e.g. PNG): each becomes a file the
    simulator holds (purpose ``assistants_output``) and an ``image`` output of the call,
    before the ``logs`` output, as recorded.
    """

    KEY: ClassVar[str] = "code"
    TOOL: ClassVar[str] = "code_interpreter"
    STEP: ClassVar[str] = spec.STEP_TOOL_CALLS

    input: str
    logs: str = ""
    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    images: tuple[bytes, ...] = field(default=(), metadata={SCENARIO_KEY: None})
    estimate: int = field(init=False, repr=False, compare=False, default=0)
    """Completion tokens when ``completion_tokens`` is None (estimated from the code)."""

    def __post_init__(self) -> None:
        _check_text("CodeInterpreter", "input", self.input)
        _freeze(self, "estimate", estimate_tokens(self.input))
        _check_text("CodeInterpreter", "logs", self.logs)
        images = self.images
        if isinstance(images, (bytes, str)) or not isinstance(images, (tuple, list)) \
                or not all(isinstance(i, (bytes, bytearray)) for i in images):
            raise ScriptError(f"CodeInterpreter: images must be a sequence of bytes (one per image), got {images!r:.80}")
        _freeze(self, "images", tuple(bytes(i) for i in images))
        _check_common(self)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One chunk a :class:`FileSearch` finds: in the file ``file_id`` (one the simulator holds), with ``score``."""

    file_id: str
    text: str = ""
    score: float = 1.0

    def __post_init__(self) -> None:
        _check_text("SearchResult", "file_id", self.file_id)
        _check_text("SearchResult", "text", self.text)
        score = self.score
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ScriptError(f"SearchResult: score must be a number from 0 to 1, got {score!r:.40}")


@dataclass(frozen=True, slots=True)
class FileSearch(ScriptAction):
    """Search the files for ``duration`` seconds (no pause; cite the result in a following :class:`Say`).

    ``results``: the chunks found (:class:`SearchResult`), shown in the completed step
    with each file's name and score; their text only when the request asked for it
    (``include[]=step_details.tool_calls[*].file_search.results[*].content``).
    ``ranker`` and ``score_threshold`` are the ``ranking_options`` the step reports.
    """

    KEY: ClassVar[str] = "file_search"
    TOOL: ClassVar[str] = "file_search"
    STEP: ClassVar[str] = spec.STEP_TOOL_CALLS

    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    results: tuple[SearchResult, ...] = field(default=(), metadata={SCENARIO_KEY: None})
    ranker: str = field(default=DEFAULT_RANKER, metadata={SCENARIO_KEY: None})
    score_threshold: float = field(default=0.0, metadata={SCENARIO_KEY: None})
    estimate: int = field(init=False, repr=False, compare=False, default=0)
    """Completion tokens when ``completion_tokens`` is None (none: the search writes no text)."""

    def __post_init__(self) -> None:
        _check_common(self)
        results = self.results
        if not isinstance(results, (tuple, list)) or not all(isinstance(r, SearchResult) for r in results):
            raise ScriptError(f"FileSearch: results must be a sequence of SearchResult, got {results!r:.80}")
        _freeze(self, "results", tuple(results))
        _check_text("FileSearch", "ranker", self.ranker)
        threshold = self.score_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ScriptError(f"FileSearch: score_threshold must be a number from 0 to 1, got {threshold!r:.40}")


StepAction = Say | CallFunctions | CodeInterpreter | FileSearch


def check_writing(kind: str, during: object) -> None:
    """Raise unless ``during`` (when given) is an action that writes a message."""
    if during is not None and (not isinstance(during, ScriptAction) or not writes_message(during)):
        raise ScriptError(f"{kind}: during must be a Say, got {describe(during)}")


@dataclass(frozen=True, slots=True)
class Fail(ScriptAction):
    """The run fails with ``code`` after ``duration`` seconds.

    ``during``: the model had started this action (its step is created, then fails
    with the run; a message being written ends ``incomplete``).  ``in_queue``: the run
    fails before it starts (``queued -> failed``, an inferred edge: needs
    ``SimConfig(inferred=True)``; put it first, or right after a :class:`CallFunctions`).
    """

    KEY: ClassVar[str] = "fail"
    KEY_FIELD: ClassVar[str | None] = "code"
    ENDS: ClassVar[str] = "fail"

    code: str = "server_error"
    message: str | None = None
    duration: float = 0
    during: StepAction | None = None
    in_queue: bool = False

    def __post_init__(self) -> None:
        if self.code not in spec.RUN_ERROR_CODES:
            raise ScriptError(f"Fail: unknown error code {describe(self.code)}; known: {', '.join(spec.RUN_ERROR_CODES)}")
        if self.message is not None:
            _check_text("Fail", "message", self.message)
        _check_common(self)
        if self.during is not None:
            if not isinstance(self.during, ScriptAction) or not self.during.STEP:
                raise ScriptError(f"Fail: during must be an action with a step of its own (Say, CallFunctions, "
                                  f"CodeInterpreter, FileSearch), got {describe(self.during)}")
            if self.code not in spec.STEP_ERROR_CODES:
                raise ScriptError(
                    f"Fail: a run step cannot fail with {describe(self.code)} (steps know {', '.join(spec.STEP_ERROR_CODES)}); "
                    "fail the run before any step instead (no 'during')"
                )
        if self.in_queue and self.during is not None:
            raise ScriptError("Fail: a run that fails in the queue has no step; drop 'during' or 'in_queue'")

    @property
    def error_message(self) -> str:
        """The ``last_error.message`` the run gets."""
        return self.message if self.message is not None else f"Simulated {self.code}."


@dataclass(frozen=True, slots=True)
class RunOutOfTokens(ScriptAction):
    """The run ends ``incomplete`` with ``reason`` after ``duration`` seconds.

    ``during``: the message being written when the budget ran out (it ends
    ``incomplete``, reason ``max_tokens``, with the part written so far).
    """

    KEY: ClassVar[str] = "run_out_of_tokens"
    KEY_FIELD: ClassVar[str | None] = "reason"
    ENDS: ClassVar[str] = "run_out_of_tokens"

    reason: str = "max_completion_tokens"
    duration: float = 0
    during: Say | None = None

    def __post_init__(self) -> None:
        if self.reason not in spec.RUN_INCOMPLETE_REASONS:
            raise ScriptError(
                f"RunOutOfTokens: unknown reason {describe(self.reason)}; known: {', '.join(spec.RUN_INCOMPLETE_REASONS)}"
            )
        check_writing("RunOutOfTokens", self.during)
        _check_common(self)


@dataclass(frozen=True, slots=True)
class QueueDelay(ScriptAction):
    """The queue takes ``seconds`` (instead of ``SimConfig.queue_latency``) to start the run."""

    KEY: ClassVar[str] = "queue"
    in_queue = True

    seconds: float

    @property
    def duration(self) -> float:
        return self.seconds

    def __post_init__(self) -> None:
        seconds = self.seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not -MAX_TIME <= seconds <= MAX_TIME:
            raise ScriptError(f"QueueDelay: seconds must be a number, got {describe(self.seconds)}")
        if self.seconds < 0:
            raise ScriptError(f"QueueDelay: seconds must be >= 0, got {describe(self.seconds)}")


@dataclass(frozen=True, slots=True)
class QueueStall(ScriptAction):
    """The queue never starts the run: it stays ``queued`` until it expires (or is cancelled).

    ``queued -> expired`` is an inferred edge: needs ``SimConfig(inferred=True)``.
    """

    KEY: ClassVar[str] = "queue"
    KEY_VALUE: ClassVar[object] = "stall"  # queue = "stall"; a number is a QueueDelay's seconds
    ENDS: ClassVar[str] = "expire"
    in_queue = True

    @property
    def duration(self) -> float:
        return math.inf  # the deadline comes first


Action = Say | CallFunctions | CodeInterpreter | FileSearch | Fail | RunOutOfTokens | QueueDelay | QueueStall
ACTION_TYPES: tuple[type[ScriptAction], ...] = (  # the built-in kinds (any ScriptAction subclass is an action)
    Say, CallFunctions, CodeInterpreter, FileSearch, Fail, RunOutOfTokens, QueueDelay, QueueStall,
)


class ToolOutput(NamedTuple):
    """A function call of this run and the output the client submitted for it."""

    call_id: str
    name: str
    arguments: str
    output: str


@dataclass(frozen=True, slots=True)
class ScriptContext:
    """What a callable script sees before choosing its next action."""

    run_id: str
    thread_id: str
    assistant_id: str
    messages: tuple[dict[str, Any], ...]
    """The thread's messages, oldest first, as the API returns them."""
    tool_outputs: tuple[ToolOutput, ...]
    """The outputs submitted in this run so far, in submission order."""
    actions_done: int
    """How many actions this run has taken so far."""

    @property
    def last_user_text(self) -> str:
        """The text of the newest user message ('' if none)."""
        for m in reversed(self.messages):
            if m.get("role") == "user":
                return "".join(
                    part["text"]["value"] for part in m.get("content", ()) if part.get("type") == "text"
                )
        return ""


Script = Sequence[Action] | Callable[[ScriptContext], Action | None]


def check_script(script: object) -> Script:
    """Return ``script`` (a tuple for sequences) or raise :class:`ScriptError` saying what is wrong."""
    if callable(script) and not isinstance(script, (list, tuple)):
        return cast(Script, script)
    if isinstance(script, (str, bytes)) or not isinstance(script, Sequence):
        raise ScriptError(
            f"a script is a sequence of actions or a callable returning the next action, got {type(script).__name__}"
        )
    actions = tuple(script)
    for i, a in enumerate(actions):
        if not isinstance(a, ScriptAction):
            raise ScriptError(f"script action {i} is not an action (Say, CallFunctions, ...): {describe(a)}")
        if a.in_queue and i and not pauses(actions[i - 1]):
            raise ScriptError(
                f"script action {i} ({type(a).__name__}) acts on the queue: put it first, or right after a "
                "CallFunctions (the only places a run is queued)"
            )
    return actions


def step_action(action: Action) -> Action:
    """The action whose step a script action makes: Fail and RunOutOfTokens act through the one they interrupt."""
    during = action.during
    return during if during is not None else action


def pauses(action: ScriptAction) -> bool:
    """True for an action after which the run waits for tool outputs (and is queued again when they come)."""
    return action.TOOL == spec.PAUSING_TOOL_CALL_TYPE


def writes_message(action: ScriptAction) -> bool:
    """True for an action whose step writes an assistant message (it has ``text`` and ``citations``)."""
    return action.STEP == spec.STEP_MESSAGE_CREATION
