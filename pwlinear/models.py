"""Networks from PyTorch and scikit-learn models (imported lazily).

Supported: a ``torch.nn.Sequential`` (or a single ``Linear``) of ``Linear``
layers with ``ReLU``, ``LeakyReLU``, ``Hardtanh`` or ``Identity`` between
them; ``Flatten`` and ``Dropout`` are no-ops (evaluation mode); a
``BatchNorm1d`` right after a ``Linear`` is folded into its weights using the
running statistics.  A fitted scikit-learn ``MLPRegressor`` or
``MLPClassifier`` with activation ``"relu"`` or ``"identity"`` (for a
classifier, the network gives the logits, before softmax or logistic).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pwlinear.activations import Activation, hardtanh, identity, leaky_relu, relu
from pwlinear.network import Network

__all__ = ["from_sklearn", "from_torch"]


def _np(t: Any) -> Any:
    return t.detach().cpu().double().numpy().copy()


def from_torch(model: Any) -> Network:
    """The :class:`~pwlinear.Network` computing the same function as a torch MLP.

    Parameters
    ----------
    model : torch.nn.Sequential or torch.nn.Linear

    Raises
    ------
    ValueError
        For a layer that is not supported, naming the layer and its position.
    """
    import torch.nn as nn

    modules = list(model) if isinstance(model, nn.Sequential) else [model]
    layers: list[tuple[Any, Any]] = []
    acts: list[Activation] = []
    pending: Activation | None = None  # activation after the last Linear
    for pos, m in enumerate(modules):
        name = f"{type(m).__name__} at position {pos}"
        if isinstance(m, nn.Linear):
            if layers:
                acts.append(pending if pending is not None else identity())
            layers.append(
                (_np(m.weight), _np(m.bias) if m.bias is not None else np.zeros(m.out_features))
            )
            pending = None
        elif isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.Hardtanh)):
            if not layers:
                raise ValueError(f"unsupported layer {name}: an activation before any Linear")
            if pending is not None:
                raise ValueError(f"unsupported layer {name}: two activations in a row")
            if isinstance(m, nn.ReLU):
                pending = relu()
            elif isinstance(m, nn.LeakyReLU):
                pending = leaky_relu(float(m.negative_slope))
            else:
                pending = hardtanh(float(m.min_val), float(m.max_val))
        elif isinstance(m, (nn.Identity, nn.Flatten, nn.Dropout)):
            continue
        elif isinstance(m, nn.BatchNorm1d):
            if not layers or pending is not None or m.running_mean is None:
                raise ValueError(
                    f"unsupported layer {name}: only a BatchNorm1d with running statistics "
                    "directly after a Linear can be folded"
                )
            scale = _np(m.weight) if m.weight is not None else np.ones(m.num_features)
            shift = _np(m.bias) if m.bias is not None else np.zeros(m.num_features)
            s = scale / np.sqrt(_np(m.running_var) + m.eps)
            W, b = layers[-1]
            layers[-1] = (s[:, None] * W, s * (b - _np(m.running_mean)) + shift)
        else:
            raise ValueError(
                f"unsupported layer {name}: pwlinear handles Linear, ReLU, LeakyReLU, Hardtanh, "
                "Identity, Flatten, Dropout and BatchNorm1d after a Linear"
            )
    if not layers:
        raise ValueError("model has no Linear layer")
    if pending is not None:  # an activation on the output: follow it by an identity layer
        acts.append(pending)
        n = layers[-1][0].shape[0]
        layers.append((np.eye(n), np.zeros(n)))
    return Network(layers, acts)


def from_sklearn(mlp: Any) -> Network:
    """The :class:`~pwlinear.Network` of a fitted ``MLPRegressor`` or ``MLPClassifier``
    (the classifier's logits)."""
    coefs = getattr(mlp, "coefs_", None)
    if coefs is None:
        raise ValueError(f"{type(mlp).__name__} is not a fitted scikit-learn MLP (no coefs_)")
    kind = getattr(mlp, "activation", None)
    if kind not in ("relu", "identity"):
        raise ValueError(
            f"mlp activation must be 'relu' or 'identity' to be piecewise linear, got {kind!r}"
        )
    layers = [
        (np.asarray(W, dtype=np.float64).T, np.asarray(b, dtype=np.float64))
        for W, b in zip(coefs, mlp.intercepts_)
    ]
    return Network(layers, kind)
