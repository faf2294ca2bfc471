"""The chain-rule trace: recorded rule applications -> readable, checkable steps.

Reverse mode records one application per edge; a step here is one node's whole
derivative, ∂f/∂u = G (the sum over every use of u), so each step is a true equation
that can be checked on its own. Forward steps read d(u) = ..., in the direction dX.
"""
from __future__ import annotations

from . import dims_json, ir
from .printers.latex import to_latex
from .printers.text import to_text
from .simplify import simplify


def _txt(e: ir.Expr) -> str:
    return to_text(e).replace("∂", "d")


def collect(d) -> list[dict]:
    """One step per subexpression, in the order the derivation visits them."""
    out, by_child = [], {}
    for s in d.steps:
        if s.mode == "reverse":
            entry = by_child.get(s.child)
            if entry is None:
                entry = by_child[s.child] = {"parts": [], "rules": [], "identities": [], "parents": [],
                                             "bookkeeping": True, "mode": "reverse", "node": s.child}
                out.append(entry)
            entry["parts"].append(s.after)
            entry["parents"].append(s.node)
            if s.rule not in entry["rules"]:
                entry["rules"].append(s.rule)
                entry["identities"].append(s.identity)
            entry["bookkeeping"] = entry["bookkeeping"] and s.bookkeeping
        else:
            out.append({"parts": [s.after], "rules": [s.rule], "identities": [s.identity], "parents": [],
                        "bookkeeping": s.bookkeeping, "mode": "forward", "node": s.node})
    return out


def steps_json(d, include_bookkeeping: bool = False) -> list[dict]:
    f = d.typed.expr
    rows = []
    for entry in collect(d):
        if entry["bookkeeping"] and not include_bookkeeping:
            continue
        node = entry["node"]
        result = simplify(ir.add(*entry["parts"]))
        rule = " + ".join(entry["rules"]) if len(entry["parents"]) < 2 else "sum over uses: " + ", ".join(entry["rules"])
        if entry["mode"] == "reverse":
            expression = f"d({_txt(f)})/d({_txt(node)})"
        else:
            expression = f"d({_txt(node)})"
        rows.append({
            "rule": rule, "identity": "; ".join(entry["identities"]), "mode": entry["mode"],
            "expression": expression, "of": _txt(node), "result": _txt(result),
            "shape": dims_json(result.shape), "latex": to_latex(result).replace("∂", "d"),
        })
    return rows


def steps_text(r) -> str:
    lines = []
    for i, s in enumerate(r.steps or [], 1):
        lines.append(f"{i}. [{s['rule']}] {s['expression']} = {s['result']}   ({_shape(s['shape'])})")
    return "\n".join(lines)


def _shape(dims) -> str:
    return "scalar" if not dims else " x ".join(str(x) for x in dims)


def steps_latex(r) -> str:
    body = [r"\begin{align*}"]
    for s in r.steps or []:
        rule = s["rule"].replace("_", r"\_")
        of = s["of"].replace("\\", "").replace("_", r"\_").replace("{", "").replace("}", "")
        body.append(rf"  \frac{{\partial f}}{{\partial (\texttt{{{of}}})}} &= {s['latex']} && \text{{{rule}}} \\")
    body.append(rf"  \text{{result}} &= {r.latex}")
    body.append(r"\end{align*}")
    return "\n".join(body)
