"""diff / grad / jac / hess: pick the engine, apply the layout once, then simplify.

Scalar functions go through reverse mode (rules.gradient); everything else through a
differential and its vec identification. Layout (SPEC §3) is applied here and only
here; rules never see it.
"""
from __future__ import annotations

from fractions import Fraction

from . import algebra, ir, rules, simplify
from .algebra import T
from .ir import SCALAR, MatcalcError
from .shapes import Typed

COMMANDS = ("diff", "grad", "jac", "hess")
LAYOUTS = ("denominator", "numerator")


class Derivation:
    """A derivative and what it was taken of: what every output format prints from."""

    def __init__(self, typed: Typed, X: ir.Sym, command: str, layout: str, kind: str, result: ir.Expr,
                 steps: list | None = None, vec_form: bool = False, f: ir.Expr | None = None):
        self.typed, self.X, self.command, self.layout = typed, X, command, layout
        self.kind = kind  # "derivative" | "gradient" | "jacobian" | "hessian"
        self.result, self.steps, self.vec_form = result, steps if steps is not None else [], vec_form
        self.f = f  # the expression differentiated: the input after the named identities


def choose_variable(typed: Typed, wrt: str | None) -> ir.Sym:
    if wrt is None:
        if len(typed.names) == 1:
            return next(iter(typed.names.values()))
        names = ", ".join(typed.names) or "none"
        raise MatcalcError(f"say which variable to differentiate by with --wrt (names: {names})")
    if wrt in typed.defs:
        raise MatcalcError(f"{wrt} is a definition; differentiate by one of the names it uses")
    if wrt not in typed.names:
        raise MatcalcError(f"the variable {wrt} does not appear in the expression")
    return typed.names[wrt]


def derive(typed: Typed, wrt: str | None, command: str = "diff", layout: str = "denominator",
           steps: bool = False) -> Derivation:
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    X = choose_variable(typed, wrt)
    trace: list | None = [] if steps else None
    F = _simplified(typed.expr, trace, simplify.identities)
    scalar_f, scalar_x = F.shape == SCALAR, X.shape == SCALAR
    if command in ("grad", "hess") and not scalar_f:
        raise MatcalcError(f"{command} needs a scalar expression, and this one is {ir.show_shape(F.shape)}")
    if command == "hess":
        result, kind, vec_form = _hessian(F, X, trace)
    elif scalar_f:
        result, kind, vec_form = _of_scalar(F, X, command, layout, trace)
    elif scalar_x:
        result, kind, vec_form = rules.differential(F, X, ir.ONE, trace), "derivative", False
    else:
        result, kind, vec_form = _jacobian(F, X, command, layout, trace)
    result = finish(result, typed)
    return Derivation(typed, X, command, layout, kind, result, trace or [], vec_form, F)


def _note(trace, mode: str, rule: str, identity: str, node, before, after):
    """A step the engines do not take: symmetrising, identifying J, laying the result out."""
    if trace is not None:
        trace.append(rules.Step(rule, identity, node, None, before, after, mode))
    return after


def _simplified(e, trace, simplifier=simplify.simplify):
    """simplifier(e); with a trace, each named identity applied is a bookkeeping step in it."""
    log = [] if trace is not None else None
    out = simplifier(e, log)
    for a in log or ():
        trace.append(rules.Step(a.rule.name, a.rule.identity, a.before, None, a.before, a.after, "simplify", True))
    return out


def _gradient(F, X, trace):
    G = _simplified(rules.gradient(F, X, trace), trace)
    if X.symmetric:  # SPEC §3: the gradient among symmetric matrices, sym(G) = (G + Gᵀ)/2
        S = _simplified(algebra.mul(algebra.const(Fraction(1, 2)), algebra.add(G, T(G))), trace)
        G = _note(trace, "symmetric", "symmetric variable", "∇ among symmetric X = sym(G) = (G + Gᵀ)/2", X, G, S)
    return G


def _of_scalar(F, X, command, layout, trace):
    G = _gradient(F, X, trace)
    if X.shape == SCALAR or command == "grad":
        return G, "derivative" if X.shape == SCALAR else "gradient", False
    if command == "jac":
        if X.shape[1] == 1:
            return _note(trace, "layout", "row Jacobian", "∂f/∂xᵀ = (∇f)ᵀ", X, G, T(G)), "jacobian", False
        J = _note(trace, "layout", "row Jacobian", "∂f/∂vec(X)ᵀ = vec(∇f)ᵀ", X, G, T(algebra.vec(G)))
        return J, "jacobian", True
    if layout == "numerator":
        return _note(trace, "layout", "numerator layout", "∂f/∂Xᵀ = (∇f)ᵀ", X, G, T(G)), "gradient", False
    return G, "gradient", False


def _identify(F, X, trace):
    """J from vec(dF) = J vec(dX): the differential, read off."""
    dX = rules.placeholder(X)
    dF = rules.differential(F, X, dX, trace)
    J = _simplified(rules.vec_jacobian(dF, dX), trace)
    return _note(trace, "identify", "identification", "vec(dF) = J vec(dX)  ⟹  ∂vec(F)/∂vec(X)ᵀ = J", F, dF, J)


def _jacobian(F, X, command, layout, trace):
    if X.symmetric:
        raise MatcalcError(f"a Jacobian by the symmetric {X.name} is not defined here; declare it without `symmetric`")
    J = _identify(F, X, trace)
    vector_like = 1 in F.shape and X.shape[1] == 1
    if vector_like and command == "diff" and layout == "denominator":
        return _note(trace, "layout", "denominator layout", "∂y/∂x = (∂y/∂xᵀ)ᵀ", F, J, T(J)), "jacobian", False
    return J, "jacobian", not vector_like


def _hessian(F, X, trace):
    if X.shape == SCALAR:
        d1 = simplify.simplify(rules.differential(F, X, ir.ONE, trace))
        return rules.differential(d1, X, ir.ONE, trace), "hessian", False
    if X.symmetric:
        raise MatcalcError(f"a Hessian by the symmetric {X.name} is not defined here; declare it without `symmetric`")
    G = _gradient(F, X, trace)
    return _identify(G, X, trace), "hessian", X.shape[1] != 1


def finish(e: ir.Expr, typed: Typed, taken: set | None = None, names: dict | None = None) -> ir.Expr:
    """Simplify, write the user's definitions by name, and name what is shared (a trace
    passes the same `taken` and `names` for every step, so v1 means one thing in it)."""
    e = simplify.simplify(e)
    e = simplify.fold_definitions(e, typed.defs)
    taken = set(typed.names) | set(typed.defs) if taken is None else taken
    return simplify.name_shared(e, taken, names=names)
