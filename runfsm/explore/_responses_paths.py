"""``runfsm paths --protocol responses``: the shortest trigger path to every status and transition.

The Responses lifecycle has no simulator-driven explorer; :func:`~runfsm.explore.cover`
plans from the declaration alone, and each plan is played as a stream (one status
event per trigger, numbered from 0) through the Responses validator, so a path that
the validator would refuse is reported, not printed as if it were fine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .. import responses_spec as rspec
from ..lifecycle import compile_protocol
from ._cover import cover

__all__ = ["main", "plans"]


def plans(strict: bool = False, version: str | None = None) -> list[tuple[str, tuple[str, ...], list[str]]]:
    """``(name, triggers, findings)`` for every status, then every transition, of the Responses lifecycle."""
    from ..validate._responses import validate_responses

    lc = compile_protocol(rspec.PROTOCOL, version).primary
    plan = cover(lc, strict=strict)
    wanted = [(f"status-{s}", t) for s, t in plan.statuses.items()]
    wanted += [(f"edge-{src}-{trigger}", t) for (src, trigger), t in plan.transitions.items()]
    out = []
    for name, triggers in wanted:
        status = lc.initial
        events: list[Any] = [_event("response.created", 0, status)]
        for trigger in triggers:
            status = lc.fire(status, trigger, strict=strict).dest
            if status in rspec.STREAMED_STATUSES:  # a cancel sends no event: the stream just stops
                events.append(_event(f"response.{status}", len(events), status))
        report = validate_responses(events, strict=strict)
        out.append((name, triggers, [f"{f.code}: {f.message}" for f in report.errors]))
    return out


def _event(kind: str, seq: int, status: str) -> dict[str, Any]:
    body = {"id": "resp_path", "object": "response", "created_at": 0, "status": status, "background": True,
            "error": {"code": "server_error", "message": "failed"} if status == "failed" else None,
            "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
            "completed_at": 0 if status == "completed" else None}
    return {"type": kind, "sequence_number": seq, "response": body}


def main(args: Any) -> int:
    """Print (or write into ``--out``) one path per line: ``name: trigger -> trigger``."""
    found = plans(bool(getattr(args, "strict", False)), getattr(args, "version", None))
    lines = [f"{name}: {' -> '.join(triggers) or '(created)'}" for name, triggers, _ in found]
    out_dir = getattr(args, "out", None)
    if out_dir:
        target = Path(out_dir)
        try:
            target.mkdir(parents=True, exist_ok=True)
            (target / "responses-paths.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"runfsm paths: cannot write into {target}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(lines)} paths into {target / 'responses-paths.txt'}")
    else:
        print("\n".join(lines))
    bad = [(name, problems) for name, _, problems in found if problems]
    for name, problems in bad:
        print(f"{name}: the validator refuses it: {'; '.join(problems)}", file=sys.stderr)
    print(f"{len(found)} paths, every status and transition of the Responses lifecycle; "
          f"{len(bad)} refused by the validator", file=sys.stderr)
    return 1 if bad else 0
