"""One log, two protocols: Assistants records to the Assistants tracker, Responses records to its own.

A record is told apart by content: an object whose ``object`` is ``"response"``,
an event whose name (or ``type``) starts with ``"response."``, and an ``error``
event on a stream that already carries Responses events belong to the Responses
API; everything else is read as before.  The findings of both land in one
report, in input order.
"""

from __future__ import annotations

from typing import Any

from ..responses_spec import EVENT_ERROR, EVENT_PREFIX
from ._findings import Finding, Report
from ._responses import ResponsesTracker, is_responses_record
from ._state import Where
from ._tracker import Tracker

__all__ = ["MixedTracker"]

_PREFIX = EVENT_PREFIX + "."


class MixedTracker(Tracker):
    """A :class:`~runfsm.validate.Tracker` that hands Responses records to a :class:`ResponsesTracker`."""

    _responses: ResponsesTracker | None = None

    def _other(self) -> ResponsesTracker:
        if self._responses is None:
            self._responses = ResponsesTracker(strict=self.strict)
        return self._responses

    def _take(self, found: list[Finding]) -> None:
        for f in found:
            self._add(f)
        assert self._responses is not None
        self._responses.findings.clear()  # kept here, once

    def _dispatch(self, value: Any, where: Where, after: int) -> None:
        if is_responses_record(value):
            r = self._other()
            r.continue_at(where.idx)
            source = where.source
            if value.get("object") is None:  # an event object of a JSON Lines log: one stream per file
                self._take(r.feed_event(value["type"], value, stream=("file", source), source=source,
                                        line=where.line))
            else:
                self._take(r.feed(value, source=source, line=where.line))
            return
        super()._dispatch(value, where, after)

    def _event(self, name: str | None, data: object, where: Where, key: object, after: int | None,
               flagged: bool) -> None:
        r = self._responses
        if name.__class__ is str and (name.startswith(_PREFIX) or (
                name == EVENT_ERROR and r is not None and r.streaming(key))):
            r = self._other()
            r.continue_at(where.idx)
            self._take(r.feed_event(name, data, stream=key, source=where.source, line=where.line))
            return
        super()._event(name, data, where, key, after, flagged)

    def end_stream(self, stream: object = None, *, source: str | None = None) -> list[Finding]:
        out = super().end_stream(stream, source=source)
        if self._responses is not None:
            self._responses.continue_at(self._count)  # its findings take the index the log has reached
            more = self._responses.end_stream(stream, source=source)
            self._responses.findings.clear()
            self.findings.extend(more)
            out += more
        return out

    def close(self, *, source: str | None = None) -> list[Finding]:
        out = super().close(source=source)
        if self._responses is not None:
            self._responses.continue_at(self._count)
            more = self._responses.close(source=source)
            self._responses.findings.clear()
            self.findings.extend(more)
            out += more
        return out

    def responses_report(self) -> Report | None:
        """What the Responses records gave, or None when there were none."""
        return self._responses.report() if self._responses is not None else None

    def report(self) -> Report:
        report = super().report()
        if self._responses is not None:
            other = self._responses.report()
            report.histories.update(other.histories)
            report.transitions.update(other.transitions)
        return report
