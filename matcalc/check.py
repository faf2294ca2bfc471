"""The numeric oracle: random inputs that respect the declarations, the expression and
its derivative evaluated with NumPy (through the numpy printer), central differences.

Serves `matcalc check`, the rules table and the tests. Imports numpy, so nothing on
the path of a plain `diff` imports this module.
"""
from __future__ import annotations


try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is a dependency; a broken install still gets a message
    np = None

from . import ir
from .printers.numpy import py_name, to_numpy

POSITIVE_FUNCS = {"log", "sqrt"}
SMALL_FUNCS = {"arcsin", "arccos"}  # defined on (−1, 1): the names beneath are drawn small
MAX_SIZE = ir.env_limit("MATCALC_CHECK_MAX_SIZE", 400)  # finite differences cost size² evaluations


def _needs(e: ir.Expr) -> tuple[set, set, set]:
    """Names that must be positive (under log, sqrt, fractional powers), matrices that
    must be positive definite (under logdet, a fractional power of a scalar such as
    det(X)^(1/2)), and those to keep invertible. An entrywise function of a matrix asks
    for positive entries, not a positive definite matrix."""
    positive, spd, invertible = set(), set(), set()
    seen, stack = set(), [(e, None)]
    while stack:
        node, need = stack.pop()
        if (node, need) in seen:
            continue
        seen.add((node, need))
        if isinstance(node, ir.Sym) and need:
            square = node.shape[0] == node.shape[1] and node.shape != ir.SCALAR
            (spd if square and need == "definite" else positive).add(node.name)
        if isinstance(node, (ir.Inverse, ir.Det, ir.MatPow)):
            invertible |= {s.name for s in _syms(node.a)}
        for kid in node.kids:
            stack.append((kid, _need(node, kid) or need))
    return positive, spd, invertible


def _need(node: ir.Expr, kid: ir.Expr) -> str | None:
    """What a node asks of one child: positive entries, positive definite, or nothing."""
    entrywise = "definite" if kid.shape == ir.SCALAR else "entries"
    if isinstance(node, ir.Func) and node.name in POSITIVE_FUNCS:
        return entrywise
    if isinstance(node, ir.LogDet):
        return "definite"
    if isinstance(node, (ir.Pow, ir.HadPow)) and (node.k.denominator != 1 or node.k < 0):
        return entrywise
    if isinstance(node, ir.SymPow) and kid is node.a:  # a^b = exp(b log a)
        return entrywise
    return None


def _syms(e: ir.Expr) -> set:
    out, stack, seen = set(), [e], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if isinstance(n, ir.Sym):
            out.add(n)
        stack.extend(n.kids)
    return out


def sizes_for(names: dict[str, ir.Sym]) -> dict:
    """A distinct size for every dimension name: 2, 3, 4, ... so transposes cannot hide."""
    sizes, nxt = {}, 2
    for s in names.values():
        for d in s.shape:
            for part in str(d).split("*"):
                if not part.isdigit() and part not in sizes:
                    sizes[part] = nxt
                    nxt += 1
    return sizes


def concrete(d, sizes: dict) -> int:
    """The size of a dimension: a number, a name, or a product such as 'm*q'."""
    out = 1
    for part in str(d).split("*"):
        out *= int(part) if part.isdigit() else sizes[part]
    return out


def random_inputs(typed, rng: np.random.Generator, sizes: dict | None = None) -> dict[str, object]:
    positive, spd, invertible = _needs(typed.expr)
    for r in typed.defs.values():
        p, s, i = _needs(r.a)
        positive, spd, invertible = positive | p, spd | s, invertible | i
    small = {s.name for e in (typed.expr, *typed.defs.values()) for node in ir.postorder(e)
             if isinstance(node, ir.Func) and node.name in SMALL_FUNCS for s in _syms(node.a)}
    sizes = sizes or sizes_for(typed.names)
    values = {}
    for name, s in typed.names.items():
        r, c = (concrete(d, sizes) for d in s.shape)
        if max(r, c) > MAX_SIZE:
            raise ir.MatcalcError(f"{name} has a dimension of {max(r, c)}, too large to check numerically "
                                  f"(at most {MAX_SIZE}; set MATCALC_CHECK_MAX_SIZE to raise it)")
        if s.shape == ir.SCALAR:
            v = rng.uniform(0.5, 1.5)
        elif c == 1:
            v = rng.uniform(0.5, 1.5, r) if name in positive else rng.standard_normal(r)
        else:
            v = rng.standard_normal((r, c))
            if name in positive:
                v = np.abs(v) + 0.5
            if s.symmetric or name in spd:
                v = (v + v.T) / 2
            if name in spd:
                v = v @ v.T + r * np.eye(r)
            elif r == c and (name in invertible or s.symmetric):
                v = v + r * np.eye(r) * np.sign(rng.standard_normal() + 3)
        if name in small:
            v = v * 0.2 / max(r, c)
        values[py_name(name)] = v
    return values


