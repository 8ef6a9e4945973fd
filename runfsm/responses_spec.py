"""The Responses API background-mode lifecycle, declared once, as data.

The second protocol on the engine of :mod:`runfsm._rows`: one object kind, the
response, laid out like the tables of ``docs/responses.md`` (section numbers
below refer to it) so the two can be audited side by side; a test holds them
together row by row.

Grades are the engine's (``doc``, ``wire``, ``inferred``).  ``doc`` here covers
OpenAI's API reference and background-mode guide, and the openai SDK's models
(generated from the same API specification: ``ResponseStatus``, the stream
event types and their fields).  No fact here is graded ``wire``: nothing was
recorded live.  Two kinds of fact do not fit a :class:`TransitionRow` and are
declared in tables of their own below: a status observed after a terminal one
(the engine keeps terminal statuses absorbing), and refusals that depend on how
a response was created or how old it is (the engine's refusal conditions ask
only about status classes, see section 5).
"""

from __future__ import annotations

from typing import NamedTuple

from ._rows import ACTIVE, TERMINAL, FieldRule, ObjectSpec, Protocol, RefusalRow, StatusRow, TransitionRow

__all__ = ["PROTOCOL", "RESPONSE", "ObservedMove"]

# --- 1. Statuses ----------------------------------------------------------------------

STATUSES = (
    #        status          class
    StatusRow("queued",       ACTIVE),
    StatusRow("in_progress",  ACTIVE),
    StatusRow("completed",    TERMINAL),
    StatusRow("failed",       TERMINAL),
    StatusRow("cancelled",    TERMINAL),
    StatusRow("incomplete",   TERMINAL),
)
INITIAL = "queued"  # a background response is created queued (a foreground one is first seen in_progress)
POLL_WHILE = ("queued", "in_progress")  # "keep polling while queued or in_progress" (doc: background guide)

# --- 2. Transitions ---------------------------------------------------------------------

# Trigger names are the Assistants ones where the cause is the same, so a script step
# (say, fail, run out of tokens) names the same trigger in both protocols.
TRANSITIONS = (
    #             trigger              source         dest           actor     evidence  source reference
    TransitionRow("start",             "queued",      "in_progress", "server", "doc",    "background guide: queued, then in_progress"),
    TransitionRow("complete",          "in_progress", "completed",   "server", "doc",    "background guide; ResponseStatus"),
    TransitionRow("fail",              "in_progress", "failed",      "server", "doc",    "Response.error; response.failed event"),
    TransitionRow("run_out_of_tokens", "in_progress", "incomplete",  "server", "doc",    "incomplete_details.reason max_output_tokens"),
    TransitionRow("filter_content",    "in_progress", "incomplete",  "server", "doc",    "incomplete_details.reason content_filter"),
    TransitionRow("cancel",            "queued",      "cancelled",   "client", "doc",    "cancel reference: POST /v1/responses/{id}/cancel"),
    TransitionRow("cancel",            "in_progress", "cancelled",   "client", "doc",    "cancel reference: POST /v1/responses/{id}/cancel"),
)


class ObservedMove(NamedTuple):
    """A status read after a terminal one, reported in practice: accepted in tolerant mode only."""

    source: str
    dest: str
    grade: str  # "observed": reported by users of the API, neither documented nor recorded here
    why: str
    source_ref: str


# The engine keeps terminal statuses absorbing, so this is no TransitionRow: the Responses
# tracker reads it, as info in tolerant mode and as terminal_left in strict mode.
OBSERVED_MOVES = (
    ObservedMove("cancelled", "completed", "observed", "a cancel lost the race with completion",
                 "public reports of background cancels later read as completed"),
)

# --- 3. Fields by status ----------------------------------------------------------------

FIELD_RULES = (
    #         code                           field                 kind       statuses         evidence  disputed  why
    FieldRule("response.error",              "error",              "exactly", ("failed",),     "doc",    False, "error is set exactly when the response failed"),
    FieldRule("response.incomplete_details", "incomplete_details", "exactly", ("incomplete",), "doc",    False, "incomplete_details is set exactly when the response is incomplete"),
    FieldRule("response.completed_at",       "completed_at",       "null_outside", ("completed",), "doc", False, "completed_at is only present when the response is completed"),
)
INCOMPLETE_REASONS = ("max_output_tokens", "content_filter")  # doc: IncompleteDetails.reason
# Which trigger ends a response incomplete for which reason.
REASON_BY_TRIGGER = {"run_out_of_tokens": "max_output_tokens", "filter_content": "content_filter"}
IMMUTABLE_FIELDS = ("id", "created_at", "background", "previous_response_id", "model")

# --- 4. Streaming -----------------------------------------------------------------------

