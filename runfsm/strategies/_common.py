"""What every strategy shares: the object kinds, resolving a version, profile or lifecycle, and
the ids and base time of generated objects.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from hypothesis import strategies as st

from ..errors import SpecError
from ..lifecycle import Lifecycle, Profile
from ..lifecycle import profile as _compiled_profile

KINDS = ("run", "run_step", "message")
"""The object kinds every strategy understands."""
_ID_CHARS = string.ascii_letters + string.digits
_BASE_TIME = 1_700_000_000


# --- resolving versions, profiles and lifecycles -----------------------------------------


def _resolve(version: str, profile: Profile | None) -> Profile:
    if profile is not None:
        return profile
    return _compiled_profile(version)


def _lifecycle(kind: str, version: str, profile: Profile | None, lifecycle: Lifecycle | None) -> Lifecycle:
    if lifecycle is not None:
        return lifecycle
    if kind not in KINDS:
        raise SpecError(f"unknown object kind {kind!r}; known: {', '.join(KINDS)}")
    return _resolve(version, profile).lifecycle(kind)


# --- ids --------------------------------------------------------------------------------


def _token(draw: st.DrawFn, min_size: int = 6) -> str:
    """An id suffix: one integer in base 62 (cheap to draw and to shrink), at least ``min_size`` characters."""
    n = draw(st.integers(0, 62**24 - 1))
    out = ""
    while n:
        n, digit = divmod(n, 62)
        out = _ID_CHARS[digit] + out
    return out.rjust(min_size, _ID_CHARS[0])


@dataclass
class _Ids:
    thread: str
    assistant: str
    run: str


def _draw_ids(draw: st.DrawFn) -> _Ids:
    return _Ids(thread=f"thread_{_token(draw)}", assistant=f"asst_{_token(draw)}", run=f"run_{_token(draw)}")
