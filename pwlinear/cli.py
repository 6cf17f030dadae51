"""The ``pwlinear`` command line (also ``python -m pwlinear``).

A thin layer over the library: every number it prints comes from
:func:`pwlinear.regions`, :func:`pwlinear.breakpoints` or
:func:`pwlinear.best_fit`.  User mistakes end with one line on stderr and
exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import pwlinear as pl


class UserError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


# -- formatting ---------------------------------------------------------------------------------


def _num(v: Any) -> str:
    if isinstance(v, (Fraction, int, np.integer)):
        return str(v)
    f = float(v)
    return repr(f) if np.isfinite(f) else ("inf" if f > 0 else "-inf")


def _json_num(v: Any) -> Any:
    if isinstance(v, Fraction):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    return f if np.isfinite(f) else ("inf" if f > 0 else "-inf")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    line = "  ".join(h.rjust(w) for h, w in zip(header, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def _emit(header: list[str], rows: list[list[Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(header, map(_json_num, r))) for r in rows], indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows([[_num(v) for v in r] for r in rows])
        return buf.getvalue().rstrip("\n")
    return _table(header, [[_num(v) for v in r] for r in rows])


# -- inputs -------------------------------------------------------------------------------------


def _network(args: argparse.Namespace) -> pl.Network:
    if args.random is not None:
        try:
            widths = [int(v) for v in args.random.split(",")]
            return pl.Network.random(widths, seed=args.seed)
        except ValueError as exc:
            raise UserError(f"--random: {exc}") from None
    if args.model is None:
        raise UserError("give a MODEL file or --random WIDTHS")
    path = Path(args.model)
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    load = getattr(pl.Network, "load", None)
    if load is None:
        raise UserError("loading model files needs Network.load, which this version lacks")
    try:
        return load(path)  # type: ignore[no-any-return]
    except (ValueError, TypeError, OSError) as exc:
        raise UserError(f"cannot load {path}: {exc}") from None


def _interval(args: argparse.Namespace) -> tuple[float, float] | None:
    return None if args.interval is None else (args.interval[0], args.interval[1])


# -- subcommands --------------------------------------------------------------------------------


def _cmd_breakpoints(args: argparse.Namespace) -> str:
    net = _network(args)
    bp = pl.breakpoints(net, _interval(args), exact=args.exact)
    return _emit(["x"], [[v] for v in bp], args.format)


def _regions_rows(r: pl.Regions) -> list[list[Any]]:
    return [
        [r.left[q], r.right[q], r.slope[q], r.intercept[q], int(r.n_inactive[q])]
        for q in range(len(r))
    ]


def _cmd_regions(args: argparse.Namespace) -> str:
    net = _network(args)
    if net.n_outputs != 1:
        raise UserError(
            f"the network has {net.n_outputs} outputs; this command shows one-output nets"
        )
    r = pl.regions(net, _interval(args), exact=args.exact)
    return _emit(["left", "right", "slope", "intercept", "inactive"], _regions_rows(r), args.format)


def _fit_rows(fit: pl.FitResult) -> list[list[Any]]:
    return [[i, h, w] for i, (h, w) in enumerate(zip(fit.shifts, fit.weights))]


def _cmd_fit(args: argparse.Namespace) -> str:
    if (args.expr is None) == (args.data is None):
        raise UserError("give either an expression EXPR or --data FILE.csv")
    if args.data is not None:
        path = Path(args.data)
        if not path.is_file():
            raise UserError(f"data file not found: {path}")
        try:
            xy = np.loadtxt(path, delimiter=",", ndmin=2, comments="#")
        except ValueError:
            try:
                xy = np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)
            except ValueError as exc:
                raise UserError(f"cannot read {path} as two numeric columns x,y: {exc}") from None
        if xy.shape[1] != 2:
            raise UserError(f"{path} must have two columns x,y, got {xy.shape[1]}")
        target: Any = (xy[:, 0], xy[:, 1])
        interval = _interval(args)
    else:
        target = args.expr
        interval = _interval(args) or (0.0, 1.0)
    shifts = args.shifts
    progress = args.shifts == "free" and sys.stderr.isatty()
    try:
        fit = pl.best_fit(
            target, args.units, interval, shifts=shifts, exact=args.exact, progress=progress
        )
    except (ValueError, TypeError) as exc:
        raise UserError(" ".join(str(exc).split())) from None
    if args.plot:
        _save_fit_plot(fit, target, Path(args.plot))
    if args.format == "json":
        return json.dumps(
            {
                "bias": _json_num(fit.bias),
                "loss": _json_num(fit.loss),
                "rms": fit.rms,
                "max_error": fit.max_error,
                "interval": list(fit.interval),
                "units": [
                    {"shift": _json_num(h), "weight": _json_num(w)}
                    for h, w in zip(fit.shifts, fit.weights)
                ],
            },
            indent=1,
        )
    rows = _emit(["unit", "shift", "weight"], _fit_rows(fit), args.format)
    if args.format == "csv":
        return rows
    return (
        f"{rows}\nbias {_num(fit.bias)}\nloss {_num(fit.loss)}  rms {fit.rms:.6g}  "
        f"max error {fit.max_error:.6g}"
    )


def _save_fit_plot(fit: pl.FitResult, target: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pwlinear.plotting import plot_fit

    tgt = target if isinstance(target, tuple) else pl.fit._as_target(target).f
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    plot_fit(fit, tgt, ax=ax)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cmd_demo(args: argparse.Namespace) -> str:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    net = pl.Network.random([1, 8, 1], seed=args.seed)
    r = pl.regions(net)
    exact = pl.breakpoints(net, exact=True)
    lines = [
        f"A seeded random network {net!r} (seed {args.seed}).",
        f"Whole real line: {len(r)} activation regions, {len(exact)} breakpoints.",
        "",
        "Exact breakpoints (the float64 value and the exact rational):",
    ]
    lines += [f"  {float(v)!r:>24}  = {v}" for v in exact]
    lines += [
        "",
        "Regions:",
        _emit(["left", "right", "slope", "intercept", "inactive"], _regions_rows(r), "table"),
    ]
    two = pl.best_fit("x**2", 2, (0, 2), shifts=[0, 1], exact=True)
    free = pl.best_fit("x**2", 8, (0, 2))
    lines += [
        "",
        "Least-squares fit of x**2 on [0, 2] with c + w1 relu(x) + w2 relu(x - 1):",
        f"  c = {two.bias}, w = {', '.join(map(str, two.weights))}, loss = {two.loss}"
        f" (~{float(two.loss):.4g})",
        f"With 8 units and free shifts: rms error {free.rms:.3g}, max error {free.max_error:.3g}",
        "  shifts " + ", ".join(f"{h:.4f}" for h in free.shifts),
    ]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pwlinear.plotting import plot_fit, plot_network

    fig = plot_network(net)
    fig.savefig(out / "network.png", dpi=120)
    plt.close(fig)
    fig2, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    plot_fit(free, lambda x: x**2, ax=ax)
    ax.plot(np.linspace(0, 2, 200), two(np.linspace(0, 2, 200)), "--", color="C1", label="2 units")
    ax.legend(fontsize=8)
    fig2.savefig(out / "fit.png", dpi=120)
    plt.close(fig2)
    lines += ["", f"Wrote {out / 'network.png'} and {out / 'fit.png'}."]
    return "\n".join(lines)


# -- the parser ---------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit code 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pwlinear",
        description="Exact breakpoints and regions of scalar-input ReLU networks, and "
        "least-squares fits of shifted ReLUs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {pl.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser(
        "demo", help="breakpoints of a seeded random net and a fit of x^2, with plots"
    )
    demo.add_argument("--out", default="demo-output", help="folder for the PNG files")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_cmd_demo)

    for name, func, helptext in (
        ("breakpoints", _cmd_breakpoints, "the exact points where the slope changes"),
        ("regions", _cmd_regions, "activation regions: ends, slope, intercept, inactive neurons"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("model", nargs="?", metavar="MODEL", help="a .npz saved by Network.save")
        p.add_argument(
            "--random", metavar="WIDTHS", help="a random network instead, e.g. 1,64,64,1"
        )
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--interval", nargs=2, type=float, metavar=("A", "B"))
        p.add_argument("--exact", action="store_true", help="exact rationals (p/q)")
        p.add_argument("--format", choices=("table", "csv", "json"), default="table")
        p.set_defaults(func=func)

    fit = sub.add_parser("fit", help="least-squares fit of c + sum w relu(x - h)")
    fit.add_argument("expr", nargs="?", metavar="EXPR", help='a sympy expression such as "x**2"')
    fit.add_argument("--data", metavar="FILE.csv", help="two columns x,y")
    fit.add_argument("--units", type=int, required=True)
    fit.add_argument("--interval", nargs=2, type=float, metavar=("A", "B"))
    fit.add_argument("--shifts", choices=("free", "uniform"), default="free")
    fit.add_argument("--exact", action="store_true")
    fit.add_argument("--plot", metavar="OUT.png")
    fit.add_argument("--format", choices=("table", "csv", "json"), default="table")
    fit.set_defaults(func=_cmd_fit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        text = args.func(args)
    except UserError as exc:
        print(f"pwlinear: error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