EVENT_PREFIX = "response"
EVENT_CREATED = "response.created"
# Status events the API streams; there is no response.cancelled event (a webhook only).
STREAMED_STATUSES = ("queued", "in_progress", "completed", "failed", "incomplete")
TERMINAL_EVENTS = ("response.completed", "response.failed", "response.incomplete")
EVENT_ERROR = "error"
# The stream events that carry no response object: output items, parts, deltas, tool progress.
# doc: the openai SDK's ResponseStreamEvent union (every member has sequence_number).
ITEM_EVENTS = (
    "response.output_item.added", "response.output_item.done",
    "response.content_part.added", "response.content_part.done",
    "response.output_text.delta", "response.output_text.done", "response.output_text.annotation.added",
    "response.refusal.delta", "response.refusal.done",
    "response.function_call_arguments.delta", "response.function_call_arguments.done",
    "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
    "response.reasoning_summary_part.added", "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
    "response.reasoning_text.delta", "response.reasoning_text.done",
    "response.audio.delta", "response.audio.done", "response.audio.transcript.delta", "response.audio.transcript.done",
    "response.code_interpreter_call_code.delta", "response.code_interpreter_call_code.done",
    "response.code_interpreter_call.in_progress", "response.code_interpreter_call.interpreting",
    "response.code_interpreter_call.completed",
    "response.file_search_call.in_progress", "response.file_search_call.searching",
    "response.file_search_call.completed",
    "response.web_search_call.in_progress", "response.web_search_call.searching", "response.web_search_call.completed",
    "response.image_generation_call.in_progress", "response.image_generation_call.generating",
    "response.image_generation_call.partial_image", "response.image_generation_call.completed",
    "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done",
    "response.mcp_call.in_progress", "response.mcp_call.completed", "response.mcp_call.failed",
    "response.mcp_list_tools.in_progress", "response.mcp_list_tools.completed", "response.mcp_list_tools.failed",
    "response.shell_call_command.added", "response.shell_call_command.delta", "response.shell_call_command.done",
    "response.shell_call_output_content.delta", "response.shell_call_output_content.done",
    "response.compaction.compacting",
)
SEQUENCE_KEY = "sequence_number"  # doc: on every stream event, increasing within a stream

# --- 5. Windows and refusals ------------------------------------------------------------

RESUME_WINDOW_SECONDS = 300  # doc: a background stream cannot be resumed once the response is 5 minutes old
RETENTION_SECONDS = 600  # doc: background data is kept about 10 minutes for polling

# The engine's refusal conditions (runfsm._rows.REFUSAL_CONDITIONS) ask about the status class
# of a primary object and its container; these refusals ask how the response was created
# (background, store), how old it is, and where a cursor points.  They are rows of the same
# type with conditions of their own, evaluated by the simulator; they are not part of
# PROTOCOL.refusals, which only takes the engine's conditions.
REFUSAL_CONDITIONS = {
    "background_not_stored": "the request asks for background with store false",
    "not_background": "the response was not created with background true",
    "not_found": "no stored response has the id (unknown, never stored, or past retention)",
    "resume_too_old": "the response is older than the resume window",
    "cursor_past_end": "starting_after names a sequence number beyond the last event",
}
REFUSALS = (
    #          key                     operation  refused when              template                                                                      client did                                          evidence  source reference
    RefusalRow("background_needs_store", "create", "background_not_stored", "Background mode requires store=true.",                                         "asked for background mode with store=false",        "doc",     "background guide: background requires store=true"),
    RefusalRow("cancel_not_background",  "cancel", "not_background",        "Only responses created with background=true can be cancelled.",             "cancelled a response not created in background mode", "doc",    "cancel reference"),
    RefusalRow("resume_not_background",  "resume", "not_background",        "Only responses created with background=true can be streamed again.",         "resumed the stream of a foreground response",       "doc",     "background guide: resuming streams"),
    RefusalRow("resume_too_old",         "resume", "resume_too_old",        "The stream of this response can no longer be resumed.",                     "resumed a stream after the resume window",          "doc",     "background guide: resume within 5 minutes"),
    RefusalRow("resume_past_end",        "resume", "cursor_past_end",       "starting_after is beyond the last event of this response.",                  "resumed after a sequence number never sent",        "inferred", "a cursor names a sent event"),
    RefusalRow("response_not_found",     "retrieve", "not_found",           "Response with id '{run_id}' not found.",                                      "read a response that is unknown or no longer kept", "doc",     "retrieve reference; retention about 10 minutes"),
)
# A cancel of a background response that already ended: documented only by "cancelling twice is
# idempotent: later calls return the final object"; the simulator returns it (inferred), and offers
# what servers were seen to do instead.
CANCEL_FINISHED = ("return", "conflict", "refuse")  # 200 with the object (default), 409, 400
CANCEL_FINISHED_EVIDENCE = "inferred"

# --- the protocol, as one value ---------------------------------------------------------

RESPONSE = ObjectSpec("response", "response", "response", STATUSES, INITIAL, TRANSITIONS, FIELD_RULES,
                      EVENT_PREFIX, ("created",))
PROTOCOL = Protocol(name="responses", objects=(RESPONSE,))
