"""Data for `shapes` and `rules`: plain dicts, ready for JSON or a Rich table."""
from __future__ import annotations

from . import analyze, dims_json
from .printers.latex import to_latex
from .printers.text import to_text

# The seed's cheat sheet and classic identities: (name, expression, --wrt, command,
# the derivative as matcalc prints it). tests/test_rules.py checks each numerically.
IDENTITIES = [
    ("linear form", "a' x", "x", "grad", "a"),
    ("squared norm", "x' x", "x", "grad", "2 x"),
    ("quadratic form", "x' A x", "x", "grad", "(A + A') x"),
    ("symmetric quadratic form", "x' A x where A: symmetric", "x", "grad", "2 A x"),
    ("affine map", "A x + b", "x", "jac", "A"),
    ("trace", "tr(X)", "X", "grad", "I"),
    ("trace, linear", "tr(A X)", "X", "grad", "A'"),
    ("bilinear form", "a' X b", "X", "grad", "a b'"),
    ("trace, quadratic", "tr(X' A X)", "X", "grad", "(A + A') X"),
    ("determinant", "det(X)", "X", "grad", "det(X) X^-T"),
    ("log-determinant", "logdet(X)", "X", "grad", "X^-T"),
    ("inverse in a trace", "tr(A X^-1)", "X", "grad", "-X^-T A' X^-T"),
    ("least squares", "1/N ||X w - y||^2", "w", "grad", "2/N X' (X w - y)"),
    ("Hessian of a quadratic form", "x' A x", "x", "hess", "A + A'"),
    ("vec of a product", "A X B", "X", "jac", "kron(B', A)"),
    ("logsumexp", "logsumexp(x)", "x", "grad", "softmax(x)"),
    ("norm", "||x||", "x", "grad", "x/||x||"),
]


def shapes_report(expr: str, declare=()) -> dict:
    typed = analyze(expr, declare)
    seen, subs = set(), []
    for node, e in typed.subexpressions:
        if e in seen:
            continue
        seen.add(e)
        subs.append({"expression": to_text(e), "shape": dims_json(e.shape), "column": node.column})
    return {
        "input": expr,
        "variables": {n: {"shape": dims_json(s.shape), "symmetric": s.symmetric} for n, s in typed.names.items()},
        "definitions": {n: {"expression": to_text(r.a), "shape": dims_json(r.shape)} for n, r in typed.defs.items()},
        "subexpressions": subs,
    }


def rules_table() -> list[dict]:
    """Differentiation rules (the engine's own tables) and the identities above."""
    from . import rules

    rows = []
    for table, mode in ((rules.FORWARD, "differential"), (rules.REVERSE, "reverse")):
        for name, identity, _ in table.values():
            rows.append({"name": name, "kind": mode, "identity": identity,
                         "latex": r"\text{" + identity.replace("_", r"\_") + "}"})
    for fname, (identity, _) in rules.FPRIME.items():
        rows.append({"name": fname, "kind": "entrywise", "identity": identity,
                     "latex": r"\text{" + identity + "}"})
    for name, expr, wrt, command, result in IDENTITIES:
        rows.append({"name": name, "kind": "identity", "expression": expr, "wrt": wrt,
                     "command": command, "identity": f"{command} {expr} by {wrt} = {result}",
                     "latex": to_latex(analyze(expr).expr) + r" \;\to\; " + to_latex(analyze(result).expr)})
    return rows
