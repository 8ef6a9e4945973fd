"""``runfsm demo``: the README's main job."""

from __future__ import annotations

from .tables import main as _tables


def main(args: object) -> int:
    return _tables(args)
