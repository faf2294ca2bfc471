"""The chain-rule trace: the engines' rule applications -> steps a reader can follow and check.

Reverse mode applies one rule per edge of the expression DAG. A step here is one
subexpression u's whole derivative, ∂f/∂u (summed over every use of u), so each step is a
true equation: the derivative of f with u replaced by a free variable. Each edge into u
is shown with its local Jacobian ∂p/∂uᵀ and the step of the p it comes through — the
seed's "derivative by the prediction, Jacobian of XW by W, chain rule". Forward steps
read d(u) = ... in the direction dX; a last step identifies J or lays the result out.
A chain line names the step it comes through rather than repeating it, so the number
of steps grows linearly with the expression; each result is written out in full, so a
step can be checked on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import algebra, ir, rules
from .ir import dims_json
from .printers.latex import to_latex
from .printers.numpy import to_numpy
from .printers.text import to_text, to_text_where
from .simplify import rewrite


@dataclass
class _Entry:
    """One step: a node's reverse edges gathered, or one forward / closing application."""

    mode: str
    node: ir.Expr
    steps: list = field(default_factory=list)

    @property
    def bookkeeping(self) -> bool:
        return all(s.bookkeeping for s in self.steps)


def _entries(trace: list) -> list[_Entry]:
    """Reverse edges gathered by child, each placed once complete: when the child first
    acts as a parent, or at the end for the variable. Other steps keep their place."""
    out, groups, placed = [], {}, set()

    def place(node):
        if node in groups and node not in placed:
            placed.add(node)
            out.append(groups[node])

    for s in trace:
        if s.mode == "reverse":
            place(s.node)
            groups.setdefault(s.child, _Entry("reverse", s.child)).steps.append(s)
        else:
            for node in groups:
                place(node)
            out.append(_Entry(s.mode, s.node, [s]))
    for node in groups:
        place(node)
    return out


def _plain(e: ir.Expr) -> ir.Expr:
    """The direction ∂X of a differential shown as dX, a name a reader can type."""
    def fn(old, new):
        if isinstance(new, ir.Sym) and new.name.startswith("∂"):
            return ir.Sym("d" + new.name[1:], new.shape, new.symmetric)
        return new
    return rewrite(e, fn)


class _Writer:
    """Prints one derivation's pieces: ASCII (parses back) or Unicode, LaTeX, NumPy."""

    def __init__(self, d, unicode: bool = False):
        self.d, self.typed, self.unicode = d, d.typed, unicode
        self.taken = set(self.typed.names) | set(self.typed.defs)
        self.names: dict = {}  # shared subexpressions keep one name through the trace
        self.X = d.X.name
        self.direction = {"d" + d.X.name: ir.Sym("d" + d.X.name, d.X.shape)}  # dX, for numpy
        self.D, self.T = ("∂", "ᵀ") if unicode else ("d", "'")

    def finish(self, e: ir.Expr) -> ir.Expr:
        from .derive import finish

        return _plain(finish(e, self.typed, self.taken, self.names))

    def text(self, e: ir.Expr) -> str:
        return to_text(_plain(e), self.unicode)

    def where(self, e: ir.Expr) -> str:
        return to_text_where(e, self.unicode)

    def of(self, u: ir.Expr) -> str:
        """∂f/∂(u), with the parentheses dropped around a name."""
        t = self.text(u)
        return t if isinstance(u, (ir.Sym, ir.Ref)) else f"({t})"

    def expression(self, entry: _Entry) -> str:
        u, X, D, T = entry.node, self.X, self.D, self.T
        if entry.mode == "reverse":
            return f"{D}f/{D}{self.of(u)}"
        if entry.mode == "forward":
            return f"d{self.of(u)}/d{X}" if self.d.X.shape == ir.SCALAR else f"d{self.of(u)}"
        rule = entry.steps[0].rule
        if entry.mode == "symmetric":
            return f"{D}f/{D}{X} (symmetric)"
        if entry.mode == "identify":
            return f"{D}vec{self.of(u)}/{D}vec({X}){T}" if self.d.vec_form else f"{D}{self.of(u)}/{D}{X}{T}"
        if rule == "denominator layout":
            return f"{D}{self.of(u)}/{D}{X}"
        return f"{D}f/{D}vec({X}){T}" if u.shape[1] != 1 else f"{D}f/{D}{X}{T}"

    def jacobian_of(self, p: ir.Expr, u: ir.Expr) -> str:
        """∂p/∂uᵀ, or ∂vec(p)/∂vec(u)ᵀ when either is a matrix."""
        D, T = self.D, self.T
        if 1 in p.shape and 1 in u.shape:
            return f"{D}{self.of(p)}/{D}{self.of(u)}{T}"
        vec = lambda e: f"vec{self.of(e)}" if not isinstance(e, (ir.Sym, ir.Ref)) else f"vec({self.of(e)})"
        return f"{D}{vec(p)}/{D}{vec(u)}{T}"


