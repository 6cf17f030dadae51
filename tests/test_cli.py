"""The command line, run for real in a subprocess and checked against the library."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import pwlinear as pl


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pwlinear", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_demo_prints_breakpoints_and_a_fit_and_writes_pngs(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = run("demo", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    net = pl.Network.random([1, 8, 1], seed=0)
    for bp in pl.breakpoints(net, exact=True):
        assert str(bp) in proc.stdout
    assert "c = -1/6, w = 1, 2, loss = 1/90" in proc.stdout
    for name in ("network.png", "fit.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_breakpoints_json_exact_equals_library() -> None:
    proc = run("breakpoints", "--random", "1,16,16,1", "--seed", "3", "--exact", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = [Fraction(row["x"]) for row in json.loads(proc.stdout)]
    assert got == list(pl.breakpoints(pl.Network.random([1, 16, 16, 1], seed=3), exact=True))


def test_regions_csv_equals_library() -> None:
    proc = run("regions", "--random", "1,12,1", "--interval", "-5", "5", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    r = pl.regions(pl.Network.random([1, 12, 1], seed=0), (-5, 5))
    assert len(rows) == len(r)
    np.testing.assert_array_equal([float(row["left"]) for row in rows], r.left)
    np.testing.assert_array_equal([float(row["slope"]) for row in rows], r.slope)
    np.testing.assert_array_equal([int(row["inactive"]) for row in rows], r.n_inactive)


def test_fit_json_and_data_csv(tmp_path: Path) -> None:
    proc = run("fit", "x**2", "--units", "2", "--interval", "0", "2", "--shifts", "uniform",
               "--exact", "--format", "json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["bias"] == "-1/6" and [u["weight"] for u in res["units"]] == ["1", "2"]
    x = np.linspace(0, 1, 50)
    data = tmp_path / "d.csv"
    np.savetxt(data, np.c_[x, np.sin(3 * x)], delimiter=",", header="x,y")
    plot = tmp_path / "fit.png"
    proc = run("fit", "--data", str(data), "--units", "3", "--format", "json", "--plot", str(plot))
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    lib = pl.best_fit((x, np.sin(3 * x)), 3)
    np.testing.assert_allclose([u["shift"] for u in res["units"]], lib.shifts, rtol=1e-12)
    assert res["loss"] == pytest.approx(lib.loss, rel=1e-12)
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args",
    [
        ("breakpoints", "missing.npz"),
        ("breakpoints",),
        ("regions", "--random", "1,x,1"),
        ("fit", "x**", "--units", "2"),
        ("fit", "x**2", "--units", "0"),
        ("fit", "--units", "2"),
        ("nonsense",),
    ],
)
def test_user_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0 and pl.__version__ in proc.stdout


def test_model_file_npz_and_torch_state_dict(tmp_path: Path) -> None:
    net = pl.Network.random([1, 10, 10, 1], seed=5)
    net.save(tmp_path / "m.npz")
    proc = run("breakpoints", str(tmp_path / "m.npz"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal([r["x"] for r in json.loads(proc.stdout)], pl.breakpoints(net))
    torch = pytest.importorskip("torch")
    sd = {f"{2 * i}.weight": torch.tensor(W) for i, (W, _) in enumerate(net.layers)}
    sd.update({f"{2 * i}.bias": torch.tensor(b) for i, (_, b) in enumerate(net.layers)})
    torch.save(sd, tmp_path / "m.pt")
    proc = run("regions", str(tmp_path / "m.pt"), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(pl.regions(net)) + 1
    (tmp_path / "bad.npz").write_bytes(b"junk")
    proc = run("regions", str(tmp_path / "bad.npz"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
