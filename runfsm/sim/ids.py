"""Deterministic, realistic object ids (``asst_…``, ``thread_…``, ``run_…``, ``file-…``)."""

from __future__ import annotations

import base64
import random

__all__ = ["ID_PREFIXES", "IdMaker"]

ID_PREFIXES = {
    "assistant": "asst_",
    "thread": "thread_",
    "message": "msg_",
    "run": "run_",
    "run_step": "step_",
    "call": "call_",
    "file": "file-",
}
"""Object kind -> id prefix, as the real API writes them."""

_BYTES = 18  # 24 base64 characters, no padding
# base64 with its two symbols mapped onto letters: ids stay alphanumeric, like the API's.
_ALNUM = bytes.maketrans(b"+/", b"Zz")


class IdMaker:
    """Makes ids from a ``random.Random`` the simulator owns (never the global one).

    The same seed and the same sequence of calls give the same ids.
    """

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self, kind: str) -> str:
        """A new id for an object of ``kind`` (a key of :data:`ID_PREFIXES`)."""
        return ID_PREFIXES[kind] + base64.b64encode(self._rng.randbytes(_BYTES)).translate(_ALNUM).decode("ascii")
