"""The openai SDK's own types: wire objects converted to the SDK's ``Run``, ``RunStep`` and
``Message`` models.  The SDK is imported when first needed, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from .. import spec
from ..errors import MissingExtra, SpecError

# --- the openai SDK's own types -------------------------------------------------------------


@lru_cache(maxsize=1)
def _sdk_types() -> dict[str, Any]:
    try:
        from openai.types.beta.threads import Message, Run
        from openai.types.beta.threads.runs import RunStep
    except ImportError as exc:
        raise MissingExtra("openai", "openai", "runfsm.strategies SDK model objects (sdk=True, as_sdk)") from exc
    return {spec.OBJECT_TYPES["run"]: Run, spec.OBJECT_TYPES["run_step"]: RunStep,
            spec.OBJECT_TYPES["message"]: Message}


def as_sdk(obj: Mapping[str, Any]) -> Any:
    """A wire object as the openai SDK hands it to client code: its own ``Run``, ``RunStep`` or ``Message``.

    Built the way the SDK builds every response it parses (leniently: a value the
    SDK's types do not know is kept, not refused), so a client under test gets
    exactly what it would get from the API.
    """
    types = _sdk_types()
    kind = obj.get("object")
    cls = types.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SpecError(f"as_sdk: object {kind!r} is none of {', '.join(types)}")
    from openai._models import construct_type  # the SDK's own response parser

    return construct_type(type_=cls, value=dict(obj))


def sdk_objects(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy``'s wire objects (or lists of them) as the openai SDK's model objects (see :func:`as_sdk`)."""
    _sdk_types()  # a missing extra is reported when the strategy is built, not at the first example

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return [as_sdk(v) for v in value]
        return as_sdk(value)

    return strategy.map(convert)