def evaluate(code: str, values: dict):
    with np.errstate(all="ignore"):
        return np.asarray(eval(code, {"np": np, "__builtins__": {}}, dict(values)), dtype=float)


def _vec(a: np.ndarray) -> np.ndarray:
    return np.reshape(a, -1, order="F")


def numeric_derivative(f_code: str, values: dict, X: ir.Sym, h: float = 1e-6) -> np.ndarray:
    """∂vec(F)/∂vec(X)ᵀ by central differences: size(F) × size(X)."""
    key = py_name(X.name)
    x0 = np.asarray(values[key], dtype=float)
    flat = _vec(x0).copy()
    cols = []
    for i in range(flat.size):
        step = np.zeros_like(flat)
        step[i] = h
        if X.symmetric:  # move X_ij and X_ji together, half each: the gradient is sym(G)
            cols.append(_sym_column(f_code, values, key, x0, i, h))
            continue
        up, down = dict(values), dict(values)
        up[key] = _unvec(flat + step, x0.shape)
        down[key] = _unvec(flat - step, x0.shape)
        with np.errstate(all="ignore"):  # outside the domain: a NaN, which the trial discards
            cols.append(_vec(evaluate(f_code, up) - evaluate(f_code, down)) / (2 * h))
    return np.stack(cols, axis=1)


def _sym_column(f_code, values, key, x0, i, h):
    n = x0.shape[0]
    r, c = i % n, i // n
    E = np.zeros_like(x0)
    E[r, c] += 0.5
    E[c, r] += 0.5
    up, down = dict(values), dict(values)
    up[key], down[key] = x0 + h * E, x0 - h * E
    return _vec(evaluate(f_code, up) - evaluate(f_code, down)) / (2 * h)


def _unvec(v: np.ndarray, shape) -> np.ndarray:
    return np.reshape(v, shape, order="F") if len(shape) == 2 else np.reshape(v, shape)


def expected(result, typed, values: dict, spread: list | None = None) -> np.ndarray:
    """What the derivative should be at `values`, laid out as the result says it is (a
    Hessian's uncertainty, the spread of two step sizes, appended to `spread`)."""
    d = result.derivation
    X, F = d.X, typed.expr
    f_code = to_numpy(F, typed.names)
    if d.kind == "hessian":
        return _hessian(f_code, values, X, spread=spread)
    J = numeric_derivative(f_code, values, X)  # size(F) × size(X)
    if X.shape == ir.SCALAR:
        return np.reshape(J, _np_shape(F.shape, values, typed), order="F")
    if F.shape == ir.SCALAR:
        G = _unvec(J[0], _np_shape(X.shape, values, typed))
        if d.command == "jac":
            return J[0]
        if d.command == "diff" and d.layout == "numerator":
            return G.T
        return G
    if d.vec_form or d.command == "jac" or d.layout == "numerator":
        return J
    return J.T


def _np_shape(shape, values, typed):
    sizes = sizes_for(typed.names)
    r, c = (concrete(x, sizes) for x in shape)
    if (r, c) == (1, 1):
        return ()
    if c == 1:
        return (r,)
    return (r, c)


def _hessian(f_code: str, values: dict, X: ir.Sym, h: float = 1e-4, spread: list | None = None) -> np.ndarray:
    key = py_name(X.name)
    x0 = np.asarray(values[key], dtype=float)
    flat = _vec(x0)
    n = flat.size
    H = np.zeros((n, n))

    def f(v):
        vals = dict(values)
        vals[key] = _unvec(v, x0.shape)
        return float(evaluate(f_code, vals))

    def second(i, j, h):
        ei, ej = np.zeros(n), np.zeros(n)
        ei[i], ej[j] = h, h
        return (f(flat + ei + ej) - f(flat + ei - ej) - f(flat - ei + ej) + f(flat - ei - ej)) / (4 * h * h)

    h *= max(1.0, abs(f(flat))) ** 0.25  # a large f (log(a) - det(W)) rounds off more: wider steps
    coarse = np.zeros((n, n))
    for i in range(n):
        for j in range(n):  # Richardson: the h² error of two step sizes cancels
            half, quarter = second(i, j, h / 2), second(i, j, h / 4)
            H[i, j] = (4 * quarter - half) / 3
            coarse[i, j] = (4 * half - second(i, j, h)) / 3
    if spread is not None:  # how far two step sizes disagree: what the differences can decide
        spread.append(float(np.max(np.abs(H - coarse), initial=0.0)))
    return H if x0.ndim else H.reshape(())


