"""Plain-text tables of the lifecycles, rendered from the compiled spec."""

from __future__ import annotations

from collections.abc import Sequence

from . import spec
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
    """All three lifecycles of an API version."""
    p = p or profile()
    return "\n\n".join(render_lifecycle(lc) for lc in (p.run, p.run_step, p.message)) + "\n"


def main(args: object) -> int:
    """``runfsm tables``: print the lifecycle tables."""
    print(render_profile(profile(getattr(args, "version", None) or spec.DEFAULT_VERSION)), end="")
    return 0
