"""`matcalc check --exact`: a derivative proved with SymPy at small concrete sizes.

The input is evaluated with SymPy at random rational matrices, the variable moved along
each coordinate direction by a symbol t and differentiated by t (for a Hessian along all
at once, a symbol each, twice): SymPy's scalar calculus, which shares nothing with
matcalc's rules. matcalc's result, through to_sympy, is evaluated at the same point.
Entries are compared exactly where both are rational, and to 50 digits where a function
such as exp or sqrt enters. The draws follow check.py's domain rules. Imports sympy and
numpy, so only `check --exact` loads it.
"""
from __future__ import annotations


from . import ir
from .check import concrete, random_inputs, sizes_for
from .printers.numpy import py_name

DIGITS = 50  # agreement asked of a transcendental result; the arithmetic carries GUARD digits more
GUARD = 15
MAX_SIZE = ir.env_limit("MATCALC_EXACT_MAX_SIZE", 16)  # SymPy's cost grows fast with the size
MAX_ENTRIES = 36  # of the variable: one evaluation of the input per entry (per pair for a Hessian)
DENOMINATOR = 16  # the draws are multiples of 1/16, nonzero
# Where the input or the result holds one of these, values are irrational: 65-digit arithmetic.
RATIONAL_FUNCS = {"abs", "sign", "relu", "step"}


def check_exact(expr: str, wrt: str | None = None, kind: str = "diff", layout: str = "denominator",
                declare=(), trials: int = 3, seed: int = 0) -> dict:
    """Compare the symbolic derivative with SymPy's differentiation of the input, exactly."""
    try:
        import numpy as np
        import sympy  # noqa: F401
    except ImportError:  # pragma: no cover - both are dependencies; a broken install still gets a message
        raise ir.MatcalcError("matcalc check --exact needs SymPy and NumPy: pip install sympy numpy") from None
    from . import diff
    from .to_sympy import to_sympy

    result = diff(expr, wrt=wrt, kind=kind, layout=layout, declare=declare)
    try:
        return verify(result, trials, seed)
    except RecursionError:  # SymPy differentiates and prints recursively
        raise ir.MatcalcError("too deeply nested to check exactly: SymPy recurses on it; "
                              "check without --exact", 1, expr) from None


def verify(result, trials: int = 3, seed: int = 0) -> dict:
    """check --exact of a Result: its derivation's input and result, compared at random points."""
    import numpy as np

    from .to_sympy import to_sympy

    d = result.derivation
    typed = d.typed
    digits = None if _rational(typed.expr) and _rational(d.result) else DIGITS + GUARD
    F, R = to_sympy(typed.expr), to_sympy(d.result)
    for sizes in _size_choices(typed):  # the second only where the first decides nothing
        _small_enough(typed, d, sizes)
        rng = np.random.default_rng(seed)
        outcomes = []
        for _ in range(3 * trials):  # draws outside the domain decide nothing; a few more are drawn
            if len(outcomes) == trials or (outcomes and not outcomes[-1]["agrees"]):
                break
            outcome = _trial(d, F, R, sizes, rational_inputs(typed, rng, sizes, digits))
            if outcome is not None:
                outcomes.append(outcome)
        if outcomes:
            break
    return _report(result, sizes, outcomes)


def _rational(e: ir.Expr) -> bool:
    """Whether e takes rational values at rational points, so that exact arithmetic ends.
    (log det is kept: its derivatives are rational, and a log left in a result is cheap;
    so is a norm squared.)"""
    nodes = list(ir.postorder(e))
    squared = {n.a for n in nodes if isinstance(n, ir.Pow) and n.k.denominator == 1 and n.k % 2 == 0}
    for node in nodes:
        if isinstance(node, ir.Func) and node.name not in RATIONAL_FUNCS:
            return False
        if isinstance(node, (ir.LogSumExp, ir.Softmax, ir.SymPow)) or isinstance(node, ir.Norm) and node not in squared:
            return False
        if isinstance(node, (ir.Pow, ir.HadPow)) and node.k.denominator != 1:
            return False
    return True


