"""Feed-forward networks with piecewise-linear activations.

A network with layers :math:`(W_1, b_1), \\dots, (W_L, b_L)` and hidden
activations :math:`\\sigma_1, \\dots, \\sigma_{L-1}` is

.. math::

    N(x) = W_L\\, \\sigma_{L-1}(\\cdots \\sigma_1(W_1 x + b_1) \\cdots) + b_L,

with :math:`W_l` of shape ``(n_out, n_in)`` as in ``torch.nn.Linear.weight``.
The output layer has no activation.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pwlinear._exact import is_exact_number, scaled_integers, to_fraction
from pwlinear.activations import Activation, get_activation

__all__ = ["Network", "shifted_relus", "as_network", "NetworkLike"]

Layer = tuple[NDArray[np.float64], NDArray[np.float64]]
NetworkLike = Union["Network", Sequence[tuple[ArrayLike, ArrayLike]]]


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


def _as_matrix(value: Any, name: str, ndim: int) -> tuple[NDArray[np.float64], NDArray[Any] | None]:
    """Float64 array of ``value`` (checked finite) and, for exact inputs, the Fraction array."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        arr = value
    else:
        try:
            arr = np.asarray(value, dtype=object) if _has_exact(value) else np.asarray(value)
        except ValueError:
            raise ValueError(
                f"{name} must be a rectangular {ndim}-D array, got ragged {value!r}"
            ) from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.dtype.kind in "cSUMmV":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.dtype == object:
        exact = np.empty(arr.shape, dtype=object)
        flat = exact.reshape(-1)
        for i, v in enumerate(arr.reshape(-1)):
            flat[i] = to_fraction(v, name)
        try:
            floats = exact.astype(np.float64)
        except OverflowError:  # the float path needs every weight as a float64
            big = next(v for v in flat if abs(v) > np.finfo(np.float64).max)
            digits = math.log10(abs(big.numerator)) - math.log10(big.denominator)
            raise ValueError(
                f"{name} must lie within the float64 range, got a value of about 1e{digits:.0f}"
            ) from None
        return _readonly(floats), _readonly(exact)
    try:
        out = np.array(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must hold real numbers: {exc}") from None
    if not np.all(np.isfinite(out)):
        bad = out[~np.isfinite(out)][0]
        raise ValueError(f"{name} must be finite, got {bad!r}")
    return _readonly(out), None


def _has_exact(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype == object and any(is_exact_number(v) for v in value.reshape(-1))
    if isinstance(value, (list, tuple)):
        return any(_has_exact(v) for v in value)
    return is_exact_number(value) and not isinstance(value, (int, np.integer))


class Network:
    """A network :math:`N(x) = W_L \\sigma_{L-1}(\\cdots \\sigma_1(W_1 x + b_1)\\cdots) + b_L`.

    Parameters
    ----------
    layers : sequence of (W, b)
        Weight matrices of shape ``(n_out, n_in)`` and bias vectors of shape
        ``(n_out,)``; consecutive shapes must chain.  Entries may be floats or
        exact numbers (:class:`~fractions.Fraction`, sympy rationals).
    activation : str, Activation or sequence of them, default "relu"
        One activation for every hidden layer, or one per hidden layer
        (``len(layers) - 1`` of them).
    exact : bool, default False
        Keep the weights as exact rationals for ``exact=True`` analyses even
        when all are floats (floats are always taken at their exact value).

    Examples
    --------
    >>> import pwlinear as pl
    >>> net = pl.Network([([[1.0], [-1.0]], [0.0, 1.0]), ([[1.0, 1.0]], [0.0])])
    >>> net
    Network(widths=[1, 2, 1], activations=[relu])
    >>> net([-1.0, 0.5, 2.0])
    array([2., 1., 2.])
    """

    __slots__ = ("layers", "activations", "_exact_layers", "_cache")

    layers: tuple[Layer, ...]
    activations: tuple[Activation, ...]
    _exact_layers: tuple[tuple[NDArray[np.object_], NDArray[np.object_]], ...] | None
    _cache: dict[str, Any]

    def __init__(
        self,
        layers: Sequence[tuple[ArrayLike, ArrayLike]],
        activation: Any = "relu",
        *,
        exact: bool = False,
    ) -> None:
        if isinstance(layers, Network):
            raise TypeError("layers is already a Network; use it directly or net.layers")
        try:
            layer_list = list(layers)
        except TypeError:
            raise TypeError(
                f"layers must be a sequence of (W, b) pairs, got {type(layers).__name__}"
            ) from None
        if not layer_list:
            raise ValueError("layers must hold at least one (W, b) pair, got an empty sequence")
        floats: list[Layer] = []
        exacts: list[tuple[NDArray[Any] | None, NDArray[Any] | None]] = []
        for i, pair in enumerate(layer_list):
            try:
                W, b = pair
            except (TypeError, ValueError):
                raise TypeError(f"layers[{i}] must be a (W, b) pair, got {pair!r}") from None
            Wf, We = _as_matrix(W, f"layers[{i}] weight W", 2)
            bf, be = _as_matrix(b, f"layers[{i}] bias b", 1)
            if Wf.shape[0] == 0 or Wf.shape[1] == 0:
                raise ValueError(f"layers[{i}] weight W must not be empty, got shape {Wf.shape}")
            if bf.shape != (Wf.shape[0],):
                raise ValueError(
                    f"layers[{i}] bias b must have shape ({Wf.shape[0]},) to match W of shape "
                    f"{Wf.shape}, got {bf.shape}"
                )
            if i > 0 and Wf.shape[1] != floats[-1][0].shape[0]:
                raise ValueError(
                    f"layers[{i}] weight W has {Wf.shape[1]} input columns but layers[{i - 1}] "
                    f"has {floats[-1][0].shape[0]} outputs"
                )
            floats.append((Wf, bf))
            exacts.append((We, be))
        n_hidden = len(floats) - 1
        if isinstance(activation, (str, Activation)):
            acts = tuple(get_activation(activation) for _ in range(n_hidden))
        else:
            try:
                act_list = list(activation)
            except TypeError:
                raise TypeError(
                    "activation must be a name, an Activation or a sequence of them, "
                    f"got {type(activation).__name__}"
                ) from None
            if len(act_list) != n_hidden:
                raise ValueError(
                    f"activation must list one activation per hidden layer ({n_hidden}), "
                    f"got {len(act_list)}"
                )
            acts = tuple(get_activation(a) for a in act_list)
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "layers", tuple(floats))
        object.__setattr__(self, "activations", acts)
        keep_exact = exact or any(e is not None for pair in exacts for e in pair)
        object.__setattr__(
            self,
            "_exact_layers",
            tuple(
                (
                    We if We is not None else _fraction_array(Wf),
                    be if be is not None else _fraction_array(bf),
                )
                for (Wf, bf), (We, be) in zip(floats, exacts)
            )
            if keep_exact
            else None,
        )

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def random(
        cls,
        widths: Sequence[int],
        *,
        seed: int | np.random.Generator | None = 0,
        bias_std: float = 1.0,
        activation: Any = "relu",
    ) -> Network:
        """A network with He-normal weights :math:`W \\sim N(0, 2/n_{in})` and
        :math:`N(0, \\sigma_b^2)` biases.

        Parameters
        ----------
        widths : sequence of int
            ``[n_in, hidden..., n_out]``, at least two entries, all positive.
        seed : int, Generator or None, default 0
            Seed of :func:`numpy.random.default_rng`.
        bias_std : float, default 1.0
            Standard deviation of the biases.
        activation : str or Activation, default "relu"

        Examples
        --------
        >>> import pwlinear as pl
        >>> pl.Network.random([1, 64, 64, 1], seed=0)
        Network(widths=[1, 64, 64, 1], activations=[relu, relu])
        """
        w = [int(v) for v in widths]
        if len(w) < 2 or any(v < 1 for v in w) or any(v != x for v, x in zip(w, widths)):
            raise ValueError(f"widths must be at least two positive integers, got {list(widths)}")
        if not np.isfinite(bias_std) or bias_std < 0:
            raise ValueError(f"bias_std must be finite and >= 0, got {bias_std!r}")
        rng = np.random.default_rng(seed)
        layers = [
            (rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)), rng.normal(0.0, bias_std, n_out))
            for n_in, n_out in zip(w[:-1], w[1:])
        ]
        return cls(layers, activation)

    # -- shape --------------------------------------------------------------------------------

    @property
    def widths(self) -> tuple[int, ...]:
        """``(n_in, hidden widths..., n_out)``."""
        return (self.layers[0][0].shape[1],) + tuple(W.shape[0] for W, _ in self.layers)

    @property
    def n_inputs(self) -> int:
        """Number of input columns."""
        return int(self.layers[0][0].shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of output rows of the last layer."""
        return int(self.layers[-1][0].shape[0])

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """Widths of the hidden layers (the ones with an activation)."""
        return self.widths[1:-1]

    @property
    def is_exact(self) -> bool:
        """True when the network keeps exact rational weights."""
        return self._exact_layers is not None

    @property
    def exact_layers(self) -> tuple[tuple[NDArray[np.object_], NDArray[np.object_]], ...]:
        """The layers as :class:`~fractions.Fraction` object arrays (floats taken exactly)."""
        if self._exact_layers is not None:
            return self._exact_layers  # type: ignore[no-any-return]
        return tuple((_fraction_array(W), _fraction_array(b)) for W, b in self.layers)

    def integer_layers(
        self,
    ) -> tuple[tuple[NDArray[np.object_], Fraction, NDArray[np.object_], Fraction], ...]:
        """Each layer exactly as ``(W_int, W_scale, b_int, b_scale)``: ``W = W_int * W_scale``.

        Integer object arrays (Python ints) keep exact products of dyadic
        weights cheap; computed once per network.
        """
        cached = self._cache.get("integer_layers")
        if cached is None:
            cached = tuple(scaled_integers(W) + scaled_integers(b) for W, b in self.exact_layers)
            self._cache["integer_layers"] = cached
        return cached  # type: ignore[no-any-return]

    @classmethod
    def from_torch(cls, model: Any) -> Network:
        """The network of a ``torch.nn.Sequential`` MLP; see :func:`pwlinear.models.from_torch`."""
        from pwlinear.models import from_torch

        return from_torch(model)

    @classmethod
    def from_sklearn(cls, mlp: Any) -> Network:
        """The network of a fitted scikit-learn MLP; see :func:`pwlinear.models.from_sklearn`."""
        from pwlinear.models import from_sklearn

        return from_sklearn(mlp)

    # -- files ------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the network to a ``.npz`` file (plain arrays and strings, no pickle).

        Exact weights are stored as ``"p/q"`` strings; activations as their
        knots, slopes, offset and active pieces, so custom ones round-trip.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import pwlinear as pl
        >>> net = pl.Network.random([1, 4, 1], seed=1, activation="leaky_relu")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
        >>> net.save(path)
        >>> pl.Network.load(path) == net
        True
        """
        arrays: dict[str, NDArray[Any]] = {
            "format": np.array(_FORMAT),
            "n_layers": np.array(len(self.layers)),
        }
        for i, ((W, b), (We, be)) in enumerate(zip(self.layers, self.exact_layers)):
            arrays[f"W{i}"], arrays[f"b{i}"] = W, b
            if self.is_exact:
                arrays[f"W{i}_exact"] = np.vectorize(str, otypes=[str])(We)
                arrays[f"b{i}_exact"] = np.vectorize(str, otypes=[str])(be)
        for i, act in enumerate(self.activations):
            kn, sl, of = act.exact
            arrays[f"act{i}_name"] = np.array(act.name)
            arrays[f"act{i}_knots"] = np.array([str(v) for v in kn], dtype=str)
            arrays[f"act{i}_slopes"] = np.array([str(v) for v in sl], dtype=str)
            arrays[f"act{i}_offset"] = np.array(str(of[0]))
            arrays[f"act{i}_active"] = act.active
        np.savez(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, activation: Any = "relu") -> Network:
        """Read a network from a ``.npz`` written by :meth:`save`, or from a PyTorch
        ``state_dict`` file of a Sequential MLP (loaded with ``weights_only=True``;
        its hidden layers get ``activation``).

        Nothing in the file is executed: ``.npz`` files are opened with
        ``allow_pickle=False``, and every array is checked (shapes, finiteness)
        as for :class:`Network` itself.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"path {path!r} is not a file")
        if path.endswith(".npz"):
            return _load_npz(path)
        return _load_state_dict(path, activation)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    # -- evaluation ---------------------------------------------------------------------------

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Forward pass in float64.

        ``x`` has shape ``(...)`` for a scalar-input network or ``(..., n_in)``;
        the result has shape ``(...)`` for one output, else ``(..., n_out)``.
        """
        xa = np.asarray(x, dtype=np.float64)
        if self.n_inputs == 1:
            h = xa[..., None]
        else:
            if xa.ndim == 0 or xa.shape[-1] != self.n_inputs:
                raise ValueError(
                    f"x must have shape (..., {self.n_inputs}) for this network, got {xa.shape}"
                )
            h = xa
        for (W, b), act in zip(self.layers[:-1], self.activations):
            h = act(h @ W.T + b)
        W, b = self.layers[-1]
        out: NDArray[np.float64] = h @ W.T + b
        return out[..., 0] if self.n_outputs == 1 else out

    # -- protocol -----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        if self.widths != other.widths or self.activations != other.activations:
            return False
        return all(
            bool(np.all(a == b))
            for (Wa, ba), (Wb, bb) in zip(self.exact_layers, other.exact_layers)
            for a, b in ((Wa, Wb), (ba, bb))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        acts = ", ".join(repr(a) for a in self.activations)
        exact = ", exact=True" if self.is_exact else ""
        return f"Network(widths={list(self.widths)}, activations=[{acts}]{exact})"


_FORMAT = "pwlinear.Network/1"


def _load_npz(path: str) -> Network:
    try:
        with np.load(path, allow_pickle=False) as data:
            files = {k: data[k] for k in data.files}
    except ValueError as exc:
        raise ValueError(f"cannot load {path!r} without pickle: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path!r} is not a readable .npz file: {exc}") from None
    if str(files.get("format", "")) != _FORMAT:
        raise ValueError(f"{path!r} is not a network saved by pwlinear (no format {_FORMAT!r})")
    try:
        n = int(files["n_layers"])
        layers: list[tuple[Any, Any]] = []
        for i in range(n):
            if f"W{i}_exact" in files:
                W = np.vectorize(Fraction, otypes=[object])(files[f"W{i}_exact"])
                b = np.vectorize(Fraction, otypes=[object])(files[f"b{i}_exact"])
            else:
                W, b = files[f"W{i}"], files[f"b{i}"]
            layers.append((W, b))
        acts = [
            Activation(
                [Fraction(str(v)) for v in files[f"act{i}_knots"]],
                [Fraction(str(v)) for v in files[f"act{i}_slopes"]],
                Fraction(str(files[f"act{i}_offset"])),
                name=str(files[f"act{i}_name"]),
                active=files[f"act{i}_active"],
            )
            for i in range(n - 1)
        ]
    except KeyError as exc:
        raise ValueError(f"{path!r} lacks the array {exc}") from None
    return Network(layers, acts)


def _load_state_dict(path: str, activation: Any) -> Network:
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"loading {path!r} as a torch state_dict needs torch: pip install 'pwlinear[torch]'"
        ) from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, ...
        raise ValueError(f"cannot load {path!r} as a torch state_dict: {exc}") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path!r} holds a {type(state).__name__}, not a state_dict")
    weights = sorted(k for k in state if k.endswith(".weight"))
    if not weights:
        raise ValueError(f"{path!r} has no '*.weight' entries")

    def position(key: str) -> tuple[int, ...]:
        return tuple(int(p) for p in key.split(".")[:-1] if p.isdigit())

    layers = []
    for key in sorted(weights, key=position):
        W = state[key].detach().double().numpy()
        bias_key = key[: -len("weight")] + "bias"
        b = state[bias_key].detach().double().numpy() if bias_key in state else np.zeros(W.shape[0])
        layers.append((W, b))
    return Network(layers, activation)


