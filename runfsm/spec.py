"""The run, run-step and message lifecycles, declared once, as data.

Theory of operation
-------------------
Everything runfsm knows about the Assistants-style lifecycle is in the tables of
this module, and nowhere else.  They read like the tables of ``docs/LIFECYCLE.md``
(section numbers below refer to it) so a reviewer can audit them side by side.

* ``*_STATUSES``: every status, its class (active, paused, terminal) and the
  API version that introduced it.
* ``*_TRANSITIONS``: every legal status change, one row per (trigger, source):
  who causes it (client, server or clock), how sure we are of it (``doc``:
  OpenAI's reference or deep-dive page; ``wire``: recorded live traffic;
  ``inferred``: relied on by real clients, never documented or recorded) and
  where the fact comes from.  Strict mode accepts doc and wire rows only;
  tolerant mode also accepts inferred rows.
* ``*_FIELD_RULES``: which fields must be set or null in which statuses.  A rule
  the sources agree on is an error when broken; a ``disputed`` rule (the sources
  disagree) is a warning.
* ``held``: a row that held only for a while carries the dates it held, as
  ``"START..END"`` (UTC days, END excluded, either side open), optionally for one
  API version only (``"v1: ..2024-04-29"``); an empty ``held`` holds throughout.
  The dates split the timeline into periods, each compiled on its own, and an
  object is judged by the period its ``created_at`` falls in (section 7).
* The remaining tables are the value domains (error codes, incomplete reasons,
  tool call types by version), the wire keys and the API's refusal messages.

:mod:`runfsm.lifecycle` compiles these rows into frozenset and dict lookups
(checking the definition on the way) and everything else (the ``transitions``
machine, the validator, the simulator, the diagrams, the Hypothesis strategies
and the docs) is derived from the compiled tables.
"""

from __future__ import annotations

from ._rows import (
    ACTIVE,
    ACTORS,
    EVIDENCE,
    PAUSED,
    REFUSAL_CONDITIONS,
    TERMINAL,
    EventAlias,
    FieldRule,
    ObjectSpec,
    Protocol,
    RefusalRow,
    StatusRow,
    TransitionRow,
)

__all__ = [  # the row types and vocabulary come from the engine; the tables below are this protocol's
    "ACTIVE", "ACTORS", "EVIDENCE", "PAUSED", "PROTOCOL", "REFUSAL_CONDITIONS", "TERMINAL", "EventAlias",
    "FieldRule", "ObjectSpec", "Protocol", "RefusalRow", "StatusRow", "TransitionRow",
]

# --- versions ----------------------------------------------------------------------

VERSIONS = ("v1", "v2")
DEFAULT_VERSION = "v2"
# The first day each version was served (doc: launch announcements).  An object stamped
# before it is no recording of that version (a hand-written or synthetic trace): it is
# judged by today's rules, not by the rules of a day the version did not exist (section 7).
VERSION_FIRST_DAY = {"v1": "2023-11-06", "v2": "2024-04-17"}


# --- 1. Run statuses --------------------------------------------------------------

RUN_STATUSES = (
    #        status             class      since
    StatusRow("queued",          ACTIVE),
    StatusRow("in_progress",     ACTIVE),
    StatusRow("requires_action", PAUSED),
    StatusRow("cancelling",      ACTIVE),
    StatusRow("cancelled",       TERMINAL),
    StatusRow("failed",          TERMINAL),
    StatusRow("completed",       TERMINAL),
    StatusRow("incomplete",      TERMINAL, "v2", "2024-04-29.."),
    StatusRow("expired",         TERMINAL),
)
RUN_INITIAL = "queued"  # (create) -> queued: client, doc wire

# --- 2. Run transitions -----------------------------------------------------------

