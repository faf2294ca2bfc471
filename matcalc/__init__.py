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

from functools import cached_property
from typing import Iterable

from .ir import MatcalcError, dims_json

__all__ = ["diff", "grad", "jac", "hess", "analyze", "Result", "MatcalcError"]
__version__ = "0.1.0"


_printed = cached_property  # a Result field printed when first read


class Result:
    """A derivative with the fields of the JSON object `--format json` prints.

    Each field is printed when first read, so that a batch that prints only the
    derivative never builds its LaTeX or NumPy strings."""

    def __init__(self, input: str, layout: str, derivation, trace=None):
        self.input, self.layout = input, layout
        self.derivation = derivation  # derive.Derivation: the IR every field prints from
        self.trace = trace  # trace.Trace: `steps` and Rich print it
        self.wrt, self.kind = derivation.X.name, derivation.kind

    @_printed
    def expression(self) -> str:
        from .printers.text import to_text_where

        return to_text_where(self.derivation.typed.expr)

    @_printed
    def derivative(self) -> str:
        from .printers.text import to_text_where

        return to_text_where(self.derivation.result)

    @_printed
    def latex(self) -> str:
        from .printers.latex import to_latex

        return to_latex(self.derivation.result)

    @_printed
    def numpy(self) -> str | None:
        """None where the result has a size no variable carries (tr(eye(m)))."""
        from .printers.numpy import to_numpy

        try:
            return to_numpy(self.derivation.result, self.derivation.typed.names)
        except MatcalcError:
            return None

    @cached_property
    def shape(self) -> list:
        return dims_json(self.derivation.result.shape)

    @cached_property
    def variables(self) -> dict:
        return {name: _variable(name, s) for name, s in self.derivation.typed.names.items()}

    @_printed
    def steps(self) -> list | None:
        if self.trace is None:
            return None
        from .printers.steps import steps_json

        return steps_json(self.trace)

    @property
    def notes(self) -> list:
        """Typing defaults given up, declarations unused."""
        return list(self.derivation.typed.notes)

    @_printed
    def label(self) -> str:
        """What the result is, for people: "Jacobian ∂f/∂xᵀ, m × n"."""
        return self.head.label(self.shape)

    def __eq__(self, other) -> bool:
        """Equal when every JSON field is."""
        return isinstance(other, Result) and self.to_json() == other.to_json()

    __hash__ = None

    def __repr__(self) -> str:
        return f"Result(input={self.input!r}, wrt={self.wrt!r}, kind={self.kind!r}, derivative={self.derivative!r})"

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "input", "wrt", "layout", "kind", "expression", "derivative", "latex", "numpy",
            "shape", "variables", "label")}
        if self.steps is not None:
            out["steps"] = self.steps
        if self.notes:
            out["notes"] = self.notes
        return out

    @_printed
    def head(self):
        """The left-hand side: ∂f/∂x, ∂f/∂xᵀ, ∂vec(F)/∂vec(X)ᵀ, ∂²f/∂x∂xᵀ, ..."""
        from .printers.head import head

        return head(self.derivation)

    def equation_latex(self) -> str:
        """f = the expression, and ∂f/∂x = the result, as an amsmath `aligned`."""
        from .printers.latex import to_latex

        return (r"\begin{aligned} " + rf"{self.head.f_latex} &= {to_latex(self.derivation.typed.expr)} \\ "
                + rf"{self.head.latex} &= {self.latex} \end{{aligned}}")

    def to_sympy(self, of: str = "derivative"):
        """The derivative (or, with of="expression", the input) as a SymPy matrix expression
        over MatrixSymbols whose dimensions are positive integer Symbols (see to_sympy.py)."""
        from .to_sympy import to_sympy

        if of not in ("derivative", "expression"):
            raise ValueError(f"of must be 'derivative' or 'expression', not {of!r}")
        d = self.derivation
        try:
            return to_sympy(d.result if of == "derivative" else d.typed.expr)
        except RecursionError:  # SymPy's own expression trees recurse
            raise MatcalcError("too deeply nested for a SymPy expression", None) from None

    def _repr_latex_(self) -> str:
        """Jupyter: the whole equation; with steps, the derivation ending in it."""
        if self.trace is None:
            return f"$\\displaystyle {self.equation_latex()}$"
        from .printers.steps import steps_latex

        return steps_latex(self.trace, f=self.head.f_latex, result=self.head.latex)

    def __str__(self) -> str:
        return self.derivative

    def function(self):
        """The `--format python` function of this result: called with the variables
        (by the names `variables` gives, as arrays), it checks their shapes and returns
        (value, derivative)."""
        from .printers.python import Request, form_of, function_name, module

        d = self.derivation
        requests = [Request(d.X, self.kind, d.result, form_of(d))]
        namespace: dict = {}
        exec(compile(module(d.typed.source, d.typed.names, d.typed.expr, requests), "<matcalc>", "exec"), namespace)
        return namespace[function_name(requests)]


def analyze(expr: str, declare: Iterable[str] | str = (), scalar: bool = False, keep: str | None = None):
    """Parse and type an input (see shapes.analyze): imported on use, so that `import
    matcalc`, --help and shell completion stay light."""
    from .shapes import analyze as typed

    return typed(expr, declare, scalar, keep)


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
    if wrt is None or isinstance(wrt, str):
        return _diff(expr, wrt, command, layout, declare, steps, all_steps)
    return [_diff(expr, w, command, layout, declare, steps, all_steps) for w in wrt]


def _diff(expr, wrt, kind, layout, declare, steps, all_steps) -> Result:
    from . import derive

    scalar = kind in ("grad", "hess")  # a constraint on the typing; the variable stays no scalar
    typed = analyze(expr, declare, scalar=scalar, keep=wrt if scalar else None)
    try:
        d = derive.derive(typed, wrt, kind, layout, steps or all_steps)
    except MatcalcError as e:
        e.source = e.source or expr
        raise
    except RecursionError:
        raise MatcalcError("expression too deeply nested to differentiate", 1, expr) from None
    trace = None
    if steps or all_steps:
        from .trace import build

        trace = build(d, all_steps)
    return Result(expr, layout, d, trace)


def _variable(name: str, s) -> dict:
    """A variable's JSON entry; `python` names it where the code must rename it (a
    keyword, or np, which the code uses for NumPy)."""
    from .printers.numpy import py_name

    out = {"shape": dims_json(s.shape), "symmetric": s.symmetric}
    if py_name(name) != name:
        out["python"] = py_name(name)
    return out


def grad(expr: str, wrt: str | Iterable[str] | None = None, **kw) -> Result | list[Result]:
    return diff(expr, wrt, kind="grad", **kw)


def jac(expr: str, wrt: str | Iterable[str] | None = None, **kw) -> Result | list[Result]:
    return diff(expr, wrt, kind="jac", **kw)


def hess(expr: str, wrt: str | Iterable[str] | None = None, **kw) -> Result | list[Result]:
    return diff(expr, wrt, kind="hess", **kw)
