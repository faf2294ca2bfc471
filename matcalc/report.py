"""Data for `shapes` and `rules`: plain dicts, ready for JSON or a Rich table."""
from __future__ import annotations

import re

from .ir import dims_json
from .shapes import FUNCTIONS, analyze
from .printers.latex import BUDGET, to_latex
from .printers.text import to_text
from .printers.texwidth import width

# The seed's cheat sheet and classic identities: (name, expression, --wrt, command,
# the derivative as matcalc prints it). tests/test_rules.py checks each numerically.
IDENTITIES = [
    ("linear form", "a' x", "x", "grad", "a"),
    ("squared norm", "x' x", "x", "grad", "2 x"),
    ("quadratic form", "x' A x", "x", "grad", "(A + A') x"),
    ("symmetric quadratic form", "x' A x where A: symmetric", "x", "grad", "2 A x"),
    ("affine map", "A x + b", "x", "jac", "A"),
    ("trace", "tr(X)", "X", "grad", "eye(n)"),
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
    report = {
        "input": expr,
        "variables": {n: {"shape": dims_json(s.shape), "symmetric": s.symmetric} for n, s in typed.names.items()},
        "definitions": {n: {"expression": to_text(r.a), "shape": dims_json(r.shape)} for n, r in typed.defs.items()},
        "subexpressions": subs,
    }
    if typed.notes:
        report["notes"] = typed.notes
    return report


_COMMAND = {"differential": "jac", "reverse": "grad"}  # where each kind of rule shows its example


def rules_table() -> list[dict]:
    """The engine's own rules, each with the worked example beside it in rules.py, then
    the classic identities. A rule that only refuses has no row."""
    from . import rules

    rows = [_row(r.name, "differential", r.d) for r in rules.RULES.values()]
    rows += [_row(r.name, "reverse", r.vjp) for r in rules.RULES.values() if isinstance(r.vjp, rules.Rule)]
    rows += [_row(f.name, f.kind, f.rule) for f in rules.FUSED]
    for fname, (identity, _, result) in rules.FPRIME.items():
        rows.append(_dict(fname, "entrywise", identity, "grad", f"sum({fname}(x))", "x", result))
    for name, expr, wrt, command, result in IDENTITIES:
        row = _dict(name, "identity", f"{command} {expr} by {wrt} = {result}", command, expr, wrt, result)
        row["latex"] = to_latex(analyze(expr).expr) + r" \;\to\; " + to_latex(analyze(result).expr)
        rows.append(row)
    return rows


def rules_latex(rows: list[dict]) -> str:
    """One amsmath align* per kind of rule, each row's name beside its identity; an identity
    too long for the page goes on over further lines, broken where its parts meet."""
    blocks = []
    for kind in dict.fromkeys(r["kind"] for r in rows):
        group = [r for r in rows if r["kind"] == kind]
        names = [rf"\text{{{_text(r['name'])}}}" for r in group]
        room = BUDGET - max(width(n) for n in names) - width(r"\quad ")
        lines = []
        for name, r in zip(names, group):
            parts = _fill(r["latex"].split(r"\quad "), room)
            lines.append(rf"  {name} &\quad {parts[0]}")
            lines += [rf"  &\qquad {part}" for part in parts[1:]]
        blocks.append(f"% {kind}\n\\begin{{align*}}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
    return "\n".join(blocks)


def _fill(parts: list[str], room: float) -> list[str]:
    """Parts joined by \\quad into lines no wider than `room`, as many to a line as fit."""
    lines: list[str] = []
    for part in parts:
        if lines and width(lines[-1] + r"\quad " + part) <= room:
            lines[-1] += r"\quad " + part
        else:
            lines.append(part)
    return lines


def _text(s: str) -> str:
    return s.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_")


def _row(name, kind, rule) -> dict:
    return _dict(name, kind, rule.identity, _COMMAND[kind], *rule.example)


def _dict(name, kind, identity, command, expr, wrt, result) -> dict:
    return {"name": name, "kind": kind, "identity": identity, "latex": unicode_latex(identity),
            "example": {"command": command, "expression": expr, "wrt": wrt, "result": result}}


# -- the identities' Unicode, as LaTeX ------------------------------------------------------

_SUP = dict(zip("ᵀ⁻¹ʲᵏ²", ["\\top", "-", "1", "j", "k", "2"]))
_SYMBOLS = {
    "∂": r"\partial ", "∘": r"\odot ", "⊗": r"\otimes ", "‖": r"\|", "⟨": r"\langle ", "⟩": r"\rangle ",
    "Σⱼ": r"\sum\nolimits_j ", "−": "-", "′": "'", "σ": r"\operatorname{sigmoid}", "⟹": r"\implies ", "_": r"\_",
}
# A function in an identity as results print it: \log\det, \tanh, \operatorname{tr}.
_NAMED = {"log": r"\log", "det": r"\det", "logdet": r"\log\det", "exp": r"\exp", "sin": r"\sin",
          "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh", "arcsin": r"\arcsin", "arccos": r"\arccos",
          "arctan": r"\arctan"}
_OPERAND_END = re.compile(r"[\w)}'|]$")
_WORDS = re.compile(r"[A-Za-z]{2,}")
_PROSE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,})*")
_OPERATORS = set(FUNCTIONS)  # a function name in an identity is set upright, as \operatorname


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
        if text.startswith("^(", i):  # a^(b−1): the exponent is the parenthesis
            j = text.index(")", i) + 1
            out.append("^{" + unicode_latex(text[i + 2:j - 1]) + "}")
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
                out.append(_NAMED.get(word, rf"\operatorname{{{word}}}"))
                i = m.end()
                continue
            m = _PROSE.match(text, i)
            out.append(rf"\text{{{m.group()}}}")
            i = m.end()
            continue
        if text.startswith("  ", i):
            out.append(r"\quad ")
            i += 2
            continue
        if ch == " " and _OPERAND_END.search("".join(out[-1:])) and (text[i + 1:i + 2].isalnum() or text[i + 1:i + 2] in "(‖⟨σ"):
            out.append(r"\, ")  # a product of two factors: A \,dX\, B, not AdXB
        elif "A" <= ch <= "Z" and not (text[i + 1:i + 2].isascii() and text[i + 1:i + 2].isalpha()):
            out.append(rf"\mathrm{{{ch}}}")  # a matrix, upright as in results
        else:
            out.append(_SYMBOLS.get(ch, ch))
        i += 1
    return "".join(out)
