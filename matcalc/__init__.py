"""matcalc: matrix calculus from the command line and from Python.

The pipeline: parse -> shapes (typed IR, with readings.py choosing how undeclared names
read) -> rules (differentiate) -> simplify, over the data of ir.py in the canonical form
of algebra.py, tied together by derive.py; trace.py keeps a derivation's steps;
printers/ and render.py present them.
This module is the Python API:

    >>> from matcalc import diff
    >>> diff("x' A x", wrt="x").derivative
    "(A + A') x"
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable

from .ir import MatcalcError, dims_json
from .shapes import analyze

__all__ = ["diff", "grad", "jac", "hess", "analyze", "Result", "MatcalcError"]
__version__ = "0.1.0"


@dataclass
class Result:
    """A derivative with the fields of the JSON object `--format json` prints."""

    input: str
    wrt: str
    layout: str
    kind: str
    expression: str
    derivative: str
    latex: str
    numpy: str
    shape: list
    variables: dict
    steps: list | None = None
    notes: list = field(default_factory=list)  # typing defaults given up, declarations unused
    label: str = ""  # what the result is, for people: "Jacobian ∂f/∂xᵀ, m × n"
    derivation: object = field(default=None, repr=False, compare=False)
    trace: object = field(default=None, repr=False, compare=False)  # trace.Trace: `steps` and Rich print it

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "input", "wrt", "layout", "kind", "expression", "derivative", "latex", "numpy",
            "shape", "variables", "label")}
        if self.steps is not None:
            out["steps"] = self.steps
        if self.notes:
            out["notes"] = self.notes
        return out

    @property
    def head(self) -> "Head":
        """The left-hand side: ∂f/∂x, ∂f/∂xᵀ, ∂vec(F)/∂vec(X)ᵀ, ∂²f/∂x∂xᵀ, ..."""
        return head(self.derivation)

    def equation_latex(self) -> str:
        """f = the expression, and ∂f/∂x = the result, as an amsmath `aligned`."""
        from .printers.latex import to_latex

        return (r"\begin{aligned} " + rf"{self.head.f_latex} &= {to_latex(self.derivation.typed.expr)} \\ "
                + rf"{self.head.latex} &= {self.latex} \end{{aligned}}")

    def _repr_latex_(self) -> str:
        """Jupyter: the whole equation; with steps, the derivation ending in it."""
        equation = f"$\\displaystyle {self.equation_latex()}$"
        if self.trace is None:
            return equation
        from .printers.steps import steps_latex

        rows = steps_latex(self.trace).splitlines()
        if rows[-1:] != [r"\end{align*}"] or len(rows) < 3:
            return equation + "\n" + "\n".join(rows)
        if rows[1].startswith("  f &= "):  # the function's letter as the equation writes it
            rows[1] = f"  {self.head.f_latex} &= " + rows[1][len("  f &= "):]
        if rows[-2].lstrip().startswith(r"\text{result}"):
            del rows[-2]
        if not rows[-2].rstrip().endswith(r"\\"):
            rows[-2] += r" \\"
        rows.insert(-1, rf"  {self.head.latex} &= {self.latex}")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.derivative


@dataclass(frozen=True)
class Head:
    """What a result is, said from the result rather than the flags: a name for people
    ("gradient"), the left-hand side in Unicode and LaTeX, and the function's letter
    (f for a scalar or a vector, F for a matrix)."""

    name: str
    text: str
    latex: str
    f_latex: str
    note: str | None = None  # "vec form", "numerator layout"
    shape_of: str | None = None  # "shape of x" where the name says more than the sizes

    def label(self, shape: list) -> str:
        """gradient ∂f/∂x, shape of x; Jacobian ∂f/∂xᵀ, m × n; ..."""
        note = f" ({self.note})" if self.note else ""
        dims = self.shape_of or (" × ".join(map(str, shape)) if shape else "scalar")
        return f"{self.name} {self.text}{note}, {dims}"


def head(d) -> Head:
    """Read off a derive.Derivation: its kind, whether it is in vec form, and whether the
    layout transposed it (only `diff` lays out; grad, jac and hess have one form each)."""
    from .ir import SCALAR
    from .printers.latex import to_latex

    F, X = d.typed.expr, d.X
    f, f_tex = ("f", "f") if F.shape == SCALAR else ("f", r"\mathbf{f}") if 1 in F.shape else ("F", r"\mathrm{F}")
    x, x_tex = X.name, to_latex(X)
    row_x = (f"{x}ᵀ", rf"{x_tex}^\top") if X.shape[1] == 1 else (f"vec({x})ᵀ", rf"\operatorname{{vec}}({x_tex})^\top")
    vec_f = (f, f_tex) if 1 in F.shape else (f"vec({f})", rf"\operatorname{{vec}}({f_tex})")

    def frac(top, bottom):
        return f"∂{top[0]}/∂{bottom[0]}", rf"\frac{{\partial {top[1]}}}{{\partial {bottom[1]}}}"

    if d.kind == "hessian":
        if X.shape == SCALAR:
            text, tex = f"∂²f/∂{x}²", rf"\frac{{\partial^2 f}}{{\partial {x_tex}^2}}"
            return Head("second derivative", text, tex, f_tex)
        by = (x, x_tex) if X.shape[1] == 1 else (f"vec({x})", rf"\operatorname{{vec}}({x_tex})")
        text, tex = f"∂²f/∂{by[0]}∂{row_x[0]}", rf"\frac{{\partial^2 f}}{{\partial {by[1]}\, \partial {row_x[1]}}}"
        return Head("Hessian", text, tex, f_tex, "vec form" if d.vec_form else None)
    if d.kind == "derivative":
        return Head("derivative", *frac((f, f_tex), (x, x_tex)), f_tex)
    if d.kind == "gradient":
        if d.command == "diff" and d.layout == "numerator":
            text, tex = frac((f, f_tex), (f"{x}ᵀ", rf"{x_tex}^\top"))
            return Head("gradient transposed", text, tex, f_tex, "numerator layout")
        name = "gradient among symmetric matrices" if X.symmetric else "gradient"
        return Head(name, *frac((f, f_tex), (x, x_tex)), f_tex, shape_of=f"shape of {x}")
    if d.vec_form:
        if F.shape == SCALAR:
            return Head("Jacobian", *frac(vec_f, row_x), f_tex, "vec form")
        return Head("vec form", *frac(vec_f, row_x), f_tex)
    if F.shape != SCALAR and d.command == "diff" and d.layout == "denominator":
        text, tex = frac((f"{f}ᵀ", rf"{f_tex}^\top"), (x, x_tex))
        return Head("Jacobian transposed", text, tex, f_tex, "denominator layout")
    return Head("Jacobian", *frac((f, f_tex), row_x), f_tex)


@contextmanager
def _deep_recursion(limit: int = 20_000):
    """Printers and constructors recurse on deep input; the caller's limit comes back after."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