RUN_TRANSITIONS = (
    #             trigger                source             dest               actor     evidence     source reference
    TransitionRow("start",               "queued",          "in_progress",     "server", "doc wire",  "deep dive lifecycle; recordings"),
    TransitionRow("require_action",      "in_progress",     "requires_action", "server", "doc wire",  "deep dive lifecycle; recordings"),
    TransitionRow("submit_tool_outputs", "requires_action", "queued",          "client", "doc wire",  "submitToolOutputs reference; recordings"),
    TransitionRow("complete",            "in_progress",     "completed",       "server", "doc wire",  "deep dive lifecycle; recordings"),
    TransitionRow("fail",                "in_progress",     "failed",          "server", "doc",       "RunObject.last_error"),
    TransitionRow("run_out_of_tokens",   "in_progress",     "incomplete",      "server", "doc wire",  "deep dive token budgets; recordings", "v2", "2024-04-29.."),
    TransitionRow("run_out_of_tokens",   "in_progress",     "completed",       "server", "wire",      "recording 2024-04-27 (v1 and v2 headers): completed, with incomplete_details", "v1", "2024-04-17..2024-04-29"),
    TransitionRow("cancel",              "in_progress",     "cancelling",      "client", "doc",       "cancelRun reference"),
    TransitionRow("finish_cancel",       "cancelling",      "cancelled",       "server", "doc",       "deep dive lifecycle"),
    TransitionRow("expire",              "requires_action", "expired",         "clock",  "doc",       "deep dive: outputs not submitted before expires_at"),
    TransitionRow("expire",              "in_progress",     "expired",         "clock",  "doc",       "deep dive: run ran past expires_at"),
    TransitionRow("cancel",              "queued",          "cancelling",      "client", "inferred",  "clients do it; reference says in_progress"),
    TransitionRow("cancel",              "requires_action", "cancelling",      "client", "inferred",  "clients cancel instead of submitting"),
    TransitionRow("expire",              "queued",          "expired",         "clock",  "inferred",  "plausible: deadline passes in the queue"),
    TransitionRow("fail",                "queued",          "failed",          "server", "inferred",  "e.g. rate limit before start"),
    TransitionRow("complete",            "cancelling",      "completed",       "server", "inferred",  "cancel lost the race (not guaranteed)"),
    TransitionRow("fail",                "cancelling",      "failed",          "server", "inferred",  "cancel lost the race (not guaranteed)"),
    TransitionRow("expire",              "cancelling",      "expired",         "clock",  "inferred",  "cancel lost the race (not guaranteed)"),
)

# --- 3. Run fields by status ------------------------------------------------------

RUN_DEADLINE_SECONDS = 600  # expires_at == created_at + 600 while active (wire)
RUN_IMMUTABLE_FIELDS = ("id", "thread_id", "assistant_id", "created_at")  # doc wire
RUN_TIMESTAMPS = ("created_at", "started_at", "expires_at", "cancelled_at", "failed_at", "completed_at")

_TERMINAL_RUN = ("cancelled", "failed", "completed", "incomplete", "expired")
_ACTIVE_RUN = ("queued", "in_progress", "requires_action", "cancelling")

RUN_FIELD_RULES = (
    #         code                            field                 kind            statuses                                                  evidence       disputed  why
    FieldRule("run.required_action",          "required_action",    "exactly",      ("requires_action",),                                      "doc wire",    False, "required_action is set exactly while the run waits for tool outputs"),
    FieldRule("run.last_error",               "last_error",         "exactly",      ("failed",),                                               "doc",         False, "last_error is set exactly when the run failed"),
    FieldRule("run.failed_at",                "failed_at",          "exactly",      ("failed",),                                               "doc",         False, "failed_at is set exactly when the run failed"),
    FieldRule("run.cancelled_at",             "cancelled_at",       "exactly",      ("cancelled",),                                            "doc wire",    False, "cancelled_at is null while cancelling and set once cancelled"),
    FieldRule("run.completed_at",             "completed_at",       "set",          ("completed",),                                            "doc wire",    False, "completed_at is set when the run completed"),
    FieldRule("run.completed_at_early",       "completed_at",       "null_outside", ("completed", "incomplete"),                               "doc",         True,  "completed_at is only set on completed (and seen on incomplete) runs; an official example sets it on a queued run"),
    FieldRule("run.incomplete_details",       "incomplete_details", "exactly",      ("incomplete",),                                           "doc",         False, "incomplete_details is set exactly when the run is incomplete", "2024-04-29.."),
    FieldRule("run.incomplete_details",       "incomplete_details", "null_outside", ("completed",),                                            "wire",        False, "until 2024-04-29 a run out of tokens ended completed, with incomplete_details set", "2024-04-17..2024-04-29"),
    FieldRule("run.started_at",               "started_at",         "set",          ("in_progress", "requires_action", "completed", "incomplete"), "wire",    True,  "started_at is set once the run has been in_progress; an official example leaves it null"),
    FieldRule("run.expires_at_active",        "expires_at",         "set",          _ACTIVE_RUN,                                               "wire",        True,  "expires_at is created_at + 600 while the run is active; an official example leaves it null"),
    FieldRule("run.expires_at_terminal",      "expires_at",         "null",         _TERMINAL_RUN,                                             "wire",        True,  "expires_at is null once completed; the sources disagree for the other terminal statuses"),
    FieldRule("run.usage_early",              "usage",              "null",         _ACTIVE_RUN,                                               "doc",         True,  "usage is documented as null until terminal, but an official example shows it at requires_action"),
)

# --- 4. Run steps -----------------------------------------------------------------