def steps_json(d, include_bookkeeping: bool = False, unicode: bool = False) -> list[dict]:
    w = _Writer(d, unicode)
    rows, number = [], {}  # node -> its step number, for "through step k"
    for entry in _entries(d.steps):
        if entry.bookkeeping and not include_bookkeeping:
            if entry.mode == "reverse" and entry.steps[0].node in number:  # h = body: body's gradient is h's
                number[entry.node] = number[entry.steps[0].node]
            continue
        last = entry.steps[-1]
        result = w.finish(algebra.add(*(s.after for s in entry.steps)) if entry.mode == "reverse" else last.after)
        row = {
            "rule": ", ".join(dict.fromkeys(s.rule for s in entry.steps)),
            "identity": "; ".join(dict.fromkeys(s.identity for s in entry.steps)),
            "mode": entry.mode,
            "expression": w.expression(entry),
            "of": w.text(entry.node),
            "of_latex": to_latex(_plain(entry.node)),
            "result": w.where(result),
            "shape": dims_json(result.shape),
            "latex": to_latex(result),
            "numpy": to_numpy(result, {**w.typed.names, **w.direction}),
        }
        if entry.mode == "reverse":
            row["chain"] = [_edge(w, s, number, len(entry.steps) > 1) for s in entry.steps]
            number[entry.node] = len(rows) + 1
        rows.append(row)
    return rows


def _edge(w: _Writer, s: rules.Step, number: dict, several: bool) -> dict:
    """One use of u inside p: ∂f/∂u gets (∂p/∂uᵀ)ᵀ ∂f/∂p."""
    J = w.finish(rules.local_jacobian(s))
    edge = {"through": w.text(s.node), "jacobian_of": w.jacobian_of(s.node, s.child), "jacobian": w.where(J),
            "jacobian_shape": dims_json(J.shape)}
    if s.node in number:
        edge["through_step"] = number[s.node]
    if several:
        edge["term"] = w.where(w.finish(s.after))
    edge["through_latex"] = to_latex(s.node)
    edge["jacobian_latex"] = to_latex(J)
    return edge


# -- text and LaTeX from the JSON rows ------------------------------------------------------

def _shape(dims, times: str = "x") -> str:
    return "scalar" if not dims else f" {times} ".join(str(x) for x in dims)


def chain_lines(s: dict, times: str = "x") -> list[str]:
    """How a reverse step used the chain rule: through which step, with what local Jacobian."""
    lines, chain = [], s.get("chain", [])
    for i, e in enumerate(chain):
        if "through_step" not in e and "term" not in e:
            continue  # straight from f: the Jacobian is the result itself
        via = f"via step {e['through_step']}" if "through_step" in e else f"via f = {e['through']}"
        uses = [x for x in chain if x["through"] == e["through"]]
        if len(uses) > 1:  # u twice in p: each use's Jacobian holds the other fixed
            via += f" (use {sum(x['through'] == e['through'] for x in chain[:i]) + 1} of {len(uses)})"
        term = f";  adds {e['term']}" if "term" in e else ""
        name = "local Jacobian" if len(e["jacobian_of"]) > 50 else "Jacobian " + e["jacobian_of"]
        lines.append(f"{via}, {name} = {e['jacobian']}   [{_shape(e['jacobian_shape'], times)}]{term}")
    return lines


def steps_text(r) -> str:
    lines = [f"f = {r.expression}"]
    for i, s in enumerate(r.steps or [], 1):
        lines.append(f"{i}. {s['rule']}    {s['identity']}")
        lines.append(f"   {s['expression']} = {s['result']}   [{_shape(s['shape'])}]")
        lines.extend("   " + line for line in chain_lines(s))
    return "\n".join(lines)


def _tex_text(s: str) -> str:
    return s.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


def steps_latex(r) -> str:
    d = r.derivation
    rows = [r"\begin{align*}", rf"  f &= {to_latex(d.typed.expr)} \\"]
    for s in r.steps or []:
        rows.append(rf"  {_tex_lhs(s, d)} &= {s['latex']} && \text{{{_tex_text(s['rule'])}}} \\")
        for e in s.get("chain", []):
            if "through_step" not in e and "term" not in e:
                continue
            rows.append(rf"  &\qquad \frac{{\partial\, {_paren(e['through_latex'], e['through'])}}}"
                        rf"{{\partial\, {_paren(s['of_latex'], s['of'])}^\top}}"
                        rf" = {e['jacobian_latex']} && \text{{Jacobian}} \\")
    rows.append(rf"  \text{{result}} &= {r.latex}")
    rows.append(r"\end{align*}")
    return "\n".join(rows)


def _paren(latex: str, text: str) -> str:
    return latex if text.isidentifier() else rf"\left({latex}\right)"


def _tex_lhs(s: dict, d) -> str:
    X = to_latex(d.X)
    of = _paren(s["of_latex"], s["of"])
    if s["mode"] == "reverse":
        return rf"\frac{{\partial f}}{{\partial\, {of}}}"
    if s["mode"] == "forward":
        body = rf"\mathrm{{d}}\, {of}"
        return rf"\frac{{{body}}}{{\mathrm{{d}} {X}}}" if d.X.shape == ir.SCALAR else body
    if s["mode"] == "identify":
        return rf"\frac{{\partial \operatorname{{vec}} F}}{{\partial \operatorname{{vec}}({X})^\top}}" if d.vec_form \
            else rf"\frac{{\partial F}}{{\partial {X}^\top}}"
    if s["mode"] == "symmetric":
        return rf"\nabla_{{{X}}} f"
    return rf"\frac{{\partial f}}{{\partial {X}^\top}}" if s["rule"] != "denominator layout" \
        else rf"\frac{{\partial F}}{{\partial {X}}}"
