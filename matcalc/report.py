"""Data for `shapes` and `rules`: plain dicts, ready for JSON or a Rich table."""
from __future__ import annotations

import re

from .ir import dims_json
from .shapes import analyze
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


# One worked example per rule: (expression, --wrt, the derivative as matcalc prints it).
# Differential rules are shown on `jac` (forward mode), reverse rules on `grad`.
FORWARD_EXAMPLES = {
    "Add": ("A x + b", "x", "A"), "Mul": ("A X B", "X", "kron(B', A)"),
    "Transpose": ("X'", "X", "commutation(n, m)"), "Inverse": ("X^-1", "X", "-kron(X^-T, X^-1)"),
    "MatPow": ("X^2", "X", "kron(X', eye(n)) + kron(eye(n), X)"), "Pow": ("(a' x)^3 b", "x", "3 (a' x)^2 b a'"),
    "Hadamard": ("x .* y", "x", "diag(y)"), "HadPow": ("x .^ 3", "x", "3 diag(x .^ 2)"),
    "Func": ("exp(x)", "x", "diag(exp(x))"),
    "Kron": ("kron(X, B)", "X", "kron(kron(eye(m), commutation(q, n)), eye(p)) kron(eye(m*n), vec(B))"),
    "Trace": ("tr(A X) b", "X", "b vec(A')'"), "Det": ("det(X) a", "X", "det(X) a vec(X^-T)'"),
    "LogDet": ("logdet(X) a", "X", "a vec(X^-T)'"), "Sum": ("sum(X) a", "X", "a ones(1, m*n)"),
    "Norm": ("||x|| a", "x", "1/||x|| a x'"), "LogSumExp": ("logsumexp(x) a", "x", "a softmax(x)'"),
    "Softmax": ("softmax(x)", "x", "diag(softmax(x)) - softmax(x) softmax(x)'"),
    "DiagMat": ("diag(x) a", "x", "diag(a)"),
    "DiagVec": ("diag(X)", "X", "kron(ones(1, n), eye(n)) diag(vec(eye(n)))"), "Vec": ("vec(X)", "X", "I"),
    "Ref": ("W2 h where h = tanh(W1 x)", "x", "W2 diag(ones(n) - h .^ 2) W1 where h = tanh(W1 x)"),
    "log-softmax": ("log(softmax(x))", "x", "I - ones(n) softmax(x)'"),
}
REVERSE_EXAMPLES = {
    "Add": ("a' x + b' x", "x", "a + b"), "Mul": ("a' X b", "X", "a b'"), "Transpose": ("a' X' b", "X", "b a'"),
    "Inverse": ("a' X^-1 b", "X", "-X^-T a b' X^-T"), "MatPow": ("tr(X^3)", "X", "3 (X')^2"),
    "Pow": ("(a' x)^3", "x", "3 (a' x)^2 a"), "Hadamard": ("sum(x .* y .* x)", "x", "2 (y .* x)"),
    "HadPow": ("sum(x .^ 3)", "x", "3 x .^ 2"), "Func": ("sum(exp(A x))", "x", "A' exp(A x)"),
    "Trace": ("tr(A X)", "X", "A'"), "Det": ("det(X)", "X", "det(X) X^-T"), "LogDet": ("logdet(X)", "X", "X^-T"),
    "Sum": ("sum(A X)", "X", "A' ones(n, p)"), "Norm": ("||x||", "x", "x/||x||"),
    "LogSumExp": ("logsumexp(W x)", "W", "softmax(W x) x'"),
    "Softmax": ("a' softmax(x)", "x", "softmax(x) .* a - (softmax(x)' a) softmax(x)"),
    "DiagMat": ("tr(diag(x) A)", "x", "diag(A')"), "DiagVec": ("a' diag(X)", "X", "diag(a)"),
    "Ref": ("||h||^2 where h = A x", "x", "2 A' h where h = A x"),
    "squared norm": ("||A x - b||^2", "x", "2 A' (A x - b)"),
    "log-softmax": ("-y' log(softmax(x))", "x", "-y + sum(y) softmax(x)"),
}
FPRIME_RESULTS = {
    "exp": "exp(x)", "log": "x .^ -1", "sin": "cos(x)", "cos": "-sin(x)", "tan": "ones(n) + tan(x) .^ 2",
    "tanh": "ones(n) - tanh(x) .^ 2", "sqrt": "1/2 sqrt(x) .^ -1", "abs": "sign(x)",
    "sigmoid": "sigmoid(x) .* (ones(n) - sigmoid(x))", "softplus": "sigmoid(x)", "relu": "step(x)",
    "sign": "zeros(n)", "step": "zeros(n)",
}