def _fraction_array(a: NDArray[Any]) -> NDArray[np.object_]:
    out = np.empty(a.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1)):
        flat[i] = Fraction(float(v)) if not isinstance(v, Fraction) else v
    out.flags.writeable = False
    return out


def shifted_relus(weights: ArrayLike, shifts: ArrayLike, bias: Any = 0.0) -> Network:
    """The one-hidden-layer network :math:`c + \\sum_i w_i\\, \\mathrm{relu}(x - h_i)`.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Output weights :math:`w_i`.
    shifts : array_like, shape (n,)
        Shifts :math:`h_i`, the points where unit ``i`` switches on.
    bias : float, default 0
        The constant :math:`c`.

    Examples
    --------
    >>> import pwlinear as pl
    >>> net = pl.shifted_relus(weights=[1.0, 1.0], shifts=[0.0, 1.0])
    >>> net([-1.0, 0.5, 2.0])
    array([0. , 0.5, 3. ])
    >>> pl.breakpoints(net)
    array([0., 1.])
    """
    w = (
        np.asarray(weights, dtype=object).reshape(-1)
        if _has_exact(weights)
        else np.asarray(weights)
    )
    h = np.asarray(shifts, dtype=object).reshape(-1) if _has_exact(shifts) else np.asarray(shifts)
    if w.ndim != 1 or h.ndim != 1:
        raise ValueError(
            f"weights and shifts must be 1-D, got shapes {np.shape(weights)} and {np.shape(shifts)}"
        )
    if w.shape != h.shape:
        raise ValueError(f"weights and shifts must have the same length, got {w.size} and {h.size}")
    if w.size == 0:
        raise ValueError("shifted_relus needs at least one unit, got empty weights and shifts")
    exact = _has_exact(weights) or _has_exact(shifts) or _has_exact(bias)
    one = np.ones((w.size, 1), dtype=object if exact else np.float64)
    return Network(
        [
            (
                one,
                -h if not exact else np.array([-to_fraction(v, "shifts") for v in h], dtype=object),
            ),
            (w.reshape(1, -1), np.array([bias], dtype=object if exact else None)),
        ],
        "relu",
    )


def as_network(net: Any, name: str = "net") -> Network:
    """``net`` itself if it is a :class:`Network`, else ``Network(net)`` for a list of (W, b)."""
    if isinstance(net, Network):
        return net
    if isinstance(net, (list, tuple)):
        return Network(net)
    # duck-typed objects such as PiecewiseLinear can offer to_network()
    to_net = getattr(net, "to_network", None)
    if callable(to_net):
        out = to_net()
        if isinstance(out, Network):
            return out
    raise TypeError(f"{name} must be a Network or a list of (W, b) pairs, got {type(net).__name__}")
