"""Session-wide parts of the pytest plugin: plain ``async def`` tests, and skips for a missing extra reported.

Registered by :mod:`runfsm.pytest_plugin` when pytest starts.

Async tests: a coroutine test that uses a ``runfsm_*`` fixture and carries no
async marker of its own is run by anyio's pytest plugin (installed with anyio,
which the ``testing`` extra and the openai SDK bring), on asyncio.  A test
marked ``asyncio`` (pytest-asyncio) or ``anyio``/``trio`` is left to that plugin.

Missing extras: a fixture that needs an extra which is not installed skips its
test with a reason naming ``pip install 'runfsm[extra]'``.  Those skips are
listed at the end of the run, and a run in which nothing passed or failed and
something was skipped for a missing extra exits with status 1: it checked
nothing, and must not look green.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from typing import Any

import pytest

__all__ = ["EXTRA_SKIP", "SessionChecks"]

EXTRA_SKIP = re.compile(r"pip install 'runfsm\[([A-Za-z0-9_,-]+)\]'")
"""How a skip for a missing extra names it (the fixtures' skip reasons say ``pip install 'runfsm[openai]'``)."""

_ASYNC_MARKERS = ("anyio", "asyncio", "trio")
_FIXTURE_PREFIX = "runfsm_"


def _asyncio_auto(config: pytest.Config) -> bool:
    try:
        return str(config.getini("asyncio_mode")) == "auto"
    except ValueError:  # pytest-asyncio is not installed
        return False


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


class SessionChecks:
    """Hooks that look at the whole session (one instance per pytest run)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.skipped: dict[str, str] = {}  # nodeid -> extra
        self.ran = 0  # tests that passed or failed
        # anyio's plugin runs the async tests; pytest-asyncio in auto mode marks every one itself
        self.async_plugin = config.pluginmanager.has_plugin("anyio") and not _asyncio_auto(config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector: Any, name: str, obj: object) -> None:
        if not self.async_plugin or not collector.istestfunction(obj, name):
            return
        inner = getattr(getattr(obj, "hypothesis", None), "inner_test", obj)
        if not inspect.iscoroutinefunction(inner):
            return
        own = [m.name for m in getattr(obj, "pytestmark", ())]
        if any(m in own or collector.get_closest_marker(m) is not None for m in _ASYNC_MARKERS):
            return
        try:
            params = inspect.signature(inner).parameters
        except (TypeError, ValueError):  # pragma: no cover - not introspectable: leave it alone
            return
        if any(p.startswith(_FIXTURE_PREFIX) for p in params):
            pytest.mark.usefixtures("anyio_backend")(pytest.mark.anyio(obj))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            found = EXTRA_SKIP.search(_skip_reason(report))
            if found:
                self.skipped[report.nodeid] = found.group(1)
        elif report.failed or (report.when == "call" and report.passed):
            self.ran += 1

    def nothing_checked(self) -> bool:
        """Every test that ran was skipped, and some for a missing extra."""
        return bool(self.skipped) and self.ran == 0

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: Any) -> None:
        if self.nothing_checked() and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.skipped:
            return
        by_extra = Counter(self.skipped.values())
        red = self.nothing_checked()
        terminalreporter.write_sep("=", "runfsm: tests skipped for a missing extra", red=red, yellow=not red)
        for extra, n in sorted(by_extra.items()):
            terminalreporter.write_line(f"{n} test(s) skipped: pip install 'runfsm[{extra}]'")
        if red:
            terminalreporter.write_line("Nothing passed or failed: this run checked nothing, so it exits with status 1.",
                                        red=True)
