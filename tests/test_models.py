"""Real models from torch and scikit-learn, analysed along segments of input space."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier, MLPRegressor

import pwlinear as pl

# tiny models trained for seconds: convergence does not matter for these checks
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def torch_mlp(digits) -> torch.nn.Sequential:
    X, y = digits
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, 32),
        torch.nn.BatchNorm1d(32),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(32, 16),
        torch.nn.LeakyReLU(0.05),
        torch.nn.Linear(16, 10),
    ).double()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    Xt, yt = torch.from_numpy(X[:1200]), torch.from_numpy(y[:1200])
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def sk_mlp(digits) -> MLPClassifier:
    X, y = digits
    return MLPClassifier(hidden_layer_sizes=(24, 12), max_iter=600, random_state=0).fit(
        X[:1200], y[:1200]
    )


def test_from_torch_matches_forward_pass(torch_mlp, digits) -> None:
    X, _ = digits
    net = pl.Network.from_torch(torch_mlp)
    with torch.no_grad():
        ref = torch_mlp(torch.from_numpy(X[1200:])).numpy()
    np.testing.assert_allclose(net(X[1200:]), ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_from_sklearn_matches_logits(sk_mlp, digits) -> None:
    X, _ = digits
    net = pl.Network.from_sklearn(sk_mlp)
    # the classifier's logits, recomputed from its own weights (softmax would hide them)
    h = X[1200:]
    for W, b in zip(sk_mlp.coefs_[:-1], sk_mlp.intercepts_[:-1]):
        h = np.maximum(h @ W + b, 0)
    logits = h @ sk_mlp.coefs_[-1] + sk_mlp.intercepts_[-1]
    np.testing.assert_allclose(net(X[1200:]), logits, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(np.argmax(net(X[1200:]), axis=1), sk_mlp.predict(X[1200:]))
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(
        X[:200], X[:200, 10]
    )
    np.testing.assert_allclose(
        pl.Network.from_sklearn(reg)(X[:50]), reg.predict(X[:50]), rtol=1e-10
    )


@pytest.mark.parametrize("which", ["torch", "sklearn"])
def test_regions_along_a_segment_match_the_framework(which, torch_mlp, sk_mlp, digits) -> None:
    X, _ = digits
    x0, x1 = X[1300], X[1400]
    if which == "torch":
        net = pl.Network.from_torch(torch_mlp)

        def forward(P: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return torch_mlp(torch.from_numpy(P)).numpy()
    else:
        net = pl.Network.from_sklearn(sk_mlp)

        def forward(P: np.ndarray) -> np.ndarray:
            return net(P)  # the logits, checked against sklearn above

    line = pl.restrict(net, x0, x1)
    r = pl.regions(line, (0, 1))
    assert r.left[0] == 0 and r.right[-1] == 1
    rng = np.random.default_rng(0)
    t = r.left + (r.right - r.left) * rng.uniform(0.05, 0.95, len(r))
    pts = x0 + t[:, None] * (x1 - x0)
    np.testing.assert_allclose(
        r.slope * t[:, None] + r.intercept, forward(pts), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        line(np.array([0.0, 1.0])), forward(np.stack([x0, x1])), rtol=1e-9, atol=1e-9
    )
    d = pl.decision_changes(line, (0, 1))
    grid = np.linspace(0, 1, 2001)
    dense = np.argmax(forward(x0 + grid[:, None] * (x1 - x0)), axis=1)
    assert dense[0] == (d.before[0] if len(d) else dense[-1])
    assert dense[-1] == (d.after[-1] if len(d) else dense[0])
    # between consecutive reported changes the dense arg-max is constant
    bounds = np.r_[0.0, d.t, 1.0]
    for k in range(len(bounds) - 1):
        sel = (grid > bounds[k] + 1e-9) & (grid < bounds[k + 1] - 1e-9)
        expected = d.before[0] if k == 0 and len(d) else (d.after[k - 1] if len(d) else dense[0])
        assert np.all(dense[sel] == expected)


def test_restrict_is_exact_against_a_hand_built_net() -> None:
    net = pl.Network.random([5, 16, 8, 3], seed=2)
    x0 = np.linspace(-1, 1, 5)
    d = np.array([0.5, -1.0, 2.0, 0.25, 1.0])
    (W, b), rest = net.layers[0], net.layers[1:]
    hand = pl.Network([((W @ d)[:, None], b + W @ x0), *rest], net.activations)
    np.testing.assert_array_equal(
        pl.breakpoints(pl.restrict(net, x0, direction=d)), pl.breakpoints(hand)
    )
    exact = pl.restrict(net, x0, x0 + d, exact=True)
    assert exact.is_exact
    assert len(pl.breakpoints(exact, exact=True)) == len(pl.breakpoints(hand))


def test_decision_change_a_fine_grid_misses() -> None:
    # two classes; class 1 wins only on (0.5, 0.5 + 1e-7): a 1e-4 grid never sees it
    eps = 1e-7
    # logit0 = 0, logit1 = 1e-7/2 - |t - 0.5 - 1e-7/2|  (positive only inside the window)
    net = pl.Network([([[1.0]], [-(0.5 + eps / 2)]), ([[0.0], [-1.0]], [0.0, eps / 2])], ["abs"])
    d = pl.decision_changes(net, (0, 1))
    np.testing.assert_allclose(d.t, [0.5, 0.5 + eps], rtol=0, atol=1e-15)
    assert list(d.before) == [0, 1] and list(d.after) == [1, 0]
    grid = np.linspace(0, 1, 10001)
    assert np.all(np.argmax(net(grid), axis=1) == 0)


def test_unsupported_layers_are_named() -> None:
    with pytest.raises(ValueError, match="Conv2d at position 0"):
        pl.Network.from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)))
    with pytest.raises(ValueError, match="Softmax at position 2"):
        pl.Network.from_torch(
            torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Softmax(1))
        )
    with pytest.raises(ValueError, match="BatchNorm1d at position 2"):
        pl.Network.from_torch(
            torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.BatchNorm1d(2))
        )
    with pytest.raises(ValueError, match="activation must be 'relu' or 'identity'"):
        pl.Network.from_sklearn(
            MLPRegressor(hidden_layer_sizes=(3,), activation="tanh", max_iter=5).fit(
                np.eye(3), [0, 1, 2]
            )
        )
    with pytest.raises(ValueError, match="x1"):
        pl.restrict(pl.Network.random([2, 3, 1]), [0, 0])
