"""Server-sent event streams of simulated runs (LIFECYCLE.md section 6).

The engine appends ``(event, data)`` pairs to a run's :class:`Sink` as the simulated
server sends them (each also goes into the simulator's trace at that moment, so the
trace stays in time order however late the client reads); an :class:`EventStream`
hands them out, driving the clock forward (one scheduled action at a time) while it
waits.  The engine ends a stream with ``done`` right after the event of the run
reaching ``requires_action`` or a terminal status, and detaches the sink.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from .._wire_shapes import DONE_DATA
from .._wire_shapes import EventOrder as EventNames
from ._clock import Clock
from ._errors import SimError
from ._records import Run

__all__ = ["DONE_DATA", "EventNames", "EventStream", "Sink", "StreamEvent", "sse_text"]

StreamEvent = tuple[str, Any]
"""``(event name, data)``: data is a wire dict, or ``"[DONE]"`` for ``done``."""


class Sink(deque[StreamEvent]):
    """The events sent on one stream and not yet read; each is traced as it is sent.

    Trace records are ``{"event": name, "data": data, "stream": number}``: ``number``
    tells the streams of one simulation apart when a client reads several at once.
    """

    __slots__ = ("number", "trace")

    def __init__(self, number: int, trace: list[Any] | None) -> None:
        super().__init__()
        self.number = number
        self.trace = trace

    def append(self, event: StreamEvent) -> None:
        deque.append(self, event)
        if self.trace is not None:
            self.trace.append({"event": event[0], "data": event[1], "stream": self.number})


class EventStream(Iterator[StreamEvent]):
    """The events of one streamed request, ending with ``("done", "[DONE]")``.

    Iterating runs the simulation forward on the clock until the run pauses or ends.
    Closing the stream early does not cancel the run (a stream cut off, say by
    deleting its thread, just stops, without ``done``).
    """

    __slots__ = ("_buf", "_clock", "_finished", "_lock", "_run")

    def __init__(self, clock: Clock, run: Run, buf: Sink) -> None:
        self._clock = clock
        self._lock = clock.lock  # reading moves the shared clock: one reader (or simulator call) at a time
        self._run = run
        self._buf = buf
        self._finished = False

    @property
    def run_id(self) -> str:
        """The id of the streamed run."""
        return self._run.id

    @property
    def number(self) -> int:
        """This stream's number in its simulation (1, 2, ...), as in the trace."""
        return self._buf.number

    @property
    def finished(self) -> bool:
        """True once the stream has handed out its last event (or was closed)."""
        return self._finished

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> StreamEvent:
        with self._lock:
            buf = self._buf
            while not buf:
                if self._finished or self._run.sink is not buf:  # done was sent (or the stream was cut)
                    self._finished = True
                    raise StopIteration
                if not self._clock.run_next():
                    self.close()
                    raise SimError(
                        f"run {self._run.id} is {self._run.status!r} but nothing is scheduled on the clock; "
                        "the stream cannot make progress"
                    )
            return buf.popleft()

    def available(self) -> list[StreamEvent]:
        """The events already sent, without moving the clock."""
        with self._lock:
            out = list(self._buf)
            self._buf.clear()
            if self._run.sink is not self._buf:
                self._finished = True
            return out

    def close(self) -> None:
        """Stop listening (the run goes on without a stream); unread events are dropped."""
        with self._lock:
            if self._run.sink is self._buf:
                self._run.sink = None
            self._buf.clear()
            self._finished = True


def sse_text(events: Iterable[StreamEvent]) -> str:
    """The events as the API sends them over HTTP: ``event: name`` and ``data: json`` lines, blank-line separated."""
    parts = []
    for name, data in events:
        payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"event: {name}\ndata: {payload}\n\n")
    return "".join(parts)
