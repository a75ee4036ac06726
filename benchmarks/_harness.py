"""Shared plumbing of the benchmarks: the dumps, CPU-time measurement, figures and their table.

Every figure is a meshlens measurement beside its peer measured in the same run (``orjson.loads``
with the cyclic GC off, ``jq``, ``python -c pass``, the load it is relative to) and a target on the
ratio. Times are CPU seconds (user + system, of the process or of a child process) unless a figure
says ``wall``: the machines these run on are shared, and CPU time is what a slow scheduler does not
inflate. Each benchmark script prints its figures and exits 1 when one misses its target.

The dumps: ``../shared/fixtures/envoy/scale/n{100,1000,5000}-config_dump_include_eds.json.gz``,
decompressed once into ``benchmarks/.data/`` (ignored by git), plus ``n10000`` made from n5000 by
:mod:`make_n10000` (renamed copies of its resources).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
SIZES = (100, 1000, 5000, 10000)


@dataclass
class Figure:
    """One measured figure: meshlens' value, its same-run peer, the ratio and the target on it."""

    bench: str
    name: str
    size: str
    value: float
    unit: str = "s"
    peer: str = ""
    peer_value: float | None = None
    target: float | None = None  # the ratio (or, without a peer, the value) must be <= target
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.peer_value is None or self.peer_value <= 0:
            return None
        return self.value / self.peer_value

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        measured = self.ratio if self.peer_value is not None else self.value
        return measured is not None and measured <= self.target

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "ok": self.ok}


def shared_dir(arg: Path | None = None) -> Path:
    return arg or REPO.parent / "shared"


def scale_dir(shared: Path) -> Path:
    return shared / "fixtures" / "envoy" / "scale"


def dump_path(size: int, shared: Path) -> Path:
    """The decompressed ``n<size>`` config dump (made on first use)."""
    DATA.mkdir(exist_ok=True)
    out = DATA / f"n{size}-config_dump_include_eds.json"
    if out.exists():
        return out
    if size == 10000:
        from make_n10000 import make  # noqa: PLC0415 - the generator is only needed once

        make(dump_path(5000, shared), out)
        return out
    source = scale_dir(shared) / f"n{size}-config_dump_include_eds.json.gz"
    if not source.exists():
        raise SystemExit(f"not found: {source} (pass --shared)")
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(gzip.decompress(source.read_bytes()))
    tmp.replace(out)
    return out


def companion_path(name: str, shared: Path) -> Path:
    """A decompressed companion capture of the scale set (``n1000-clusters.json``)."""
    DATA.mkdir(exist_ok=True)
    out = DATA / name
    if not out.exists():
        out.write_bytes(gzip.decompress((scale_dir(shared) / f"{name}.gz").read_bytes()))
    return out


def run_child(cmd: Sequence[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int, bytes]:
    """Run ``cmd`` to completion; (CPU seconds, peak RSS KiB, stdout), read with ``wait4``."""
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(map(str, cmd[:6]))} ... exit {proc.returncode}: "
                         f"{err.decode(errors='replace').strip()[-800:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out


def median_cpu(cmd: Sequence[str], runs: int) -> tuple[float, int]:
    """Median CPU seconds and the largest peak RSS (KiB) of ``runs`` runs of ``cmd``."""
    times, rss = [], 0
    for _ in range(runs):
        cpu, peak, _ = run_child(cmd)
        times.append(cpu)
        rss = max(rss, peak)
    return statistics.median(times), rss


def python_json(code: str, *args: str) -> Any:
    """Run ``code`` in a fresh interpreter (repository on the path); its last stdout line as JSON."""
    _, _, out = run_child([sys.executable, "-c", code, *args])
    return json.loads(out.decode().strip().splitlines()[-1])


def which_jq() -> str | None:
    return shutil.which("jq")


def meshlens_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "meshlens.cli", *args]


def slope(figures: list[Figure]) -> list[Figure]:
    """Growth n1000 -> n10000 of each figure measured at both sizes, as a log-log slope (target <= 1.1)."""
    by_key: dict[tuple[str, str], dict[str, Figure]] = {}
    for fig in figures:
        by_key.setdefault((fig.bench, fig.name), {})[fig.size] = fig
    out = []
    for (bench, name), sizes in by_key.items():
        small, large = sizes.get("n1000"), sizes.get("n10000")
        if small is None or large is None or small.value <= 0 or large.value <= 0 or small.unit != large.unit:
            continue
        if small.unit in ("x", "ms/trace"):
            continue  # ratios and per-trace latencies are not meant to grow with the dump
        value = math.log(large.value / small.value) / math.log(10)
        out.append(Figure(bench, f"growth {name}", "n1000->n10000", value, "slope", target=1.1))
    return out


def format_table(figures: list[Figure]) -> str:
    """The figures as an aligned text table."""
    head = ("bench", "figure", "size", "meshlens", "peer", "peer value", "ratio", "target", "ok")
    rows = [head]
    for f in figures:
        rows.append((
            f.bench, f.name, f.size, _fmt(f.value, f.unit), f.peer, _fmt(f.peer_value, f.unit) if f.peer_value
            is not None else "", f"{f.ratio:.2f}x" if f.ratio is not None else "",
            f"<= {f.target:g}" if f.target is not None else "",
            {True: "ok", False: "MISS", None: ""}[f.ok] + (f"  {f.note}" if f.note else ""),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:.3f} {unit}"


def parse_args(doc: str | None, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=None, help="the shared/ folder (default ../shared)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="dump sizes, comma-separated")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON lines")
    if extra:
        extra(parser)
    return parser.parse_args()


def sizes_of(args: argparse.Namespace) -> list[int]:
    return [int(s) for s in str(args.sizes).split(",") if s]


def report(figures: list[Figure], as_json: bool = False) -> int:
    """Print ``figures`` (table or JSON lines); 1 when one misses its target."""
    if as_json:
        for fig in figures:
            print(json.dumps(fig.to_dict()))
    else:
        print(format_table(figures))
    return 1 if any(f.ok is False for f in figures) else 0
