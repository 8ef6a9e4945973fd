"""Recognise the API's lifecycle refusals (LIFECYCLE.md section 5) in HTTP 400 answers.

A refusal is the server enforcing the lifecycle against the *client*: adding a
message or a run while a run is active, submitting tool outputs to a run that is
not waiting for them (or not for all of them), cancelling a finished run.  The
message templates come from ``spec.REFUSAL_ROWS``; each becomes a ``client.<key>``
finding that names the run, so a log shows which client step broke the rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import spec
from ._findings import ERROR, Finding

__all__ = ["match_refusal", "refusal_finding", "template_patterns"]

_DID = {r.key: r.client_did for r in spec.REFUSAL_ROWS}
_RUN_IN_PATH = re.compile(r"/runs/([^/]+)")
_THREAD_IN_PATH = re.compile(r"/threads/([^/]+)")


def template_patterns(template: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """A refusal template as a full-match pattern (its fields as named groups), and its literal head alone."""
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    head = parts[0].rstrip()
    # The doc knows some messages only by how they start: accept the literal head alone too.
    prefix = re.compile(re.escape(head)) if len(parts) > 1 and len(head) >= 12 else None
    return re.compile(pattern + r"\Z"), prefix


_TEMPLATES = {r.key: template_patterns(r.template) for r in spec.REFUSAL_ROWS}


def match_refusal(message: str) -> tuple[str, dict[str, str]] | None:
    """``(refusal key, fields)`` when ``message`` is one of the API's lifecycle refusals."""
    for key, (full, _) in _TEMPLATES.items():
        m = full.match(message)
        if m is not None:
            return key, {k: v.strip("'\"") for k, v in m.groupdict().items()}
    for key, (_, prefix) in _TEMPLATES.items():
        if prefix is not None and prefix.match(message):
            return key, {}
    return None


def refusal_finding(body: Any, path: str, *, source: str | None = None, index: int | None = None) -> Finding | None:
    """The finding for an HTTP 400 answer ``body`` to a request on ``path``, if it is a lifecycle refusal."""
    error = body.get("error") if isinstance(body, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    if not isinstance(message, str) or len(message) > 1000:
        return None
    hit = match_refusal(message)
    if hit is None:
        return None
    key, fields = hit
    run = _RUN_IN_PATH.search(path)
    thread = _THREAD_IN_PATH.search(path)
    object_id = fields.get("run_id") or (run.group(1) if run else None) or fields.get("thread_id") or (
        thread.group(1) if thread else None)
    did = _DID.get(key, "did something the lifecycle does not allow")
    # Quote the server's words whole (they name thread and run); only a runaway message is cut.
    quoted = message if len(message) <= 300 else message[:297] + "..."
    return Finding(f"client.{key}", ERROR, f"the client {did}; the API refused it: {quoted!r}",
                   object_id, "run", source, None, index, None)
