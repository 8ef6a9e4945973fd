"""Deterministic, realistic object ids (``asst_…``, ``thread_…``, ``run_…``, ``file-…``)."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ID_PREFIXES", "IdMaker"]

ID_PREFIXES = {
    "assistant": "asst_",
    "thread": "thread_",
    "message": "msg_",
    "run": "run_",
    "run_step": "step_",
    "call": "call_",
    "file": "file-",
    "vector_store": "vs_",
}
"""Object kind -> id prefix, as the real API writes them."""

_BYTES = 18  # 24 base64 characters, no padding
# base64 with its two symbols mapped onto letters: ids stay alphanumeric, like the API's.
_ALNUM = bytes.maketrans(b"+/", b"Zz")


class IdMaker:
    """Makes ids from a ``random.Random`` the simulator owns (never the global one).

    The same seed and the same sequence of calls give the same ids.  Inside
    :meth:`undoable`, ids handed out are remembered so that a refused request can give
    them back: the next ids are then the ones it drew, as if it had never been made.
    """

    __slots__ = ("_ahead", "_log", "_open", "_rng")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._ahead: list[str] = []  # given back by a refused request, next first (a stack)
        self._log: list[str] = []  # handed out since the outermost undoable() began
        self._open = 0

    def __call__(self, kind: str) -> str:
        """A new id for an object of ``kind`` (a key of :data:`ID_PREFIXES`)."""
        if self._ahead:
            token = self._ahead.pop()
        else:
            token = base64.b64encode(self._rng.randbytes(_BYTES)).translate(_ALNUM).decode("ascii")
        if self._open:
            self._log.append(token)
        return ID_PREFIXES[kind] + token

    @contextmanager
    def undoable(self) -> Iterator[None]:
        """Give back the ids drawn inside the block if it raises."""
        if not self._open:
            self._log.clear()
        mark = len(self._log)
        self._open += 1
        try:
            yield
        except BaseException:
            self._ahead.extend(reversed(self._log[mark:]))
            del self._log[mark:]
            raise
        finally:
            self._open -= 1
