"""matcalc: matrix calculus from the command line and from Python.

The pipeline: parse -> shapes -> rules (differentiate) -> simplify, tied together by
derive.py; trace.py keeps a derivation's steps; printers/ and render.py present them.
This module is the Python API (SPEC §5):

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
    """A derivative with the fields of the JSON object of SPEC §4."""

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
    notes: list = field(default_factory=list)  # typing defaults given up, declarations unused (SPEC §2)
    derivation: object = field(default=None, repr=False, compare=False)
    trace: object = field(default=None, repr=False, compare=False)  # trace.Trace: `steps` and Rich print it

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "input", "wrt", "layout", "kind", "expression", "derivative", "latex", "numpy",
            "shape", "variables")}
        if self.steps is not None:
            out["steps"] = self.steps
        if self.notes:
            out["notes"] = self.notes
        return out

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex}$"

    def __str__(self) -> str:
        return self.derivative


@contextmanager
def _deep_recursion(limit: int = 20_000):
    """Printers and constructors recurse on deep input; the caller's limit comes back after."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def diff(expr: str, wrt: str | None = None, kind: str = "diff", layout: str = "denominator",
         declare: Iterable[str] | str = (), steps: bool = False, all_steps: bool = False) -> Result:
    """Differentiate `expr` by `wrt`; kind is "diff", "grad", "jac" or "hess"."""
    with _deep_recursion():
        return _diff(expr, wrt, kind, layout, declare, steps, all_steps)


def _diff(expr, wrt, kind, layout, declare, steps, all_steps) -> Result:
    from . import derive
    from .printers.latex import to_latex
    from .printers.numpy import to_numpy
    from .printers.text import to_text_where

    typed = analyze(expr, declare)
    try:
        d = derive.derive(typed, wrt, kind, layout, steps or all_steps)
        numpy_code = to_numpy(d.result, typed.names)
    except MatcalcError as e:
        e.source = e.source or expr
        raise
    except RecursionError:
        raise MatcalcError("expression too deeply nested to differentiate", 1, expr) from None
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
        variables=variables, steps=step_list, notes=list(typed.notes), derivation=d, trace=trace,
    )


def grad(expr: str, wrt: str | None = None, **kw) -> Result:
    return diff(expr, wrt, kind="grad", **kw)


def jac(expr: str, wrt: str | None = None, **kw) -> Result:
    return diff(expr, wrt, kind="jac", **kw)


def hess(expr: str, wrt: str | None = None, **kw) -> Result:
    return diff(expr, wrt, kind="hess", **kw)
