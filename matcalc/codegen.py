"""Code to run: `--format python` modules and callables, from the API's results.

Ties the Python printer to the numeric oracle's domain analysis (check.py), so that a
module's own gradient check draws its arguments where the expression is defined.
"""
from __future__ import annotations

from typing import Iterable

from . import __version__, check, diff, ir
from .printers.python import Request, form_of, module


def python_module(expr: str, wrt: str | Iterable[str] | None = None, kind: str = "grad",
                  layout: str = "denominator", declare: Iterable[str] | str = ()) -> str:
    """One module with one function returning the value and each --wrt derivative."""
    wrts = [wrt] if wrt is None or isinstance(wrt, str) else list(wrt)
    results = [diff(expr, wrt=w, kind=kind, layout=layout, declare=declare) for w in wrts]
    return module_of(results, main=True)


def module_of(results: list, main: bool = False) -> str:
    typed = results[0].derivation.typed
    requests = [Request(r.derivation.X, r.kind, r.derivation.result, form_of(r.derivation)) for r in results]
    draws = sizes = None
    if main:
        draws, sizes = _draws(typed), check.sizes_for(typed.names)
    return module(typed.source, typed.names, typed.expr, requests, draws, sizes, __version__)


def _draws(typed) -> dict:
    """name -> the flags the oracle's analysis gives it (check.random_inputs reads the same)."""
    flags: dict = {}
    for e in (typed.expr, *typed.defs.values()):
        body = e.a if e is not typed.expr else e
        positive, spd, invertible = check._needs(body)
        for name in positive:
            flags.setdefault(name, set()).add("positive")
        for name in spd:
            flags.setdefault(name, set()).add("definite")
        for name in invertible:
            flags.setdefault(name, set()).add("invertible")
        for node in ir.postorder(body):
            if isinstance(node, ir.Func) and node.name in check.SMALL_FUNCS:
                for s in check._syms(node.a):
                    flags.setdefault(s.name, set()).add("small")
    return flags
