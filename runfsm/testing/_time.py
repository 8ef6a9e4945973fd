"""Time during a check: sleeping advances the simulated clock; a wall-clock net catches spinning.

``time.sleep``, ``asyncio.sleep`` and ``anyio.sleep`` (what the openai SDK's
async helpers await) are replaced, for the duration of one check, by functions
that advance the simulator's clock instead of waiting, so a loop that sleeps 10
seconds between polls costs no wall time and its runs still move.

The wall-clock net is the one place runfsm reads real time, and only to stop a
test: a client that spins without calling the API or sleeping (``while
run.status != "completed": pass``) never gives the simulator a chance to say
anything, so a watchdog thread raises :class:`~runfsm.errors.ClientStuck` in the
client's thread once it has made no call for ``wall_timeout`` seconds.  It can
interrupt Python code only; a client blocked inside C code (a real socket read)
is interrupted when that returns.  Nothing it reads reaches a trace.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import WallClockStuck

__all__ = ["WallClockStuck", "simulated_sleep", "watchdog"]

_REAL_ASYNCIO_SLEEP = asyncio.sleep
_monotonic = time.monotonic  # kept before any patching, for the watchdog


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"sleep length must be a number, not {type(value).__name__}")
    if value < 0:
        raise ValueError("sleep length must be non-negative")
    return value


@contextmanager
def simulated_sleep(advance: Callable[[float], object], on_sleep: Callable[[], None] | None = None) -> Iterator[None]:
    """Within the block, sleeping (sync or async) calls ``advance(seconds)`` instead of waiting.

    ``on_sleep`` runs before each sleep (the liveness watch uses it: a loop that only
    sleeps after every run ended is as stuck as one that keeps polling).
    """

    def sleep(seconds: float) -> None:
        if on_sleep is not None:
            on_sleep()
        advance(_seconds(seconds))

    async def async_sleep(delay: float, result: Any = None) -> Any:
        sleep(delay)
        await _REAL_ASYNCIO_SLEEP(0)  # still yield to the event loop, as a real sleep does
        return result

    patched: list[tuple[Any, str, Any]] = [(time, "sleep", sleep), (asyncio, "sleep", async_sleep)]
    anyio = sys.modules.get("anyio")
    if anyio is not None:
        patched.append((anyio, "sleep", async_sleep))
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patched]
    for obj, name, value in patched:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)


def _package_dirs() -> tuple[str, ...]:
    """Where runfsm, the openai SDK and its HTTP and model libraries live: never interrupted in there."""
    import os

    dirs = [os.path.dirname(os.path.dirname(__file__))]
    for name in ("openai", "httpx2", "httpx", "httpcore", "pydantic", "pydantic_core", "anyio", "azure.core",
                 "azure.ai.agents"):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if path:
            dirs.append(os.path.dirname(path))
    return tuple(d + os.sep for d in dirs)


def _interruptible(thread_id: int) -> bool:
    """True when the thread runs the client's own code: not an import, not runfsm or the SDK at work.

    An exception raised in the middle of an import or of the SDK's own bookkeeping would
    leave half-built state behind; a spinning client loop is interrupted on its next pass
    through its own code instead.
    """
    frame = sys._current_frames().get(thread_id)
    if frame is None:
        return False
    inner = frame.f_code.co_filename
    if inner.startswith(_package_dirs()):
        return False
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return False
        frame = frame.f_back
    return True


class _Watchdog:
    """Interrupts ``thread_id`` when ``progress()`` has not changed for ``timeout`` seconds."""

    def __init__(self, timeout: float, progress: Callable[[], int], thread_id: int) -> None:
        self.timeout = timeout
        self.progress = progress
        self.thread_id = thread_id
        self.fired = False
        self._lock = threading.Lock()
        self._armed = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="runfsm-watchdog", daemon=True)

    def _watch(self) -> None:
        seen, since = self.progress(), _monotonic()
        step = min(0.05, self.timeout / 4)
        while not self._stop.wait(step):
            now, current = _monotonic(), self.progress()
            if current != seen:
                seen, since = current, now
            elif now - since >= self.timeout and _interruptible(self.thread_id):
                with self._lock:
                    if self._armed:
                        self.fired = True
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id),
                                                                   ctypes.py_object(WallClockStuck))
                return

    def disarm(self, delivered: bool) -> None:
        with self._lock:
            self._armed = False
            pending = self.fired and not delivered
        self._stop.set()
        if pending:  # fired as the client returned: let it land here, harmlessly
            # (Clearing it with SetAsyncExc(NULL) instead would leave CPython's eval breaker signalled.)
            try:
                for _ in range(1_000_000):
                    pass
            except WallClockStuck:
                pass


@contextmanager
def watchdog(timeout: float | None, progress: Callable[[], int]) -> Iterator[_Watchdog | None]:
    """Interrupt the current thread with :class:`WallClockStuck` if ``progress()`` stalls for ``timeout`` s."""
    if timeout is None:
        yield None
        return
    dog = _Watchdog(timeout, progress, threading.get_ident())
    dog._thread.start()
    delivered = False
    try:
        yield dog
    except WallClockStuck:
        delivered = True
        raise
    finally:
        dog.disarm(delivered)