STEP_STATUSES = (
    StatusRow("in_progress", ACTIVE),
    StatusRow("cancelled",   TERMINAL),
    StatusRow("failed",      TERMINAL),
    StatusRow("completed",   TERMINAL),
    StatusRow("expired",     TERMINAL),
)
STEP_INITIAL = "in_progress"  # there is no queued step

STEP_TRANSITIONS = (
    #             trigger     source         dest         actor     evidence    source reference
    TransitionRow("complete", "in_progress", "completed", "server", "doc wire", "RunStepObject; recordings"),
    TransitionRow("fail",     "in_progress", "failed",    "server", "doc",      "RunStepObject.last_error"),
    TransitionRow("cancel",   "in_progress", "cancelled", "client", "doc",      "RunStepObject.status; run cancelled"),
    TransitionRow("expire",   "in_progress", "expired",   "clock",  "doc",      "deep dive: expired if the parent run is expired"),
)

STEP_MESSAGE_CREATION = "message_creation"  # a step that writes one message
STEP_TOOL_CALLS = "tool_calls"  # a step that calls tools (and pauses the run for function calls)
STEP_TYPES = (STEP_MESSAGE_CREATION, STEP_TOOL_CALLS)
STEP_FIELD_RULES = (
    FieldRule("step.last_error",   "last_error",   "exactly", ("failed",),    "doc", False, "a step's last_error is set exactly when it failed"),
    FieldRule("step.failed_at",    "failed_at",    "exactly", ("failed",),    "doc", False, "a step's failed_at is set exactly when it failed"),
    FieldRule("step.cancelled_at", "cancelled_at", "exactly", ("cancelled",), "doc", False, "a step's cancelled_at is set exactly when it was cancelled"),
    FieldRule("step.completed_at", "completed_at", "exactly", ("completed",), "doc", False, "a step's completed_at is set exactly when it completed"),
    FieldRule("step.usage",        "usage",        "null",    ("in_progress",), "doc", False, "a step's usage is null while it is in_progress"),
)
# The schema spells it expired_at; real traffic says expires_at (the run's deadline).
STEP_EXPIRY_KEYS = ("expires_at", "expired_at")

# --- 4. Messages ------------------------------------------------------------------

MESSAGE_STATUSES = (
    StatusRow("in_progress", ACTIVE),
    StatusRow("incomplete",  TERMINAL, "v1", "v1: 2024-04-17..2024-04-29"),
    StatusRow("completed",   TERMINAL),
)
MESSAGE_INITIAL = "in_progress"

# One trigger per cause, so the simulator can end a message the way its run ended.
MESSAGE_TRANSITIONS = (
    #             trigger              source         dest          actor     evidence source reference
    TransitionRow("complete",          "in_progress", "completed",  "server", "doc wire", "MessageObject; recordings"),
    TransitionRow("run_out_of_tokens", "in_progress", "incomplete", "server", "doc wire", "incomplete_details.reason max_tokens; recording 2024-04-27 (v1 header too)", "v1", "v1: 2024-04-17..2024-04-29"),
    TransitionRow("filter_content",    "in_progress", "incomplete", "server", "doc",      "incomplete_details.reason content_filter", "v2"),
    TransitionRow("cancel",            "in_progress", "incomplete", "client", "doc",      "incomplete_details.reason run_cancelled", "v2"),
    TransitionRow("expire",            "in_progress", "incomplete", "clock",  "doc",      "incomplete_details.reason run_expired", "v2"),
    TransitionRow("fail",              "in_progress", "incomplete", "server", "doc",      "incomplete_details.reason run_failed", "v2"),
)

# A message object from create, retrieve or list carries no status at all (wire):
# the rules below apply only when the status key is present.
MESSAGE_FIELD_RULES = (
    FieldRule("message.incomplete_details", "incomplete_details", "exactly", ("incomplete",), "doc", False, "a message's incomplete_details is set exactly when it is incomplete"),
    FieldRule("message.incomplete_at",      "incomplete_at",      "exactly", ("incomplete",), "doc", False, "a message's incomplete_at is set exactly when it is incomplete"),
    FieldRule("message.completed_at",       "completed_at",       "exactly", ("completed",),  "doc", False, "a message's completed_at is set exactly when it completed"),
)
# Which message trigger ends a message when its run reaches a status (section 4).
MESSAGE_REASON_BY_TRIGGER = {
    "run_out_of_tokens": "max_tokens",
    "filter_content": "content_filter",
    "cancel": "run_cancelled",
    "expire": "run_expired",
    "fail": "run_failed",
}

# --- Value domains -----------------------------------------------------------------

