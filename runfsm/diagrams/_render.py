"""Turn DOT text into SVG or PNG with a Graphviz-compatible command.

``pure`` (the default) runs ``graphviz-pure`` (PyPI package ``graphviz-pure``,
installed by ``pip install 'runfsm[diagrams]'``): no system Graphviz needed, and
the same bytes on every platform.  ``system`` runs the ``dot`` on ``PATH``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import RenderError

__all__ = ["RENDERERS", "RenderError", "find_renderer", "render"]

RENDERERS = ("pure", "system")
PNG_DPI = 144  # sharp on high-density screens; the SVG is resolution-free anyway
_EXTRA = "pip install 'runfsm[diagrams]'"


def find_renderer(renderer: str = "pure") -> Path:
    """The executable for ``renderer`` (``"pure"`` or ``"system"``), or :class:`RenderError`."""
    if renderer == "pure":
        name = "graphviz-pure"
        beside = Path(sys.executable).parent / (name + (".exe" if sys.platform == "win32" else ""))
        if beside.is_file():
            return beside
        found = shutil.which(name)
        if found:
            return Path(found)
        raise RenderError(
            f"renderer 'pure': the {name} command was found neither next to {Path(sys.executable).name} "
            f"nor on PATH. Install it with: {_EXTRA} (or use --renderer system with Graphviz installed)."
        )
    if renderer == "system":
        found = shutil.which("dot")
        if found:
            return Path(found)
        raise RenderError(
            "renderer 'system': Graphviz's dot command is not on PATH. Install Graphviz, or use the "
            f"default renderer 'pure': {_EXTRA}."
        )
    raise RenderError(f"unknown renderer {renderer!r}; expected one of: {', '.join(RENDERERS)}")


def render(dot_text: str, fmt: str, renderer: str = "pure") -> bytes:
    """Render ``dot_text`` to ``fmt`` (``"svg"`` or ``"png"``) and return the bytes."""
    if fmt not in ("svg", "png"):
        raise RenderError(f"cannot render format {fmt!r}; the renderers write svg and png")
    exe = find_renderer(renderer)
    cmd = [str(exe), f"-T{fmt}"]
    if fmt == "png":
        cmd.append(f"-Gdpi={PNG_DPI}")
    try:
        done = subprocess.run(cmd, input=dot_text.encode("utf-8"), capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(f"renderer {renderer!r} ({exe}) could not run: {exc}") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RenderError(f"renderer {renderer!r} ({exe}) failed to write {fmt}: {err}")
    return done.stdout
