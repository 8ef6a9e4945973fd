"""pytest fixtures for testing client code against the simulated run lifecycle.

Installed with runfsm (``pytest11`` entry point ``runfsm``); nothing to configure.
Importing this module imports only pytest: the simulator loads when a fixture
is first used, and ``openai`` only for the client fixtures.

Fixtures (function scope):

``runfsm_clock``
    A fresh :class:`runfsm.sim.Clock` (the fake clock; nothing reads wall time).
``runfsm_sim``
    A :class:`runfsm.sim.Simulator` on that clock.
``runfsm_openai`` / ``runfsm_async_openai``
    An ``openai.OpenAI`` / ``openai.AsyncOpenAI`` whose requests the simulator
    answers in process (skipped when the ``openai`` extra is not installed).
``runfsm_azure`` / ``runfsm_async_azure``
    An ``azure.ai.agents`` ``AgentsClient`` (sync / async) answered by the
    simulator, with sleeping advancing its clock for the test (``azure`` extra).

Options per test, with the ``runfsm`` marker::

    @pytest.mark.runfsm(seed=3, version="v1", start=1_712_000_000,
                        config={"inferred": True}, script=[Say("Hi")], poll_interval=0)
    def test_my_client(runfsm_openai): ...

``config`` is a :class:`runfsm.sim.SimConfig` or a dict of its fields.

``runfsm_behaviour`` (a parameter, not a fixture)
    A test that takes it runs once per behaviour of the catalogue
    (:func:`runfsm.testing.catalogue`), each its own test id;
    ``runfsm_behaviour.check(my_client)`` runs ``my_client`` under it and fails
    the test with the verdict (``await runfsm_behaviour.acheck(...)`` in an async
    test).  Marker options ``version``, ``strict`` and ``behaviours`` (name
    patterns) choose the catalogue.

``--runfsm-check-trace`` (or ``runfsm_check_trace = true`` in the ini file)
checks, after each test, everything the simulator returned and streamed with
the validator, and fails the test on any error finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from . import spec

if TYPE_CHECKING:  # pragma: no cover
    import openai

    from .sim import Clock, Simulator

__all__ = [
    "runfsm_async_azure",
    "runfsm_async_openai",
    "runfsm_azure",
    "runfsm_clock",
    "runfsm_openai",
    "runfsm_sim",
]

MARKER = "runfsm"
OPTIONS = ("seed", "version", "start", "config", "script", "poll_interval", "strict", "behaviours")
_MISSING_OPENAI = "the openai extra is not installed (pip install 'runfsm[openai]')"
_MISSING_AZURE = "the azure extra is not installed (pip install 'runfsm[azure]')"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runfsm", "runfsm simulated Assistants API")
    group.addoption(
        "--runfsm-check-trace", action="store_true", default=None,
        help="validate every runfsm_sim trace after each test; fail the test on error findings",
    )
    parser.addini("runfsm_check_trace", type="bool", default=False,
                  help="validate every runfsm_sim trace after each test (like --runfsm-check-trace)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options of the runfsm fixtures ({', '.join(OPTIONS)})",
    )
    # plain `async def` tests with the async fixtures; skips for a missing extra reported (never a silent green)
    from ._pytest_session import SessionChecks

    config.pluginmanager.register(SessionChecks(config), "runfsm-session")


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if marker.args:
        pytest.fail(f"@pytest.mark.{MARKER} takes keyword options only ({', '.join(OPTIONS)}), "
                     f"got positional {marker.args!r}", pytrace=False)
    unknown = sorted(set(marker.kwargs) - set(OPTIONS))
    if unknown:
        pytest.fail(f"@pytest.mark.{MARKER}: unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}",
                    pytrace=False)
    return dict(marker.kwargs)


def _check_trace_enabled(config: pytest.Config) -> bool:
    flag = config.getoption("--runfsm-check-trace")
    return bool(flag) if flag is not None else bool(config.getini("runfsm_check_trace"))


@pytest.fixture
def runfsm_clock(request: pytest.FixtureRequest) -> Clock:
    """A fresh fake clock, at the marker's ``start`` (default: :data:`runfsm.sim.DEFAULT_START`)."""
    from .sim import DEFAULT_START, Clock, SimError

    start = _options(request).get("start", DEFAULT_START)
    try:
        return Clock(start=start)
    except SimError as exc:
        pytest.fail(f"@pytest.mark.{MARKER}(start=...): {exc}", pytrace=False)


