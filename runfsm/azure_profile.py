"""Azure AI Agents (classic threads and runs): how its wire protocol differs from the Assistants API, as data.

Everything runfsm knows about Azure's classic agent service is here, in one
place, each fact with its evidence grade:

``doc``       stated in Azure's documentation;
``sdk``       read from the source of the ``azure-ai-agents`` 1.1 SDK;
``inferred``  neither: an error text quoted in a public SDK issue, or runfsm's assumption.

:mod:`runfsm.azure` (the SDK transport) and the recording reader of
``runfsm validate`` read it; neither restates it.  This module imports no SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "FACTS",
    "GRADES",
    "PREFIX",
    "RUN_STATUSES",
    "Fact",
    "api_version_error",
    "outside_prefix_error",
    "split_path",
]

GRADES = ("doc", "sdk", "inferred")
"""Evidence grades, strongest first."""

PREFIX = re.compile(r"/api/projects/[^/]+")
"""The path of a project endpoint (``https://{resource}.services.ai.azure.com/api/projects/{project}``);
every operation's path follows it."""

DEFAULT_API_VERSION = "v1"
"""What the SDK sends as ``?api-version=`` unless told otherwise."""

API_VERSIONS = ("v1", "2025-05-01", "2025-05-15-preview")
"""The versions the service accepts, as its own refusal lists them."""

RUN_STATUSES = ("queued", "in_progress", "requires_action", "cancelling", "cancelled", "failed", "completed",
                "expired")
"""The SDK's ``RunStatus`` enum: the Assistants statuses less ``incomplete``."""

POLLED_STATUSES = ("queued", "in_progress", "requires_action")
"""The statuses on which ``runs.create_and_process`` polls again; it returns on any other."""


@dataclass(frozen=True)
class Fact:
    """One difference (or sameness) between Azure's protocol and the Assistants API."""

    topic: str
    assistants: str
    azure: str
    grade: str
    source: str


FACTS: tuple[Fact, ...] = (
    Fact("base URL", "https://api.openai.com/v1",
         "the project endpoint https://{resource}.services.ai.azure.com/api/projects/{project}", "sdk",
         "AgentsClient configuration docstring"),
    Fact("api-version", "none (the version is in the path)",
         "?api-version= on every request; default v1", "sdk", "every request builder in operations/_operations.py"),
    Fact("agents", "assistants (/assistants, assistant_id)",
         "the same paths and wire field; the SDK calls them agents (agent_id, create_agent)", "sdk",
         "URL templates; ThreadRun.agent_id is rest_field(name='assistant_id')"),
    Fact("run statuses", "9, with incomplete",
         "RunStatus has 8: no incomplete; a run's status is kept as a plain string when it is not in the enum",
         "sdk", "models/_enums.py RunStatus; ThreadRun.status is Union[str, RunStatus]"),
    Fact("run stream events", "thread.run.incomplete among them",
         "AgentStreamEvent lists thread.run.incomplete too (the stream can say what the enum cannot)", "sdk",
         "models/_enums.py AgentStreamEvent"),
    Fact("step and message statuses", "the same", "RunStepStatus and MessageStatus match the Assistants API",
         "sdk", "models/_enums.py"),
    Fact("reasoning_effort", "on assistants and runs", "absent from the SDK's ThreadRun model", "sdk",
         "models/_models.py ThreadRun"),
    Fact("function output on a run step", "step_details.tool_calls[].function.output",
         "on the wire, but the SDK's RunStepFunctionToolCallDetails models only name and arguments: read it as "
         "function['output']", "sdk", "models/_models.py RunStepFunctionToolCallDetails"),
    Fact("error body", '{"error": {"message", "type", "param", "code"}}',
         "the same shape (AgentV1Error / AgentErrorDetail); 401, 404, 409 and 304 raise their own azure-core errors, "
         "every other status HttpResponseError", "sdk", "operations/_operations.py error_map; models AgentV1Error"),
    Fact("create_and_process", "(the openai SDK's create_and_poll polls until a final status)",
         "polls while queued, in_progress or requires_action, every polling_interval seconds (time.sleep, "
         "default 1), submitting function outputs itself; returns any other status, cancelling included",
         "sdk", "operations/_patch.py RunsOperations.create_and_process"),
    Fact("create_and_process with no tool calls", "-",
         "a requires_action run without tool calls is cancelled by the SDK", "sdk",
         "operations/_patch.py RunsOperations.create_and_process"),
    Fact("create_and_process with failing functions", "-",
         "outputs with errors are submitted and retried; past the retry limit the SDK cancels the run", "sdk",
         "operations/_patch.py RunsOperations.create_and_process"),
    Fact("supported api-versions", "-", "v1, 2025-05-01, 2025-05-15-preview", "inferred",
         "the service's refusal quoted in Azure/azure-sdk-for-net issue 50120 (May 2025)"),
    Fact("unknown api-version", "-",
         "HTTP 400, code UnsupportedApiVersionValue, \"Unsupported api version '{v}'. The supported versions "
         "are 'v1', ...\"", "inferred", "the same issue quotes the message and code; the body shape is Azure's "
         "usual {\"error\": {\"code\", \"message\"}}"),
    Fact("missing api-version", "-",
         "HTTP 400, code BadRequest, \"Missing required query parameter: api-version\"", "inferred",
         "quoted for another endpoint of the same service in microsoft/agent-framework issue 5680"),
    Fact("lifecycle refusals", "thread locked, outputs in the wrong status, cancel of a finished run, ...",
         "assumed the Assistants API's texts (the service is built on it); none seen in Azure's own words",
         "inferred", "no Azure documentation or recording of them found"),
    Fact("path outside the project", "404 Invalid URL", "HTTP 404, code 404, \"Resource not found\"",
         "inferred", "Azure's usual answer for an unknown route"),
)
"""Every recorded fact; ``docs/azure.md`` prints them as its table."""


def split_path(path: str) -> tuple[str, str] | None:
    """``(project prefix, operation path)`` of a request path, or ``None`` when it is outside every project."""
    m = PREFIX.match(path)
    if m is None or (len(path) > m.end() and path[m.end()] != "/"):
        return None
    return m.group(), path[m.end():] or "/"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def api_version_error(version: str | None, accepted: tuple[str, ...] = API_VERSIONS) -> tuple[int, dict[str, Any]] | None:
    """The service's answer (status, body) to a request with this ``api-version``; ``None`` if it is accepted."""
    if version is None or version == "":
        return 400, _error("BadRequest", "Missing required query parameter: api-version")
    if version in accepted:
        return None
    listed = ", ".join(f"'{v}'" for v in accepted)
    return 400, _error("UnsupportedApiVersionValue",
                       f"Unsupported api version '{version}'. The supported versions are {listed}")


def outside_prefix_error() -> tuple[int, dict[str, Any]]:
    """The answer to a path that is not under a project endpoint."""
    return 404, _error("404", "Resource not found")