def _size_choices(typed) -> list[dict]:
    """2, 3, 4, ... to the dimensions in order, then in the reverse order: X' X is singular
    for a 2×3 X, and not for a 3×2 one."""
    sizes = sizes_for(typed.names)
    flipped = dict(zip(sizes, reversed(list(sizes.values()))))
    return [sizes] if flipped == sizes else [sizes, flipped]


def _small_enough(typed, d, sizes: dict) -> None:
    for name, s in typed.names.items():
        largest = max(concrete(x, sizes) for x in s.shape)
        if largest > MAX_SIZE:
            raise ir.MatcalcError(f"{name} has a dimension of {largest}, too large to check exactly "
                                  f"(at most {MAX_SIZE}; set MATCALC_EXACT_MAX_SIZE to raise it)")
    entries = concrete(ir.size(d.X.shape), sizes)
    limit = MAX_ENTRIES if d.kind != "hessian" else MAX_ENTRIES // 2
    if entries > limit:
        raise ir.MatcalcError(f"{d.X.name} has {entries} entries, too many to check exactly "
                              f"(at most {limit}: SymPy differentiates along each)")


def rational_inputs(typed, rng, sizes: dict, digits: int | None = None) -> dict:
    """check.py's domain-aware draws (positive, positive definite, invertible, small),
    rounded to nonzero multiples of 1/16; symmetric matrices stay symmetric. With
    `digits`, the same numbers as SymPy Floats of that precision."""
    import numpy as np
    import sympy as sp

    floats = random_inputs(typed, rng, sizes)
    out = {}
    for name, s in typed.names.items():
        v = floats[py_name(name)]
        if s.shape == ir.SCALAR:
            out[name] = _number(float(v), digits)
            continue
        M = sp.Matrix(v).applyfunc(lambda x: _number(float(x)))
        if s.symmetric or v.ndim == 2 and v.shape[0] == v.shape[1] and np.allclose(v, v.T):  # drawn symmetric
            M = (M + M.T) / 2
        out[name] = sp.ImmutableMatrix(M.applyfunc(lambda x: _number(x, digits)))
    return out


def _number(x, digits: int | None = None):
    """x rounded to a nonzero multiple of 1/16 (kept as it is if it is one already)."""
    import sympy as sp

    q = sp.Rational(x) * DENOMINATOR
    q = q if q.is_Integer else sp.Integer(round(float(q)) or (1 if x >= 0 else -1))
    value = q / DENOMINATOR
    return value if digits is None else sp.Float(value, digits)


# -- one trial --------------------------------------------------------------------------------

def _trial(d, F, R, sizes: dict, values: dict) -> dict | None:
    """Compare at one draw; None where it decides nothing: a matrix is singular there, or a
    value is not a finite real number (log of a negative, a kink of abs or relu)."""
    import sympy as sp

    from .to_sympy import explicit, substitution

    point = substitution(d.typed.names, sizes, values)
    try:
        if _at_a_kink(d, point):
            return None
        want = _oracle(d, F, sizes, point)
        got = _matrix(explicit(R, point))
    except (ZeroDivisionError, ValueError, sp.matrices.exceptions.NonInvertibleMatrixError):
        return None
    if got.shape != want.shape:
        raise ir.MatcalcError(f"the result evaluates to shape {got.shape}, expected {want.shape}")
    worst, rational = 0.0, True
    for index, (a, b) in enumerate(zip(got, want)):
        if not (_decides(a) and _decides(b)):
            return None
        exact = a.is_Rational and b.is_Rational
        rational = rational and exact
        error = float(abs(a - b) / (1 + abs(b))) if exact else _error(a, b)
        if error is None:
            return None
        worst = max(worst, error)
        if (exact and a != b) or (not exact and error > 10.0 ** -DIGITS):
            i, j = divmod(index, want.shape[1])
            return {"agrees": False, "rational": exact, "error": error,
                    "entry": [i + 1, j + 1], "got": str(a), "want": str(b)}
    return {"agrees": True, "rational": rational, "error": worst}


