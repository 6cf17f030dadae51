"""pwlinear: the exact piecewise-linear form of scalar-input ReLU networks.

A network :math:`N:\\mathbb{R}\\to\\mathbb{R}` with piecewise-linear
activations is :math:`N(x) = s_r x + c_r` on each activation region; pwlinear
computes every region, slope and breakpoint analytically, and fits sums of
shifted ReLUs :math:`c + \\sum_i w_i\\,\\mathrm{relu}(x - h_i)` to targets.

>>> import pwlinear as pl
>>> net = pl.shifted_relus(weights=[1.0, 1.0], shifts=[0.0, 1.0])
>>> pl.breakpoints(net)
array([0., 1.])
"""

from pwlinear.activations import (
    Activation,
    absolute,
    get_activation,
    hardtanh,
    identity,
    leaky_relu,
    relu,
)
from pwlinear.analysis import Regions, breakpoints, regions, to_piecewise
from pwlinear.fit import FitResult, best_fit
from pwlinear.lines import DecisionChanges, breakpoints_many, decision_changes, restrict
from pwlinear.network import Network, as_network, shifted_relus
from pwlinear.piecewise import PiecewiseConstant, PiecewiseLinear, maximum, minimum

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "DecisionChanges",
    "FitResult",
    "Network",
    "PiecewiseConstant",
    "PiecewiseLinear",
    "Regions",
    "absolute",
    "as_network",
    "best_fit",
    "breakpoints",
    "breakpoints_many",
    "decision_changes",
    "get_activation",
    "hardtanh",
    "identity",
    "leaky_relu",
    "maximum",
    "minimum",
    "regions",
    "relu",
    "restrict",
    "shifted_relus",
    "to_piecewise",
]
