"""One HTTP answer to a tracker: which kind it is (a JSON object, a stream of events, a refusal) and how it is fed.

Written once for everything that reads answers: the live-client guards (openai
and Azure), which feed bodies as the SDK reads them, and the reader of the
Azure test proxy's recordings, which feeds whole bodies.  Imports no HTTP
library and nothing of the guard.
"""

from __future__ import annotations

from typing import Literal

from ._findings import Finding, InputError
from ._reader import SSEDecoder, loads
from ._refusals import refusal_finding
from ._tracker import Tracker

__all__ = ["REFUSAL_STATUS", "Kind", "StreamCheck", "answer_kind", "check_answer", "check_refusal"]

REFUSAL_STATUS = 400
"""The HTTP status of the API's lifecycle refusals (LIFECYCLE.md section 5)."""

Kind = Literal["json", "stream", "refusal"]


def answer_kind(status: int, content_type: str) -> Kind | None:
    """How an answer is checked: a refusal (HTTP 400), a stream or a JSON body (2xx); ``None``: not at all.

    Errors other than refusals are the client's business: they carry no object of the lifecycle.
    """
    if status == REFUSAL_STATUS:
        return "refusal"
    if not 200 <= status < 300:
        return None
    ctype = content_type.lower()
    if "text/event-stream" in ctype:
        return "stream"
    if "json" in ctype:
        return "json"
    return None


def check_refusal(tracker: Tracker, body: object, path: str, source: str) -> list[Finding]:
    """Record a lifecycle refusal (a JSON value, or its bytes or text) as a ``client.*`` finding naming the run."""
    if isinstance(body, (bytes, bytearray, str)):
        try:
            body = loads(body)
        except InputError:  # not JSON: not one of the API's refusals
            return []
    finding = refusal_finding(body, path, source=source, index=tracker.mark())
    if finding is None:
        return []
    tracker.findings.append(finding)
    return [finding]


class StreamCheck:
    """One streamed answer, fed to ``tracker`` as its bytes arrive; ends once, whatever calls :meth:`end`."""

    def __init__(self, tracker: Tracker, key: object, source: str, *, after: int | None = None) -> None:
        self.tracker = tracker
        self.key = key
        self.source = source
        self._decoder = SSEDecoder(source)
        self._ended = False
        tracker.begin_stream(key, after=after, single=True)

    def feed(self, chunk: bytes) -> list[Finding]:
        """The events completed by ``chunk``, checked."""
        if self._ended:
            return []
        return self.tracker.feed_items(self._decoder.feed_bytes(chunk), source=self.source, stream=self.key)

    def end(self, complete: bool) -> list[Finding]:
        """The stream is over: read to its end (``complete``), or dropped by the reader (its last event unchecked)."""
        if self._ended:
            return []
        self._ended = True
        tracker = self.tracker
        found = tracker.feed_items(self._decoder.close(), source=self.source, stream=self.key) if complete else []
        return found + tracker.end_stream(self.key, source=self.source)


def check_answer(tracker: Tracker, kind: Kind, body: object, path: str, source: str, *, key: object = None,
                 after: int | None = None) -> list[Finding]:
    """A whole answer of ``kind`` (its bytes, or for JSON its value) fed to ``tracker``; ``key`` names a stream."""
    if kind == "refusal":
        return check_refusal(tracker, body, path, source)
    if kind == "stream":
        # a lone surrogate (escaped in a recording's JSON) stays bytes the SSE reader reports, not an encoding crash
        data = body if isinstance(body, bytes) else str(body).encode("utf-8", "surrogatepass")
        stream = StreamCheck(tracker, key, source, after=after)
        return stream.feed(data) + stream.end(True)
    return tracker.feed(body, source=source, after=after)
