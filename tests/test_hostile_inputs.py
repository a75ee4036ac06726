"""Hostile inputs, each made by the test itself: the CLI answers with one line and exit 2 (or a finding),
within 10 s and 1 GiB of address space; the library raises only MeshlensError.

Classes covered (issue 13): FIFOs, sockets and device symlinks, dangling symlinks, symlinks out of a
directory, a gzip bomb, truncated gzip and uncompressed tar, a bomb member beside real proxies, YAML
alias chains and billion laughs, integers beyond 64 bits, NaN / Infinity, deep nesting, hostile tar
mtimes.
"""

from __future__ import annotations

import gzip
import io
import os
import resource
import socket
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

import meshlens as ml
from meshlens.errors import LoadError, MeshlensError
from meshlens.sources.bounded import DEFAULT_MAX_BYTES, parse_size
from tests.conftest import fixture_path

SIDECAR = ("envoy", "sidecar-productpage", "config_dump_include_eds.json")
ONE_GIB = 1024**3
TIME_LIMIT = 10


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (ONE_GIB, ONE_GIB))


def run_cli(*args: str | os.PathLike[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``meshlens ARGS`` in a subprocess bounded to 1 GiB of address space and 10 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHLENS_")}
    proc = subprocess.run([sys.executable, "-m", "meshlens.cli", *map(str, args)], input=stdin,
                          capture_output=True, timeout=TIME_LIMIT, preexec_fn=_limits, env=env, check=False)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(errors="replace"),
                                       proc.stderr.decode(errors="replace"))


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


# --- inputs the tests make -----------------------------------------------------------------------
def gzip_bomb(path: Path, inflated: int, announce: int | None = None) -> Path:
    """A gzip of ``inflated`` bytes of JSON string content, made in well under a second.

    The deflate stream repeats one self-contained block (a full flush resets the compressor), so
    the file is small while its inflated size is the real one; ``announce`` fakes the size trailer.
    """
    chunk = b"0" * (1 << 24)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(b'{"a":"') + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.compress(b'"}') + comp.flush()
    repeats = max(inflated // len(chunk), 1)
    crc = zlib.crc32(b'{"a":"')
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(b'"}', crc)
    size = 8 + repeats * len(chunk)
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
        out.write(head)
        for _ in range(repeats):
            out.write(block)
        out.write(tail)
        out.write(struct.pack("<II", crc & 0xFFFFFFFF, (announce if announce is not None else size) & 0xFFFFFFFF))
    return path


def tar_of(members: dict[str, bytes], gz: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = 1_795_000_000
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def real_dump() -> bytes:
    return fixture_path(*SIDECAR).read_bytes()


@pytest.fixture(scope="module")
def big_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2.5 GiB of JSON once inflated, in a 2.6 MB gzip (the issue's reproducer)."""
    return gzip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.json.gz", int(2.5 * ONE_GIB))


# --- sizes ----------------------------------------------------------------------------------------
def test_sizes_parse() -> None:
    assert parse_size("2GiB") == DEFAULT_MAX_BYTES == parse_size("2G") == parse_size(2 * ONE_GIB)
    assert parse_size("64k") == 65536
    with pytest.raises(MeshlensError):
        parse_size("lots")


# --- files that are not regular files ---------------------------------------------------------------
def test_fifo_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "dump.json"
    os.mkfifo(fifo)
    assert_one_line_error(run_cli("inspect", fifo), "FIFO", "refused")
    with pytest.raises(LoadError, match="FIFO"):
        ml.load(fifo)


def test_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        assert_one_line_error(run_cli("pc", "cluster", path), "socket")
    finally:
        sock.close()


def test_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    assert_one_line_error(run_cli("inspect", link), "character device", "refused")
    assert_one_line_error(run_cli("query", "/dev/zero", "$"), "character device")


def test_dangling_symlink_is_one_line(tmp_path: Path) -> None:
    link = tmp_path / "dump.json"
    link.symlink_to(tmp_path / "gone.json")
    assert_one_line_error(run_cli("check", link), "dangling symlink")


def test_directory_with_fifo_device_and_symlinks_loads_the_rest(tmp_path: Path) -> None:
    (tmp_path / "config_dump.json").write_bytes(real_dump())
    os.mkfifo(tmp_path / "clusters")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_bytes(real_dump())
    (tmp_path / "outside.json").symlink_to(outside)
    (tmp_path / "inside.json").symlink_to(tmp_path / "config_dump.json")  # inside the tree: followed
    proc = run_cli("inspect", tmp_path, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    snap = ml.load(tmp_path)
    assert len(snap.proxies) == 1 and snap.proxies[0].clusters
    skipped = {f.location.member: f.message for f in snap.findings if f.code == "ML0008"}
    assert "FIFO" in skipped["clusters"]
    assert "outside the directory" in skipped["zero"]
    assert "dangling" in skipped["dangling"]
    assert "outside the directory" in skipped["outside.json"]
    assert "inside.json" not in skipped
    assert {s.location.member for s in snap.sources if s.kind != "unrecognized"} >= {"config_dump.json",
                                                                                      "inside.json"}


# --- decompression and size bounds ------------------------------------------------------------------
def test_gzip_bomb_is_refused_within_memory(big_bomb: Path) -> None:
    assert big_bomb.stat().st_size < 4 * 1024**2
    assert_one_line_error(run_cli("inspect", big_bomb), "byte limit")


def test_gzip_bomb_with_a_lying_trailer_stops_at_the_limit(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.json.gz", 512 * 1024**2, announce=100)
    assert_one_line_error(run_cli("--max-bytes", "64MiB", "inspect", bomb), "byte limit of 64 MiB")
    with pytest.raises(LoadError, match="byte limit"):
        ml.load(bomb, max_bytes=16 * 1024**2)


def test_max_bytes_bounds_plain_files_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(real_dump())
    assert_one_line_error(run_cli("--max-bytes", "1K", "inspect", path), "byte limit of 1 KiB")
    assert_one_line_error(run_cli("--max-bytes", "1K", "inspect", "-", stdin=real_dump()), "byte limit")
    usage = run_cli("--max-bytes", "lots", "inspect", path)  # a usage error: click's usage text, exit 2
    assert usage.returncode == 2 and "not a size" in usage.stderr and "Traceback" not in usage.stderr
    assert ml.load(path, max_bytes="10MiB").proxies


def test_truncated_gzip_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "d.json.gz"
    path.write_bytes(gzip.compress(real_dump())[:5000])
    assert_one_line_error(run_cli("inspect", path), "truncated")


def test_truncated_uncompressed_tar_keeps_what_was_read(tmp_path: Path) -> None:
    body = tar_of({"a/config_dump.json": real_dump(), "b/config_dump.json": real_dump()})
    cut = tmp_path / "cut.tar"
    cut.write_bytes(body[: len(body) - len(real_dump()) // 2])
    proc = run_cli("inspect", cut, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    snap = ml.load(cut)
    assert len(snap.proxies) == 1
    assert any(f.code == "ML0008" and f.location.member == "b/config_dump.json" and "truncated" in f.message
               for f in snap.findings)
    cut.write_bytes(body[:700])  # the only member cut short: nothing to analyse, one line
    assert_one_line_error(run_cli("inspect", cut), "no capture found")


def test_bomb_member_is_skipped_and_the_rest_analysed(tmp_path: Path, big_bomb: Path) -> None:
    bomb = big_bomb.read_bytes()
    archive = tmp_path / "report.tar.gz"
    archive.write_bytes(tar_of({"bug-report/proxies/default/pp/config_dump": real_dump(),
                                "bug-report/proxies/default/evil/config_dump": bomb}, gz=True))
    proc = run_cli("inspect", archive, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    snap = ml.load(archive)
    assert len(snap.proxies) == 1 and snap.proxies[0].clusters
    (finding,) = [f for f in snap.findings if f.location.member == "bug-report/proxies/default/evil/config_dump"]
    assert finding.code == "ML0008" and "byte limit" in finding.message


def test_bad_member_of_a_known_kind_is_skipped_with_a_finding(tmp_path: Path) -> None:
    broken = b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "x": "' + \
        b"9" * 5 + b'"}], "bogus": ' + b"[" * 1024 + b"]" * 1024 + b"}"
    archive = tmp_path / "a.tar"
    archive.write_bytes(tar_of({"pp/config_dump.json": real_dump(), "bad/config_dump.json": broken}))
    snap = ml.load(archive)
    assert len(snap.proxies) >= 1 and snap.proxies[0].clusters
    assert any(f.location.member == "bad/config_dump.json" for f in snap.findings)


def test_hostile_tar_mtime_is_ignored(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("pp/config_dump.json")
        body = real_dump()
        info.size = len(body)
        info.mtime = 8**20  # year ~ 36 million
        tar.addfile(info, io.BytesIO(body))
    path = tmp_path / "t.tar"
    path.write_bytes(buf.getvalue())
    proc = run_cli("check", path)
    assert proc.returncode in (0, 1), proc.stderr
    assert ml.load(path).proxies


# --- YAML -----------------------------------------------------------------------------------------------
def test_yaml_alias_chain_in_a_clusters_dump_is_refused(tmp_path: Path) -> None:
    lines = ["configs:", "- '@type': type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
             "  x0: &a0 [lol, lol]"]
    lines += [f"  x{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    lines += ["  dynamic_active_clusters: *a39"]
    path = tmp_path / "dump.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert_one_line_error(run_cli("pc", "cluster", path), "alias")
    recursive = tmp_path / "rec.yaml"
    recursive.write_text("configs: &a\n- '@type': type.googleapis.com/envoy.admin.v3.ClustersConfigDump\n"
                         "  dynamic_active_clusters: *a\n")
    assert_one_line_error(run_cli("inspect", recursive), "alias")


def test_billion_laughs_does_not_hang_query(tmp_path: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path = tmp_path / "lol.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert_one_line_error(run_cli("query", path, "$..a9"), "alias")


def test_yaml_values_json_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("configs:\n- '@type': x\n  n: " + "9" * 5000 + "\n")
    assert_one_line_error(run_cli("inspect", path), "64 bits")
    path.write_text("configs:\n- '@type': x\n  n: .nan\n")
    assert_one_line_error(run_cli("inspect", path), "NaN")
    path.write_text("a:\n" + "".join("  " * i + "- \n" for i in range(1, 5)) + "[" * 3000 + "]" * 3000 + "\n")
    assert_one_line_error(run_cli("inspect", path))


# --- JSON numbers and nesting ----------------------------------------------------------------------------
@pytest.mark.parametrize("value, needle", [
    (b"9" * 5000, "out of range"),
    (b"18446744073709551616" + b"0" * 400, "out of range"),
    (b"1e400", "out of range"),
    (b"NaN", "NaN or Infinity"),
    (b"Infinity", "NaN or Infinity"),
    (b"-Infinity", "NaN or Infinity"),
])
def test_json_numbers_beyond_json(tmp_path: Path, value: bytes, needle: str) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", '
                     b'"version_info": ' + value + b"}]}")
    assert_one_line_error(run_cli("inspect", path), needle)
    with pytest.raises(LoadError, match=needle):
        ml.load(path)


def test_json_nested_beyond_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(b'{"configs": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert_one_line_error(run_cli("inspect", path), "nested too deeply")


# --- other readers -------------------------------------------------------------------------------------------
def test_a_streamed_ztunnel_log_is_bounded_too(tmp_path: Path) -> None:
    """A log is streamed, never read whole: its inflated size still counts against the limit, and a
    'line' with no newline (a bomb of one character) is read in pieces."""
    head = (Path(__file__).resolve().parent.parent / "samples" / "ztunnel" / "ztunnel.log").read_bytes()[:4000]
    head = head[: head.rfind(b"\n") + 1]
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = comp.compress(head)
    chunk = b"x" * (1 << 20)
    for _ in range(256):  # 256 MiB without a newline
        body += comp.compress(chunk)
    body += comp.flush()
    path = tmp_path / "ztunnel.log.gz"
    path.write_bytes(body)
    assert_one_line_error(run_cli("--max-bytes", "64MiB", "logs", path), "byte limit")
    with pytest.raises(LoadError, match="byte limit"):
        ml.load(path, max_bytes="16MiB")


def test_a_fifo_named_as_the_baseline_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "baseline.json"
    os.mkfifo(fifo)
    dump = tmp_path / "d.json"
    dump.write_bytes(real_dump())
    assert_one_line_error(run_cli("check", dump, "--baseline", fifo), "FIFO")