@pytest.fixture
def runfsm_sim(request: pytest.FixtureRequest, runfsm_clock: Clock) -> Iterator[Simulator]:
    """A simulator on ``runfsm_clock``, configured by the ``runfsm`` marker."""
    from .errors import RunfsmError
    from .sim import SimConfig, Simulator

    opts = _options(request)
    config = opts.get("config")
    try:
        if isinstance(config, Mapping):
            config = SimConfig(**config)
        sim = Simulator(clock=runfsm_clock, seed=opts.get("seed", 0), config=config, script=opts.get("script"),
                        version=opts.get("version", spec.DEFAULT_VERSION))
    except (RunfsmError, TypeError) as exc:
        pytest.fail(f"@pytest.mark.{MARKER}: cannot build the simulator: {exc}", pytrace=False)
    yield sim
    if _check_trace_enabled(request.config):
        from .validate import validate_trace

        report = validate_trace(sim.trace, strict=not sim.config.inferred, version=sim.version)
        if not report.ok:
            lines = "\n".join(f"  {f}" for f in report.errors[:20])
            more = f"\n  ... and {len(report.errors) - 20} more" if len(report.errors) > 20 else ""
            pytest.fail(f"runfsm: the simulator's trace has {len(report.errors)} error finding(s):\n{lines}{more}",
                        pytrace=False)


@pytest.fixture
def runfsm_openai(request: pytest.FixtureRequest, runfsm_sim: Simulator) -> openai.OpenAI:
    """An ``openai.OpenAI`` client answered by ``runfsm_sim`` (skips without the openai extra)."""
    pytest.importorskip("openai", reason=_MISSING_OPENAI)
    from .openai import client

    return client(runfsm_sim, poll_interval=_options(request).get("poll_interval", 1.0))


@pytest.fixture
def runfsm_async_openai(request: pytest.FixtureRequest, runfsm_sim: Simulator) -> openai.AsyncOpenAI:
    """An ``openai.AsyncOpenAI`` client answered by ``runfsm_sim`` (skips without the openai extra)."""
    pytest.importorskip("openai", reason=_MISSING_OPENAI)
    from .openai import async_client

    return async_client(runfsm_sim, poll_interval=_options(request).get("poll_interval", 1.0))


def _azure_fixture(request: pytest.FixtureRequest, sim: Simulator, asynchronous: bool) -> Iterator[Any]:
    pytest.importorskip("azure.ai.agents", reason=_MISSING_AZURE)
    from .azure import async_client, client
    from .testing._time import simulated_sleep

    factory = async_client if asynchronous else client
    agents = factory(sim, poll_interval=_options(request).get("poll_interval", 1.0))
    with simulated_sleep(sim.advance):  # the SDK's polling helpers call time.sleep / asyncio.sleep themselves
        yield agents


@pytest.fixture
def runfsm_azure(request: pytest.FixtureRequest, runfsm_sim: Simulator) -> Iterator[Any]:
    """An ``azure.ai.agents.AgentsClient`` answered by ``runfsm_sim``; sleeping advances its clock during the test."""
    yield from _azure_fixture(request, runfsm_sim, asynchronous=False)


@pytest.fixture
def runfsm_async_azure(request: pytest.FixtureRequest, runfsm_sim: Simulator) -> Iterator[Any]:
    """The ``azure.ai.agents.aio.AgentsClient`` version of ``runfsm_azure``."""
    yield from _azure_fixture(request, runfsm_sim, asynchronous=True)


BEHAVIOUR_PARAMETER = "runfsm_behaviour"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize a test that takes ``runfsm_behaviour`` over the behaviour catalogue."""
    if BEHAVIOUR_PARAMETER not in metafunc.fixturenames:
        return
    from .errors import RunfsmError
    from .testing import BehaviourCase, catalogue
    from .testing._catalogue import select

    marker = metafunc.definition.get_closest_marker(MARKER)
    opts = dict(marker.kwargs) if marker is not None else {}
    version, strict = opts.get("version", spec.DEFAULT_VERSION), bool(opts.get("strict", False))
    try:
        chosen = select(catalogue(version, strict=strict), opts.get("behaviours"))
    except RunfsmError as exc:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: @pytest.mark.{MARKER}: {exc}") from None
    metafunc.parametrize(BEHAVIOUR_PARAMETER, [BehaviourCase(b, version, strict) for b in chosen],
                         ids=[b.name for b in chosen])