RUN_ERROR_CODES = ("server_error", "rate_limit_exceeded", "invalid_prompt")
STEP_ERROR_CODES = ("server_error", "rate_limit_exceeded")
RUN_INCOMPLETE_REASONS = ("max_completion_tokens", "max_prompt_tokens")
MESSAGE_INCOMPLETE_REASONS = ("content_filter", "max_tokens", "run_cancelled", "run_expired", "run_failed")
TOOL_CALL_TYPES = {
    "v1": ("code_interpreter", "retrieval", "function"),
    "v2": ("code_interpreter", "file_search", "function"),
}
# Only function calls ever pause a run (section 3, required_action).
PAUSING_TOOL_CALL_TYPE = "function"
REQUIRED_ACTION_TYPE = "submit_tool_outputs"

# Object type strings on the wire, and the keys every Run object carries (section 3).
OBJECT_TYPES = {"run": "thread.run", "run_step": "thread.run.step", "message": "thread.message"}
RUN_KEYS = (
    "id", "object", "created_at", "thread_id", "assistant_id", "status", "required_action",
    "last_error", "expires_at", "started_at", "cancelled_at", "failed_at", "completed_at",
    "incomplete_details", "model", "instructions", "tools", "metadata", "usage",
)

# --- 5. Thread lock and refusals (HTTP 400, invalid_request_error) -----------------

# Rows of one operation are tried in order: the first that holds is the refusal.
REFUSAL_ROWS = (
    #          key                      operation              refused when         template                                                       client did                                                       evidence    source reference
    RefusalRow("thread_locked_message", "add_message",         "thread_active",     "Can't add messages to {thread_id} while a run {run_id} is active.", "added a message to a thread whose run was still active",    "doc wire", "deep dive: thread locks; the text seen live"),
    RefusalRow("thread_locked_run",     "create_run",          "thread_active",     "Thread {thread_id} already has an active run {run_id}.",        "started a run on a thread whose run was still active",     "doc wire", "deep dive: thread locks; the text seen live"),
    RefusalRow("submit_wrong_status",   "submit_tool_outputs", "run_not_paused",    'Runs in status "{status}" do not accept tool outputs.',         "submitted tool outputs to a run that was not waiting for them", "wire", "the text seen live"),
    RefusalRow("submit_missing_calls",  "submit_tool_outputs", "calls_not_covered", "Expected tool outputs for call_ids {expected}, got {got}",       "submitted tool outputs for only some of the pending calls", "wire",     "the text seen live"),
    RefusalRow("cancel_terminal",       "cancel_run",          "run_terminal",      "Cannot cancel run with status '{status}'.",                     "cancelled a run that had already ended",                   "wire",     "the text seen live by its start; the rest inferred"),
)
REFUSALS = {r.key: r.template for r in REFUSAL_ROWS}  # key -> message template

# --- 6. Streaming -----------------------------------------------------------------

# Event names are derived from the statuses: thread.run.<status>, plus these.
EVENT_PREFIXES = {"run": "thread.run", "run_step": "thread.run.step", "message": "thread.message"}
EVENT_EXTRA = {"run": ("created",), "run_step": ("created", "delta"), "message": ("created", "delta")}
# For a while an event named for one status also carried another (section 7).
EVENT_ALIASES = (
    #          kind   event named   carries       evidence  source reference                                                                  since  held
    EventAlias("run", "completed",  "incomplete", "wire",   "recording 2024-04-29; thread.run.incomplete documented from 2024-05-28..06-03", "v2",  "2024-04-29..2024-06-03"),
)
EVENT_THREAD_CREATED = "thread.created"
EVENT_ERROR = "error"
EVENT_DONE = "done"


# --- the protocol, as one value -------------------------------------------------------

PROTOCOL = Protocol(
    name="assistants",
    objects=(
        ObjectSpec("run", "run", OBJECT_TYPES["run"], RUN_STATUSES, RUN_INITIAL, RUN_TRANSITIONS,
                   RUN_FIELD_RULES, EVENT_PREFIXES["run"], EVENT_EXTRA["run"]),
        ObjectSpec("run_step", "run step", OBJECT_TYPES["run_step"], STEP_STATUSES, STEP_INITIAL, STEP_TRANSITIONS,
                   STEP_FIELD_RULES, EVENT_PREFIXES["run_step"], EVENT_EXTRA["run_step"]),
        ObjectSpec("message", "message", OBJECT_TYPES["message"], MESSAGE_STATUSES, MESSAGE_INITIAL,
                   MESSAGE_TRANSITIONS, MESSAGE_FIELD_RULES, EVENT_PREFIXES["message"], EVENT_EXTRA["message"]),
    ),
    versions=VERSIONS,
    first_day=tuple(VERSION_FIRST_DAY.items()),
    refusals=REFUSAL_ROWS,
    event_aliases=EVENT_ALIASES,
    tool_call_types=tuple(TOOL_CALL_TYPES.items()),
)
