"""Plain-text tables of the lifecycles, rendered from the compiled spec."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._protocols import chosen
from .errors import RunfsmError
from .lifecycle import Lifecycle, Profile, profile

__all__ = ["render_lifecycle", "render_profile"]


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header).rstrip(), line.format(*("-" * w for w in widths)).rstrip()]
    out += [line.format(*r).rstrip() for r in rows]
    return out


def render_lifecycle(lc: Lifecycle) -> str:
    """The statuses and transitions of one lifecycle as aligned text."""
    classes = []
    for s in lc.order:
        klass = "terminal" if s in lc.terminal else ("active, paused" if s in lc.paused else "active")
        classes.append((s + (" (initial)" if s == lc.initial else ""), klass))
    lines = [f"{lc.kind} ({lc.version})", ""]
    lines += _table(("status", "class"), classes)
    lines.append("")
    rows = [(t.trigger, t.source, t.dest, t.actor, t.grade, t.source_ref) for t in lc.transitions]
    lines += _table(("trigger", "from", "to", "actor", "evidence", "source"), rows)
    return "\n".join(lines)


def render_profile(p: Profile | None = None) -> str:
    """Every lifecycle of a profile (the Assistants v2 by default), in the order its protocol declares them."""
    p = p or profile()
    return "\n\n".join(render_lifecycle(p.lifecycle(o.kind)) for o in p.protocol.objects) + "\n"


def main(args: object) -> int:
    """``runfsm tables``: print the lifecycle tables of ``--protocol`` at ``--version``."""
    try:
        info, version = chosen(args)
        text = render_profile(info.profile(version))
    except RunfsmError as exc:
        print(f"runfsm tables: error: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    return 0
