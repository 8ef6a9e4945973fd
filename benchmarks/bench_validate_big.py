"""Case: ``runfsm validate`` on big and hostile logs, written on the fly into a temporary directory.

``python benchmarks/bench_validate_big.py --size 200 --size 1000`` measures logs of 200 MB and 1 GB
(sizes in MB); through ``benchmarks/run.py`` the sizes are 100 MB (20 MB with ``--quick``).

Side by side, in one run:

* peak RSS and CPU per MB of ``runfsm validate`` (a child process each) at every size;
* CPU per record of the validator against the floors: ``orjson.loads`` per line and ``json.loads``
  per line, on the interleaved-polls log and on a log where no line repeats (no poll-loop shortcut);
* 100,000 unreadable (Python ``repr``) lines;
* ``--jobs 2`` against one process on the largest log, with the findings compared;
* ``runfsm validate`` of a one-line file against ``python -c pass``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from biglog import run_lines, write_log
from harness import Row, render

RUNFSM = [sys.executable, "-m", "runfsm", "validate"]


def child(args: list[str]) -> tuple[float, float, int, bytes]:
    """(wall s, CPU s, peak RSS bytes, stdout) of one ``runfsm validate`` child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([*RUNFSM, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    wall = time.perf_counter() - t0
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out


def varied_log(path: Path, n_runs: int) -> int:
    """Polls where every line differs (a changing metadata field): the reader's repeat cache never hits."""
    lines = 0
    with open(path, "wb") as f:
        for i in range(n_runs):
            for k, line in enumerate(run_lines(i)):
                d = json.loads(line)
                d["metadata"] = {"poll": str(k)}
                f.write(json.dumps(d).encode() + b"\n")
                lines += 1
    return lines


def per_record(path: Path, repeats: int) -> dict[str, float]:
    """Best seconds per line: orjson floor, json floor, the validator with and without orjson."""
    import runfsm.validate._records as records
    from runfsm.validate import validate_paths

    with open(path, "rb") as f:
        data = f.read().splitlines()
    n = len(data)
    out: dict[str, float] = {}

    def best(fn: object) -> float:
        b = float("inf")
        for _ in range(repeats):
            t0 = time.process_time()
            fn()  # type: ignore[operator]
            b = min(b, time.process_time() - t0)
        return b / n

    try:
        import orjson

        out["orjson.loads per line"] = best(lambda: [orjson.loads(x) for x in data])
    except ImportError:
        pass
    out["json.loads per line"] = best(lambda: [json.loads(x) for x in data])
    saved = list(records._FAST)
    try:
        records._FAST[:] = []
        out["validate (orjson if installed)"] = best(lambda: validate_paths([path]))
        records._FAST[:] = [None]
        out["validate (plain json)"] = best(lambda: validate_paths([path]))
    finally:
        records._FAST[:] = saved
    return out


def measure(sizes_mb: list[int], repeats: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # import overhead
        one = d / "one.jsonl"
        one.write_bytes(run_lines(0)[0])
        bare = min(_wall([sys.executable, "-c", "pass"]) for _ in range(5))
        ours = min(child([str(one)])[0] for _ in range(5))
        rows.append(Row("validate big", "one-line file vs python -c pass", (ours - bare) * 1e9, 0,
                        note=f"+{(ours - bare) * 1000:.0f} ms over a bare interpreter ({bare * 1000:.0f} ms)"))
        # size scaling: peak RSS, CPU per MB
        per_mb: dict[int, float] = {}
        biggest = None
        for mb in sizes_mb:
            path = d / f"log_{mb}.jsonl"
            runs, lines = write_log(path, mb * 1_000_000)
            wall, cpu, rss, _ = child([str(path)])
            per_mb[mb] = cpu / mb
            rows.append(Row("validate big", f"{mb} MB JSONL, one process", cpu / lines * 1e9, lines / cpu,
                            target="peak RSS < 0.5 GB", met=rss < 500_000_000,
                            note=f"{runs} runs, {lines} lines; peak RSS {rss / 1e6:.0f} MB; CPU {cpu:.1f} s "
                                 f"({cpu / mb * 1000:.1f} ms/MB); wall {wall:.1f} s"))
            if biggest is not None:
                os.unlink(biggest)
            biggest = path
        if len(per_mb) > 1:
            lo, hi = min(per_mb), max(per_mb)
            ratio = per_mb[hi] / per_mb[lo]
            rows.append(Row("validate big", f"CPU per MB, {hi} MB vs {lo} MB", 0, 0, ratio, f"{lo} MB",
                            "within 1.2x", ratio <= 1.2))
        # --jobs 2 on the largest log
        assert biggest is not None
        one_wall, _, _, one_out = child([str(biggest), "--json"])
        two_wall, _, two_rss, two_out = child([str(biggest), "--json", "--jobs", "2"])
        same = json.loads(one_out)["findings"] == json.loads(two_out)["findings"]
        rows.append(Row("validate big", f"--jobs 2 on {max(sizes_mb)} MB", 0, 0, one_wall / two_wall, "one process",
                        "findings identical", same,
                        note=f"speed-up {one_wall / two_wall:.2f}x (wall {two_wall:.1f} s vs {one_wall:.1f} s) "
                             f"on {os.cpu_count()} CPUs; peak RSS per process {two_rss / 1e6:.0f} MB"))
        os.unlink(biggest)
        # CPU per record against the floors
        polls = d / "polls.jsonl"
        write_log(polls, 20_000_000)
        varied = d / "varied.jsonl"
        varied_log(varied, 400)
        for label, path in (("interleaved polls", polls), ("no line repeats", varied)):
            got = per_record(path, repeats)
            floor_o = got.get("orjson.loads per line")
            floor_j = got["json.loads per line"]
            if floor_o is not None:
                rows.append(Row("validate big", f"orjson.loads per line ({label})", floor_o * 1e9, 1 / floor_o))
                v = got["validate (orjson if installed)"]
                rows.append(Row("validate big", f"validate with orjson ({label})", v * 1e9, 1 / v, v / floor_o,
                                "orjson floor", "<= 4x", v / floor_o <= 4))
            rows.append(Row("validate big", f"json.loads per line ({label})", floor_j * 1e9, 1 / floor_j))
            v = got["validate (plain json)"]
            rows.append(Row("validate big", f"validate, plain json ({label})", v * 1e9, 1 / v, v / floor_j,
                            "json floor", "<= 2x", v / floor_j <= 2))
        # 100,000 unreadable lines
        junk = d / "repr.log"
        junk.write_text("".join(repr({"object": "thread.run", "id": f"run_{i}", "status": "queued", "x": None}) + "\n"
                                for i in range(100_000)))
        wall, cpu, _, _ = child([str(junk)])
        rows.append(Row("validate big", "100,000 Python-repr lines", cpu / 100_000 * 1e9, 100_000 / cpu,
                        target="< 2 s", met=wall < 2, note=f"wall {wall:.2f} s, CPU {cpu:.2f} s"))
    return rows


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def run(repeats: int, scale: float) -> list[Row]:
    return measure([20] if scale < 1 else [100], max(1, min(repeats, 3)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, action="append", help="log size in MB (repeatable; default 100)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(render(measure(sorted(args.size or [100]), args.repeats)))