KINKS = {"abs", "relu", "sign", "step"}  # not differentiable where their argument is 0


def _at_a_kink(d, point: dict) -> bool:
    """Whether an argument of abs, relu, sign or step has an entry that is exactly 0 at
    the point (rational draws can cancel): SymPy's Heaviside(0) is 1/2, matcalc's step 0."""
    import sympy as sp

    from .to_sympy import explicit, to_sympy

    for e in (d.typed.expr, d.result):
        for node in ir.postorder(e):
            if isinstance(node, ir.Func) and node.name in KINKS:
                value = _matrix(explicit(to_sympy(node.a), point))
                if any(v == 0 for v in value):
                    return True
    return False


def _decides(v) -> bool:
    import sympy as sp

    return not (v.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.DiracDelta) or v.has(sp.I))


def _error(a, b) -> float | None:
    """|a − b| / (1 + |b|) in 65-digit arithmetic, or None if either is not real."""
    import sympy as sp

    x, y = sp.N(a, DIGITS + GUARD), sp.N(b, DIGITS + GUARD)
    if not (x.is_real and y.is_real and x.is_finite and y.is_finite):
        return None
    return float(abs(x - y) / (1 + abs(y)))


def _matrix(v):
    import sympy as sp

    return v if isinstance(v, sp.MatrixBase) else sp.ImmutableMatrix([[v]])


# -- the oracle: SymPy differentiates the input -----------------------------------------------

def _oracle(d, F, sizes: dict, point: dict):
    """The derivative of the input at `point`, from SymPy, laid out as the result is."""
    import sympy as sp

    from .to_sympy import symbol

    X, f_shape = d.X, d.typed.expr.shape
    key = symbol(X)
    X0, directions = point[key], _directions(X, sizes)
    s, t = sp.Dummy("s", real=True), sp.Dummy("t", real=True)

    def moved(*steps):
        """The point with X at X0 + Σ v E over the (symbol v, direction E) steps."""
        p = dict(point)
        p[key] = X0
        for v, E in steps:
            p[key] = p[key] + v * E
        return p

    if d.kind == "hessian":
        return _hessian(d, F, directions, moved)
    columns = []
    for E in directions:
        dF = _value(F, moved((t, E)), _divides(d)).applyfunc(lambda e: sp.diff(e, t).subs(t, 0))
        columns.append(list(dF.T))  # vec: the columns stacked
    J = sp.ImmutableMatrix(columns).T  # size(F) × size(X)
    return _laid_out(d, J, sizes, f_shape)


def _hessian(d, F, directions: list, moved):
    """∂²f/∂uᵢ∂uⱼ at 0 of f(X0 + Σ uᵢ Eᵢ). Where an inverse or a determinant enters, a
    symbol per direction would make rational functions of them all: each entry is then
    found from second derivatives along single directions, in one symbol t, by
    polarization, 2 Hᵢⱼ = D²f[Eᵢ + Eⱼ] − D²f[Eᵢ] − D²f[Eⱼ]. Otherwise one evaluation
    holds a symbol for every direction."""
    import sympy as sp

    n = len(directions)
    H = sp.zeros(n, n)
    if _divides(d):
        t = sp.Dummy("t", real=True)

        def second(E):
            return sp.diff(_value(F, moved((t, E)), True)[0, 0], t, 2).subs(t, 0)

        own = [second(E) for E in directions]
        for i in range(n):
            H[i, i] = own[i]
            for j in range(i + 1, n):
                H[i, j] = H[j, i] = (second(directions[i] + directions[j]) - own[i] - own[j]) / 2
        return sp.ImmutableMatrix(H)
    u = [sp.Dummy(f"u{i}", real=True) for i in range(n)]
    f = _value(F, moved(*zip(u, directions)))[0, 0]
    at_zero = {v: 0 for v in u}
    for i in range(n):
        g = sp.diff(f, u[i])
        for j in range(i, n):
            H[i, j] = H[j, i] = sp.diff(g, u[j]).xreplace(at_zero)
    return sp.ImmutableMatrix(H)


