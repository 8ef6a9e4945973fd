"""Objects you drive with triggers, backed by a ``transitions`` machine built from the spec.

``Run(...).start()`` fires the ``start`` trigger; an illegal trigger raises
:class:`runfsm.IllegalTransition` instead of ``transitions.MachineError``.  Each
object owns its machine: ``Machine.add_model`` is O(n) in the number of models,
so one shared machine holding thousands of objects would be quadratic.  Hot
paths (validator, simulator) use the compiled tables in :mod:`runfsm.lifecycle`
instead; this API is for readable client-side code, tests and diagrams.
"""

from __future__ import annotations

from typing import Any

from . import spec
from .errors import IllegalTransition
from .lifecycle import Lifecycle, Transition, profile

__all__ = ["LifecycleObject", "Message", "Run", "RunStep", "build_machine", "machine_config"]


def machine_config(lifecycle: Lifecycle, strict: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``transitions.Machine`` (states, transitions, initial), from the spec."""
    edges = [t for t in lifecycle.transitions if not (strict and t.inferred)]
    return {
        "states": list(lifecycle.order),
        "transitions": [{"trigger": t.trigger, "source": t.source, "dest": t.dest} for t in edges],
        "initial": lifecycle.initial,
        "auto_transitions": False,
        "ignore_invalid_triggers": False,
    }


def build_machine(lifecycle: Lifecycle, model: Any = "self", strict: bool = False, **kwargs: Any) -> Any:
    """A ``transitions.Machine`` for ``lifecycle``; extra keyword arguments go to the constructor."""
    from transitions import Machine  # loaded on first use: import runfsm stays light

    return Machine(model=model, **machine_config(lifecycle, strict), **kwargs)


class LifecycleObject:
    """A run, run step or message whose status moves only by the spec's triggers.

    Call triggers as methods (``run.start()``, ``run.cancel()``); each returns the
    :class:`~runfsm.Transition` it took.  ``strict=True`` refuses inferred edges.
    ``history`` lists every status the object has been in.
    """

    kind = ""
    state: str

    def __init__(self, id: str | None = None, *, strict: bool = False, version: str = spec.DEFAULT_VERSION) -> None:
        self.id = id
        self.strict = strict
        self.lifecycle: Lifecycle = profile(version).lifecycle(self.kind)
        self.history: list[str] = []
        self._machine = build_machine(self.lifecycle, model=self, strict=strict, after_state_change="_record")
        self.history.append(self.state)
        self._wrap_triggers()

    def _record(self) -> None:
        self.history.append(self.state)

    @property
    def status(self) -> str:
        """The current status."""
        return self.state

    @property
    def is_terminal(self) -> bool:
        return self.state in self.lifecycle.terminal

    def available_triggers(self) -> list[str]:
        """The triggers legal from the current status, in spec order."""
        table = self.lifecycle.by_trigger_strict if self.strict else self.lifecycle.by_trigger
        return [t for t in self.lifecycle.triggers if (self.state, t) in table]

    def fire(self, trigger: str) -> Transition:
        """Fire ``trigger`` by name; raises :class:`IllegalTransition` when it is not legal now."""
        if trigger not in self.lifecycle.triggers:
            self.lifecycle.fire(self.state, trigger, self.strict, self.id)  # raises, naming the legal triggers
        result: Transition = getattr(self, trigger)()
        return result

    def _wrap_triggers(self) -> None:
        # transitions installs one bound trigger per name on the model; wrap each so
        # an illegal trigger raises runfsm's error, naming what would have been legal.
        from transitions import MachineError

        for name in self.lifecycle.triggers:
            fire_machine = getattr(self, name)

            def trigger(_fire: Any = fire_machine, _name: str = name) -> Transition:
                source = self.state
                try:
                    _fire()
                except MachineError:
                    raise IllegalTransition(
                        self.kind, source, None, self.available_triggers(), self.id,
                        trigger=_name, strict=self.strict,
                        note=" It is an inferred edge, refused in strict mode."
                        if (source, _name) in self.lifecycle.by_trigger else "",
                    ) from None
                return self.lifecycle.by_trigger[(source, _name)]

            trigger.__name__ = name
            trigger.__doc__ = f"Fire {name!r} (see runfsm.spec)."
            setattr(self, name, trigger)

    def __repr__(self) -> str:
        mode = "strict" if self.strict else "tolerant"
        return f"<{type(self).__name__} {self.id or '(no id)'} {self.state} {mode}>"


class Run(LifecycleObject):
    """A run: ``queued`` -> ``in_progress`` -> ... -> a terminal status."""

    kind = "run"


class RunStep(LifecycleObject):
    """A run step: created ``in_progress``, then one terminal status."""

    kind = "run_step"


class Message(LifecycleObject):
    """A message written by a run: ``in_progress`` -> ``completed`` or ``incomplete``."""

    kind = "message"