def check(expr: str, wrt: str | None = None, kind: str = "diff", layout: str = "denominator",
          declare=(), trials: int = 3, seed: int = 0, tol: float = 1e-5) -> dict:
    """Compare the symbolic derivative with finite differences on random inputs."""
    if np is None:  # pragma: no cover
        raise ir.MatcalcError("matcalc check needs NumPy: pip install numpy")
    from . import diff

    result = diff(expr, wrt=wrt, kind=kind, layout=layout, declare=declare)
    if result.numpy is None:
        raise ir.MatcalcError("cannot check: the result has a size that no variable carries, so it has no NumPy form")
    typed = result.derivation.typed
    _fits_in_memory(typed, result.derivation.result)
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(3 * trials):  # draws outside the domain do not count; a few more are drawn
        if len(errors) == trials:
            break
        error = _trial(result, typed, random_inputs(typed, rng), tol)
        if error is not None:
            errors.append(error)
    worst = max(errors) if errors else None
    verdict = "inconclusive" if not errors else "agrees" if worst < tol else "disagrees"
    report = {"input": expr, "wrt": result.wrt, "kind": result.kind, "derivative": result.derivative,
              "max_error": worst, "trials": len(errors), "verdict": verdict, "ok": verdict == "agrees"}
    if result.notes:  # how the input was read, where it gave up a default: a check of what?
        report["notes"] = result.notes
    return report


def _near_singular(result, typed, values: dict) -> bool:
    """Whether a matrix the expression or its derivative inverts (or takes the log-determinant
    of) is singular to working precision at these values, as X' X is for a wide X: its
    inverse is then noise, and the draw decides nothing."""
    seen = set()
    for root in (typed.expr, result.derivation.result):
        for node in ir.postorder(root):
            if isinstance(node, (ir.Inverse, ir.LogDet)) and node.a not in seen:
                seen.add(node.a)
                M = np.atleast_2d(evaluate(to_numpy(node.a, typed.names), values))
                if not np.all(np.isfinite(M)) or np.linalg.cond(M) > 1e10:
                    return True
    return False


def _fits_in_memory(typed, derivative: ir.Expr) -> None:
    """Every array the check would build (the expression's, the derivative's, a Kronecker
    product's) has at most MAX_SIZE² entries, refused before NumPy is asked for more."""
    sizes = sizes_for(typed.names)
    for e in (typed.expr, *typed.defs.values(), derivative):
        for node in ir.postorder(e):
            if node.shape == ir.SCALAR:
                continue
            r, c = (concrete(d, sizes) for d in node.shape)
            if r * c > MAX_SIZE ** 2:
                raise ir.MatcalcError(f"checking needs a {r} × {c} array, too large to check numerically "
                                      f"(at most {MAX_SIZE ** 2:,} entries; set MATCALC_CHECK_MAX_SIZE to raise "
                                      f"the largest dimension, {MAX_SIZE})")


def _trial(result, typed, values, tol: float = 1e-5) -> float | None:
    """The relative error on one draw, or None where the draw decides nothing: the
    expression or its derivative is not finite there, or a matrix came out singular."""
    try:
        if _near_singular(result, typed, values):
            return None
        got = evaluate(result.numpy, values)
        spread: list = []
        want = expected(result, typed, values, spread)
    except (np.linalg.LinAlgError, OverflowError, ZeroDivisionError):  # a float past its range: x^(10^10)
        return None
    if got.shape != want.shape and np.squeeze(got).shape == np.squeeze(want).shape:
        got = np.reshape(got, want.shape)  # a 1×n Jacobian row is a 1-D vector in numpy
    if got.shape != want.shape:
        raise ir.MatcalcError(f"the numpy result has shape {got.shape}, expected {want.shape}")
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))):
        return None
    scale = 1.0 + float(np.max(np.abs(want), initial=0.0))
    error = float(np.max(np.abs(got - want), initial=0.0)) / scale
    if spread and tol <= error < 10 * spread[0] / scale:  # a difference the two step sizes cannot tell apart
        return None
    return error