KINDS = {"derivative": "diff", "gradient": "grad", "jacobian": "jac", "hessian": "hess"}


def diff(expr: str, wrt: str | Iterable[str] | None = None, kind: str = "diff", layout: str = "denominator",
         declare: Iterable[str] | str = (), steps: bool = False, all_steps: bool = False) -> Result | list[Result]:
    """Differentiate `expr` by `wrt`, or by each name of a list of them (a list of results).

    kind is "diff", "grad", "jac" or "hess", or the name a result prints: "derivative",
    "gradient", "jacobian" or "hessian". layout is "denominator" or "numerator".
    """
    command = KINDS.get(kind, kind)
    if command not in KINDS.values():
        raise ValueError(f"kind must be one of {', '.join([*KINDS.values(), *KINDS])}, not {kind!r}")
    with _deep_recursion():
        if wrt is None or isinstance(wrt, str):
            return _diff(expr, wrt, command, layout, declare, steps, all_steps)
        return [_diff(expr, w, command, layout, declare, steps, all_steps) for w in wrt]


def _diff(expr, wrt, kind, layout, declare, steps, all_steps) -> Result:
    from . import derive
    from .printers.latex import to_latex
    from .printers.numpy import to_numpy
    from .printers.text import to_text_where

    scalar = kind in ("grad", "hess")  # a constraint on the typing; the variable stays no scalar
    typed = analyze(expr, declare, scalar=scalar, keep=wrt if scalar else None)
    try:
        d = derive.derive(typed, wrt, kind, layout, steps or all_steps)
    except MatcalcError as e:
        e.source = e.source or expr
        raise
    except RecursionError:
        raise MatcalcError("expression too deeply nested to differentiate", 1, expr) from None
    try:
        numpy_code = to_numpy(d.result, typed.names)
    except MatcalcError:  # a size no variable carries (tr(eye(m))): the other formats still print
        numpy_code = None
    variables = {
        name: {"shape": dims_json(s.shape), "symmetric": s.symmetric} for name, s in typed.names.items()
    }
    trace = step_list = None
    if steps or all_steps:
        from .printers.steps import steps_json
        from .trace import build

        trace = build(d, all_steps)
        step_list = steps_json(trace)
    return Result(
        input=expr, wrt=d.X.name, layout=layout, kind=d.kind,
        expression=to_text_where(typed.expr), derivative=to_text_where(d.result),
        latex=to_latex(d.result), numpy=numpy_code, shape=dims_json(d.result.shape),
        variables=variables, steps=step_list, notes=list(typed.notes),
        label=head(d).label(dims_json(d.result.shape)), derivation=d, trace=trace,
    )


def grad(expr: str, wrt: str | Iterable[str] | None = None, **kw) -> Result | list[Result]:
    return diff(expr, wrt, kind="grad", **kw)


def jac(expr: str, wrt: str | Iterable[str] | None = None, **kw) -> Result | list[Result]:
    return diff(expr, wrt, kind="jac", **kw)


def hess(expr: str, wrt: str | Iterable[str] | None = None, **kw) -> Result | list[Result]:
    return diff(expr, wrt, kind="hess", **kw)