def rules_table() -> list[dict]:
    """The engine's own rules, each with a worked example, then the classic identities.

    Rows whose rule only refuses (a gradient through kron or vec) are left out."""
    from . import rules

    rows = []
    for table, kind, examples, command in ((rules.FORWARD, "differential", FORWARD_EXAMPLES, "jac"),
                                           (rules.REVERSE, "reverse", REVERSE_EXAMPLES, "grad")):
        for node_type, (name, identity, _) in table.items():
            if node_type.__name__ in examples:
                rows.append(_row(name, kind, identity, command, *examples[node_type.__name__]))
    for name, identity, _ in (rules.SQUARED_NORM, rules.LOG_SOFTMAX):
        rows.append(_row(name, "reverse", identity, "grad", *REVERSE_EXAMPLES[name]))
    name, identity, _ = rules.FORWARD_LOG_SOFTMAX
    rows.append(_row(name, "differential", identity, "jac", *FORWARD_EXAMPLES[name]))
    for fname, (identity, _) in rules.FPRIME.items():
        rows.append(_row(fname, "entrywise", identity, "grad", f"sum({fname}(x))", "x", FPRIME_RESULTS[fname]))
    for name, expr, wrt, command, result in IDENTITIES:
        row = _row(name, "identity", f"{command} {expr} by {wrt} = {result}", command, expr, wrt, result)
        row["latex"] = to_latex(analyze(expr).expr) + r" \;\to\; " + to_latex(analyze(result).expr)
        rows.append(row)
    return rows


def rules_latex(rows: list[dict]) -> str:
    """One amsmath align* per kind of rule, short enough for a page each."""
    blocks = []
    for kind in dict.fromkeys(r["kind"] for r in rows):
        lines = [rf"  \text{{{r['name']}}} &\quad {r['latex']}" for r in rows if r["kind"] == kind]
        blocks.append(f"% {kind}\n\\begin{{align*}}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
    return "\n".join(blocks)


def _row(name, kind, identity, command, expr, wrt, result) -> dict:
    return {"name": name, "kind": kind, "identity": identity, "latex": unicode_latex(identity),
            "example": {"command": command, "expression": expr, "wrt": wrt, "result": result}}


# -- the identities' Unicode, as LaTeX ------------------------------------------------------

_SUP = dict(zip("ᵀ⁻¹ʲᵏ²", ["\\top", "-", "1", "j", "k", "2"]))
_SYMBOLS = {
    "∂": r"\partial ", "∘": r"\circ ", "⊗": r"\otimes ", "‖": r"\|", "⟨": r"\langle ", "⟩": r"\rangle ",
    "Σⱼ": r"\sum_j ", "−": "-", "′": "'", "σ": r"\sigma", "⟹": r"\implies ", "_": r"\_",
}
_WORDS = re.compile(r"[A-Za-z]{2,}")
_PROSE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,})*")
_OPERATORS = {"tr", "det", "logdet", "sum", "diag", "vec", "exp", "log", "sin", "cos", "tan", "tanh", "sqrt",
              "abs", "softplus", "relu", "sign", "step", "softmax", "logsumexp"}


def unicode_latex(text: str) -> str:
    """Math typed in Unicode (ᵀ, ⁻¹, ∘, ‖·‖) as LaTeX math: the rules table in a paper."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in _SUP:
            j = i
            while j < len(text) and text[j] in _SUP:
                j += 1
            out.append("^{" + "".join(_SUP[c] for c in text[i:j]) + "}")
            i = j
            continue
        two = text[i:i + 2]
        if two in _SYMBOLS:
            out.append(_SYMBOLS[two])
            i += 2
            continue
        if text.startswith(".^", i):  # A.^k, A.^(k−1): entrywise powers
            j = text.index(")", i) + 1 if text.startswith("(", i + 2) else i + 3
            out.append(r"^{\circ " + unicode_latex(text[i + 2:j]) + "}")
            i = j
            continue
        if text.startswith("./", i):
            out.append(r"\oslash ")
            i += 2
            continue
        m = _WORDS.match(text, i)
        start = i == 0 or not text[i - 1].isalnum()
        if ch == "d" and start and (not m or len(m.group()) == 2) and text[i + 1:i + 2] not in ("", ")"):
            out.append(r"\mathrm{d}")  # the differential: dA, d(A B), d tr(A)
            i += 1
            continue
        if m and start:
            word = m.group()
            if word in _OPERATORS:
                out.append(rf"\operatorname{{{word}}}")
                i = m.end()
                continue
            m = _PROSE.match(text, i)
            out.append(rf"\text{{{m.group()}}}")
            i = m.end()
            continue
        out.append(r"\quad " if text.startswith("  ", i) else _SYMBOLS.get(ch, ch))
        i += 2 if text.startswith("  ", i) else 1
    return "".join(out)
