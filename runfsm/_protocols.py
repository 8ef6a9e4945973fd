"""The protocols runfsm knows, declared once.

Every command line option and every check that chooses a protocol reads this
table: the ``--protocol`` choices, the versions, the diagrams, the behaviours
catalogue, what a checked function is given.  Entry points are ``module:name``
strings resolved when first used, so reading the table loads neither the
simulator nor the diagrams (``import runfsm`` stays light).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._rows import Protocol
from .errors import RunfsmError, SpecError
from .lifecycle import Profile, _check_version, compile_protocol

__all__ = ["DEFAULT", "NAMES", "PROTOCOLS", "ProtocolInfo", "chosen", "known", "protocol_info", "versions_of_all"]


@dataclass(frozen=True)
class ProtocolInfo:
    """One protocol: where it is declared, and what each part of runfsm offers for it."""

    name: str
    summary: str  # how help texts name it
    declared_in: str  # the module whose PROTOCOL is its declaration
    diagrams: tuple[str, ...]  # `runfsm diagram` draws these: kinds, or "run-and-steps" (a kind with its steps)
    noun: str  # what verdicts call its primary object
    article: str  # how a refusal names one of its behaviours ("an Assistants behaviour")
    simulator: str  # what a behaviour's config sets
    catalogue: str  # (version, strict, tools, arguments) -> its behaviours
    paths: str  # `runfsm paths`: (args) -> exit code
    paths_options: tuple[str, ...]  # the `runfsm paths` options it honours besides --out and --strict
    sdks: tuple[str, ...]  # the SDKs whose clients a check hands the function
    provides: tuple[str, ...]  # what a checked function can ask for, by parameter name
    traces: bool  # whether `runfsm diagram --trace` overlays its runs

    @property
    def declaration(self) -> Protocol:
        found: Protocol = importlib.import_module(self.declared_in).PROTOCOL
        return found

    @property
    def versions(self) -> tuple[str, ...]:
        return self.declaration.versions

    @property
    def default_version(self) -> str:
        return self.declaration.default_version

    def version(self, version: str | None) -> str:
        """``version``, or the default when None; the compiler's :class:`SpecError` when it is not one of this
        protocol's."""
        if version is None:
            return self.default_version
        _check_version(self.declaration, version)
        return version

    def profile(self, version: str | None = None) -> Profile:
        """The compiled profile of ``version`` (default: the newest)."""
        return compile_protocol(self.declaration, self.version(version))

    def entry(self, which: str) -> Callable[..., Any]:
        """The function named by the ``module:name`` field ``which`` (``"catalogue"``, ``"paths"``)."""
        module, _, name = getattr(self, which).partition(":")
        found: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return found


PROTOCOLS: Mapping[str, ProtocolInfo] = {p.name: p for p in (
    ProtocolInfo(
        name="assistants", summary="the Assistants runs", declared_in="runfsm.spec",
        diagrams=("run", "run_step", "message", "run-and-steps"),
        noun="run", article="an Assistants", simulator="Assistants simulator (SimConfig)",
        catalogue="runfsm.testing._catalogue:assistants_catalogue", paths="runfsm.explore._cli:explore_main",
        paths_options=("version", "depth"), sdks=("openai", "azure"),
        provides=("client", "sim", "assistant_id", "thread_id", "behaviour"), traces=True),
    ProtocolInfo(
        name="responses", summary="the Responses API background mode", declared_in="runfsm.responses_spec",
        diagrams=("response",), noun="response", article="a Responses", simulator="Responses backend",
        catalogue="runfsm.testing._catalogue:responses_catalogue", paths="runfsm.explore._responses_paths:main",
        paths_options=("version",), sdks=("openai",), provides=("client", "sim", "behaviour"), traces=False),
)}
"""Protocol name -> what runfsm offers for it; the first is the default."""

NAMES = tuple(PROTOCOLS)
DEFAULT = NAMES[0]


def known() -> str:
    """The known protocol names, for messages."""
    return ", ".join(NAMES)


def protocol_info(name: object, error: type[RunfsmError] = SpecError) -> ProtocolInfo:
    """The entry of protocol ``name``; ``error`` naming the known ones when there is none."""
    found = PROTOCOLS.get(name) if isinstance(name, str) else None
    if found is None:
        raise error(f"unknown protocol {name!r}; known: {known()}")
    return found


def versions_of_all() -> tuple[str, ...]:
    """Every version of any protocol, each once, in declaration order (the ``--version`` choices)."""
    out: dict[str, None] = {}
    for p in PROTOCOLS.values():
        out.update(dict.fromkeys(p.versions))
    return tuple(out)


def chosen(args: object, error: type[RunfsmError] = SpecError) -> tuple[ProtocolInfo, str]:
    """The protocol and version a command's ``--protocol`` and ``--version`` name (their defaults when absent)."""
    info = protocol_info(getattr(args, "protocol", None) or DEFAULT, error)
    return info, info.version(getattr(args, "version", None))