def _divides(d) -> bool:
    """Whether the input holds an inverse or a determinant: a rational function of the
    symbols, whose terms swell unless each value is brought to one quotient."""
    return any(isinstance(node, (ir.Inverse, ir.Det, ir.LogDet)) for node in ir.postorder(d.typed.expr))


def _value(F, point, quotient: bool = False):
    """F at the point, each value one quotient of polynomials where asked and exact."""
    import sympy as sp

    from .to_sympy import explicit

    exact = not any(v.has(sp.Float) for v in point.values())
    return _matrix(explicit(F, point, canonical=quotient and exact))


def _directions(X: ir.Sym, sizes: dict) -> list:
    """The unit directions of X in vec order; for a symmetric X, (E_ij + E_ji)/2, so that
    the derivative is sym(G), the gradient among symmetric matrices (SPEC §3)."""
    import sympy as sp

    if X.shape == ir.SCALAR:
        return [sp.Integer(1)]
    r, c = (concrete(x, sizes) for x in X.shape)
    out = []
    for j in range(c):
        for i in range(r):
            E = sp.zeros(r, c)
            if X.symmetric:
                E[i, j] += sp.Rational(1, 2)
                E[j, i] += sp.Rational(1, 2)
            else:
                E[i, j] = 1
            out.append(sp.ImmutableMatrix(E))
    return out


def _laid_out(d, J, sizes: dict, f_shape):
    """J = ∂vec(F)/∂vec(X)ᵀ, laid out as SPEC §3 says for the command and layout."""
    import sympy as sp

    X = d.X
    if X.shape == ir.SCALAR:
        r, c = (concrete(x, sizes) for x in f_shape)
        return sp.ImmutableMatrix(r, c, lambda i, j: J[i + r * j, 0])
    if f_shape == ir.SCALAR:
        r, c = (concrete(x, sizes) for x in X.shape)
        G = sp.ImmutableMatrix(r, c, lambda i, j: J[0, i + r * j])
        if d.command == "jac":
            return J
        return G.T if d.command == "diff" and d.layout == "numerator" else G
    if d.vec_form or d.command == "jac" or d.layout == "numerator":
        return J
    return J.T


# -- the report -------------------------------------------------------------------------------

def _report(result, sizes: dict, outcomes: list) -> dict:
    decided = outcomes
    failed = next((o for o in decided if not o["agrees"]), None)
    verdict = "inconclusive" if not decided else "disagrees" if failed else "agrees"
    report = {"input": result.input, "wrt": result.wrt, "kind": result.kind, "derivative": result.derivative,
              "exact": True, "sizes": sizes, "trials": len(decided), "verdict": verdict, "ok": verdict == "agrees",
              "arithmetic": "rational" if decided and all(o["rational"] for o in decided) else f"{DIGITS} digits",
              "max_error": max((o["error"] for o in decided), default=None)}
    if failed:
        report["mismatch"] = {k: failed[k] for k in ("entry", "got", "want")}
    if result.notes:
        report["notes"] = result.notes
    return report


def summary(report: dict) -> str:
    """One line for people, after `wrt: derivative`."""
    at = ", ".join(f"{k}={v}" for k, v in report["sizes"].items())
    at = f" at {at}" if at else ""
    if report["verdict"] == "inconclusive":
        return f"inconclusive: no random rational input{at} fell inside the domain of the expression and its derivative"
    if report["verdict"] == "disagrees":
        m = report["mismatch"]
        return (f"DISAGREES{at}: entry ({m['entry'][0]}, {m['entry'][1]}) is {m['got']}, "
                f"SymPy's derivative of the input gives {m['want']}")
    how = "exactly" if report["arithmetic"] == "rational" else f"to {DIGITS} digits"
    return f"agrees {how}{at} over {report['trials']} random rational inputs"
