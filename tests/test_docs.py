"""Every code block of README.md and docs/*.md runs as shown.

How blocks are run:

- ``python``: executed in a fresh namespace, in a temporary working directory.  A
  top-level statement whose trailing comment starts with ``# raises Name`` must
  raise an exception of that class (or a subclass); the block goes on after it.
  An expression statement whose trailing comment is a Python literal (or starts
  with one followed by ``:`` or `` (``), such as ``# True: one event``, must
  evaluate to it.  A block that defines ``test_*`` functions is run by pytest in
  a subprocess instead (fixtures, Hypothesis and the runfsm plugin work as in a
  user's project), and every test in it must pass.
- ``sh``: run by ``bash -e -o pipefail`` in a temporary directory, with the
  installed ``runfsm`` first on ``PATH``; it must exit 0.
- ``console``: the ``$ `` lines are run the same way, and every other line (the
  output shown) must appear in what they print.
- ``toml``: must parse; one with ``[[assistants]]`` is a scenario and must play.

An HTML comment on the line before a block's opening fence changes that:
``<!-- docs-test: continue -->`` runs the previous runnable block of the same file
first, in the same namespace and directory (chained on purpose);
``<!-- docs-test: skip REASON -->`` skips it with the reason; ``<!-- docs-test:
raises Name -->`` makes the whole block expect that exception; ``<!-- docs-test:
exit N -->`` makes a shell block expect exit status N.  A block that needs an
extra that is not installed is skipped, naming ``pip install 'runfsm[extra]'``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runfsm.errors import MissingExtra

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = ("python", "sh", "console", "toml")
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```+)(?P<info>[^`]*)$")
DIRECTIVE = re.compile(r"^<!--\s*docs-test:\s*(?P<verb>\w+)\s*(?P<arg>.*?)\s*-->\s*$")
RAISES = re.compile(r"raises\s+(?P<name>[A-Za-z_][A-Za-z0-9_.]*)")
BIN = Path(sys.executable).parent
EXTRA_OF_MODULE = {"openai": "openai", "azure": "azure", "hypothesis": "testing", "pytest": "testing", "graphviz": "diagrams"}


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    directives: dict[str, str] = field(default_factory=dict)
    previous: Block | None = None  # the previous runnable block of the same file

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}:{self.lang}"

    def chain(self) -> list[Block]:
        """This block and the blocks it continues, first first."""
        blocks = [self]
        while "continue" in blocks[0].directives:
            prev = blocks[0].previous
            if prev is None:
                raise AssertionError(f"{blocks[0].id}: 'continue' but no runnable block before it")
            blocks.insert(0, prev)
        return blocks


def extract(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with the directives written just before them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    previous: Block | None = None
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        lang = info.split()[0].lower() if info else ""
        start = i
        i += 1
        body = []
        while i < len(lines) and not re.match(rf"^ {{0,3}}{fence}`*\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1
        directives: dict[str, str] = {}
        j = start - 1
        while j >= 0 and (d := DIRECTIVE.match(lines[j].strip())):
            directives[d.group("verb")] = d.group("arg")
            j -= 1
        if lang in RUNNABLE:
            block = Block(path, start + 1, lang, "\n".join(body) + "\n", directives, previous)
            blocks.append(block)
            previous = block
    return blocks


BLOCKS = [b for path in DOCS for b in extract(path)]


def test_the_docs_have_blocks_to_run() -> None:
    assert len(BLOCKS) >= 20
    assert {b.path.name for b in BLOCKS} >= {"README.md", "validate.md", "simulator.md", "openai.md", "testing.md"}


def test_directives_are_known() -> None:
    for b in BLOCKS:
        unknown = set(b.directives) - {"continue", "skip", "raises", "exit"}
        assert not unknown, f"{b.id}: unknown docs-test directive(s) {sorted(unknown)}"


def test_every_pip_install_is_quoted_for_shells() -> None:
    unquoted = re.compile(r"pip install (?:-[-\w]+ )*(?:\.|runfsm)\[")
    for path in DOCS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not unquoted.search(line), f"{path.name}:{n}: quote the extras for shells: {line.strip()}"


# -- running ------------------------------------------------------------------------------


def _skip_for_missing(exc: BaseException, block: Block) -> None:
    if isinstance(exc, MissingExtra):
        pytest.skip(f"{block.id} needs pip install 'runfsm[{exc.extra}]'")
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in EXTRA_OF_MODULE:
        extra = EXTRA_OF_MODULE[(exc.name or "").split(".")[0]]
        pytest.skip(f"{block.id} needs pip install 'runfsm[{extra}]'")


def _comment_of(source_lines: list[str], node: ast.stmt) -> str | None:
    """The trailing comment on the last line of a statement, if any."""
    line = source_lines[(node.end_lineno or node.lineno) - 1].encode("utf-8")
    rest = line[node.end_col_offset or 0:].decode("utf-8")  # offsets count UTF-8 bytes
    m = re.match(r"\s*#\s?(.*)$", rest)
    return m.group(1).strip() if m else None


def _expected_value(comment: str) -> tuple[bool, object]:
    """A literal the comment states as the value (``True: ...``, ``['a', 'b']``), if it states one."""
    for candidate in (comment, re.split(r":\s|\s\(", comment, maxsplit=1)[0]):
        try:
            return True, ast.literal_eval(candidate.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return False, None


def _exception_matches(exc: BaseException, name: str) -> bool:
    short = name.rsplit(".", 1)[-1]
    return any(cls.__name__ == short for cls in type(exc).__mro__)


def run_python(block: Block, namespace: dict[str, object]) -> None:
    source_lines = block.text.splitlines()
    tree = ast.parse(block.text, filename=block.id)
    whole = block.directives.get("raises")
    try:
        for node in tree.body:
            comment = _comment_of(source_lines, node)
            raises = RAISES.match(comment or "")
            mod = ast.Module(body=[node], type_ignores=[])
            where = f"{block.path.name}:{block.line + node.lineno}"
            if raises:
                try:
                    exec(compile(mod, where, "exec"), namespace)
                except Exception as exc:
                    _skip_for_missing(exc, block)
                    assert _exception_matches(exc, raises.group("name")), (
                        f"{where}: expected {raises.group('name')}, got {type(exc).__name__}: {exc}")
                    assert str(exc), f"{where}: {type(exc).__name__} without a message"
                else:
                    raise AssertionError(f"{where}: expected {raises.group('name')}, nothing was raised")
                continue
            if isinstance(node, ast.Expr) and comment:
                stated, expected = _expected_value(comment)
                if stated:
                    value = eval(compile(ast.Expression(node.value), where, "eval"), namespace)
                    assert value == expected, f"{where}: the doc says {expected!r}, the code gives {value!r}"
                    continue
            exec(compile(mod, where, "exec"), namespace)
    except Exception as exc:
        _skip_for_missing(exc, block)
        if whole and _exception_matches(exc, whole):
            return
        raise
    if whole:
        raise AssertionError(f"{block.id}: expected {whole}, nothing was raised")


def defines_tests(block: Block) -> bool:
    tree = ast.parse(block.text)
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")
               for n in tree.body)


def run_pytest(blocks: list[Block], cwd: Path) -> None:
    source = "\n".join(b.text for b in blocks)
    (cwd / "test_doc_block.py").write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
                           "ignore::DeprecationWarning", "test_doc_block.py"], cwd=cwd, capture_output=True,
                          text=True, timeout=600, check=False, env=_env())
    tail = done.stdout[-3000:]
    errors = [line for line in done.stdout.splitlines() if line.startswith(("E   ", "FAILED", "ERROR"))][:20]
    if done.returncode != 0 and "pip install 'runfsm[" in done.stdout and "passed" not in tail:
        extra = re.search(r"pip install 'runfsm\[(\w+)\]'", done.stdout)
        pytest.skip(f"{blocks[-1].id} needs pip install 'runfsm[{extra.group(1) if extra else '?'}]'")
    assert done.returncode == 0, f"{blocks[-1].id}: pytest failed:\n" + "\n".join(errors) + f"\n{tail[-800:]}\n{done.stderr[-2000:]}"
    assert re.search(r"\d+ passed", tail) and "skipped" not in tail, tail


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def run_shell(block: Block, cwd: Path) -> str:
    if block.lang == "console":
        commands = [line[2:] for line in block.text.splitlines() if line.startswith("$ ")]
        script = "\n".join(commands) + "\n"
    else:
        script = block.text
    # a console block shows what the terminal shows: standard output and error, interleaved
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if block.lang == "console" else subprocess.PIPE, text=True,
                          timeout=600, check=False, env=_env())
    expected = int(block.directives.get("exit", "0") or 0)
    assert done.returncode == expected, (
        f"{block.id}: exit status {done.returncode}, expected {expected}\n{done.stdout[-2000:]}\n{done.stderr or ''}")
    if block.lang == "console":
        shown = [line.strip() for line in block.text.splitlines() if line.strip() and not line.startswith("$ ")]
        for line in shown:
            assert line in done.stdout, f"{block.id}: the doc shows {line!r}; the command printed:\n{done.stdout}"
    return done.stdout


def run_toml(block: Block) -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    tomllib.loads(block.text)
    if "[[assistants]]" in block.text:
        from runfsm.sim import parse_scenario, run_scenario

        result = run_scenario(parse_scenario(block.text, block.id))
        assert result.ok, f"{block.id}: {result.failures}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()):
        yield


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_runs_as_shown(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chain = block.chain()
    for b in chain:
        if "skip" in b.directives:
            pytest.skip(f"{b.id}: {b.directives['skip'] or 'marked skip'}")
        needs = re.match(r"# requires: ([\w.]+)", b.text) if b.lang == "python" else None
        if needs:  # a recipe for another engine (Spark, DuckDB): run where it is installed
            pytest.importorskip(needs.group(1))
    monkeypatch.chdir(tmp_path)
    if block.lang == "python" and defines_tests(block):
        run_pytest(chain, tmp_path)
        return
    namespace: dict[str, object] = {"__name__": "__doc_block__"}
    for b in chain:
        if b.lang == "python":
            with _quiet():
                run_python(b, namespace)
        elif b.lang in ("sh", "console"):
            run_shell(b, tmp_path)
        else:
            run_toml(b)


# -- measured figures: the README's Performance table is the one record; prose elsewhere quotes it ---------


def _table_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Performance"):]
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| case")]


def _number(text: str) -> float:
    return float(text.replace(",", "").split()[0])


def _about(value: float) -> str:
    """A figure as the prose quotes it: two significant digits, thousands separated (247,104 -> 250,000)."""
    digits = len(str(int(value)))
    return f"{round(value, 2 - digits):,.0f}"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_prose_quotes_the_measured_snapshot_rate() -> None:
    (row,) = [r for r in _table_rows() if r[0].startswith("run snapshot: Tracker.feed")]
    quoted = f"about {_about(_number(row[2]))} run snapshots per second"
    assert quoted in _flat((ROOT / "README.md").read_text(encoding="utf-8"))
    assert quoted.replace("run snapshots", "polled run snapshots") in _flat(
        (ROOT / "docs" / "validate.md").read_text(encoding="utf-8"))


def _agrees(quoted: float, measured: float) -> bool:
    """A quoted figure is the measured one rounded (to whole units or one decimal)."""
    return any(abs(quoted - round(measured, digits)) < 1e-9 for digits in (0, 1))


def test_prose_quotes_the_measured_simulator_figures() -> None:
    rows = _table_rows()
    per_event = [_number(r[1]) / 1000 for r in rows if r[0].startswith("simulator:") and "per clock event" in r[0]]
    memory = [m for r in rows if r[0].startswith("memory: per simulated run")
              for m in re.findall(r"\(([\d.]+) KiB per run", r[0])]
    text = _flat((ROOT / "docs" / "simulator.md").read_text(encoding="utf-8"))
    for quoted in re.findall(r"about ([\d.]+) KiB", text):
        assert memory, f"simulator.md quotes {quoted} KiB per run; the README's table measures none"
        assert _agrees(float(quoted), float(memory[0])), f"simulator.md: {quoted} KiB, measured {memory[0]} KiB"
    for low, high in re.findall(r"about (\d+) to (\d+) µs", text):
        assert per_event, f"simulator.md quotes {low} to {high} µs; the README's table measures none"
        assert (_agrees(float(low), min(per_event)) and _agrees(float(high), max(per_event))), (
            f"simulator.md: {low} to {high} µs per event, measured {min(per_event):.1f} to {max(per_event):.1f}")
