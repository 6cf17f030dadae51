"""Saving and loading networks: round trips, and files that must fail without running code."""

from __future__ import annotations

import pickle
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import pwlinear as pl


def test_npz_round_trip_float_exact_and_custom(tmp_path: Path) -> None:
    nets = [
        pl.Network.random([1, 8, 8, 2], seed=0, activation="hardtanh"),
        pl.Network([([[Fraction(1, 3)], [1]], [Fraction(-1, 7), 0]), ([[1, 2]], [0])]),
        pl.Network(
            [([[1.0], [-2.0]], [0.5, 0.25]), ([[1.0, 1.0]], [0.0])],
            pl.Activation([0.0, 1.0], [0.0, 2.0, 0.5], name="ramp"),
        ),
    ]
    for k, net in enumerate(nets):
        path = tmp_path / f"n{k}.npz"
        net.save(path)
        back = pl.Network.load(path)
        assert back == net and back.activations == net.activations
        assert back.is_exact == net.is_exact
        np.testing.assert_array_equal(pl.breakpoints(back), pl.breakpoints(net))


def test_torch_state_dict_round_trip(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(1, 6),
        torch.nn.ReLU(),
        torch.nn.Linear(6, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 1),
    ).double()
    path = tmp_path / "mlp.pt"
    torch.save(model.state_dict(), path)
    net = pl.Network.load(path)
    x = np.linspace(-3, 3, 101)
    with torch.no_grad():
        ref = model(torch.from_numpy(x[:, None])).numpy()[:, 0]
    np.testing.assert_allclose(net(x), ref, rtol=1e-12, atol=1e-12)


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("CODE FROM THE FILE RAN",))


def test_pickled_payloads_are_refused_and_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    npz = tmp_path / "evil.npz"
    np.savez(npz, format=np.array("pwlinear.Network/1"), n_layers=np.array([_Boom()], dtype=object))
    with pytest.raises(ValueError, match="without pickle"):
        pl.Network.load(npz)
    pt = tmp_path / "evil.pt"
    pt.write_bytes(pickle.dumps({"0.weight": _Boom()}, protocol=2))
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="state_dict"):
        pl.Network.load(pt)
    assert "CODE FROM THE FILE RAN" not in capsys.readouterr().out


def test_bad_files_fail_with_a_message(tmp_path: Path) -> None:
    good = pl.Network.random([1, 3, 1], seed=0)
    good.save(tmp_path / "g.npz")
    data = dict(np.load(tmp_path / "g.npz"))
    bad_shape = dict(data, W1=np.ones((1, 4)))
    np.savez(tmp_path / "shape.npz", **bad_shape)
    with pytest.raises(ValueError, match=r"layers\[1\] weight W has 4 input columns"):
        pl.Network.load(tmp_path / "shape.npz")
    nan = dict(data, b0=np.array([0.0, np.nan, 1.0]))
    np.savez(tmp_path / "nan.npz", **nan)
    with pytest.raises(ValueError, match=r"layers\[0\] bias b must be finite"):
        pl.Network.load(tmp_path / "nan.npz")
    np.savez(tmp_path / "other.npz", x=np.ones(3))
    with pytest.raises(ValueError, match="not a network saved by pwlinear"):
        pl.Network.load(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        pl.Network.load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError):
        pl.Network.load(tmp_path / "missing.npz")
