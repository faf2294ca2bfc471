"""The chain-rule trace printed: text (ASCII that parses back, or Unicode), LaTeX, JSON rows.

Pure views of a trace.Trace: every decision (parentheses, wording) is read from its IR.
Imports ir and the other printers; trace only for type hints.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from .latex import to_latex
from .numpy import to_numpy
from .text import to_text, to_text_where

if TYPE_CHECKING:
    from ..trace import Edge, Lhs, Trace, TraceStep

LONG = 18  # nodes in p and u from which a chain line says "local Jacobian": step k shows p


def _is_name(e: ir.Expr) -> bool:
    return isinstance(e, (ir.Sym, ir.Ref))


def _nodes(e: ir.Expr) -> int:
    return ir.tree_size(e, LONG)


class _Text:
    """The input language: ASCII parses back; Unicode is for the terminal."""

    def __init__(self, unicode: bool = False):
        self.unicode = unicode
        self.T, self.times = ("ᵀ", "×") if unicode else ("'", "x")
        self.symbols = {"∂": "∂" if unicode else "d", "d": "d"}

    def expr(self, e: ir.Expr) -> str:
        return to_text(e, self.unicode)

    def where(self, e: ir.Expr) -> str:
        return to_text_where(e, self.unicode)

    def of(self, e: ir.Expr) -> str:
        return self.expr(e) if _is_name(e) else f"({self.expr(e)})"

    def vec(self, e: ir.Expr) -> str:
        return f"vec({self.expr(e)})"

    def d(self, symbol: str, operand: str | None) -> str:
        return self.symbols[symbol] + ("f" if operand is None else operand)

    def frac(self, top: str, bottom: str) -> str:
        return f"{top}/{bottom}"

    def symmetric(self, lhs: Lhs, text: str) -> str:
        return f"{text} (symmetric)"

    def shape(self, shape: ir.Shape) -> str:
        return "scalar" if shape == ir.SCALAR else f" {self.times} ".join(map(str, ir.dims_json(shape)))


class _Latex:
    """amsmath: \\frac for derivatives, ^\\top for a row."""

    T = r"^\top"
    symbols = {"∂": r"\partial", "d": r"\mathrm{d}"}

    def expr(self, e: ir.Expr) -> str:
        return to_latex(e)

    def of(self, e: ir.Expr) -> str:
        return self.expr(e) if _is_name(e) else rf"\left({self.expr(e)}\right)"

    def vec(self, e: ir.Expr) -> str:
        return rf"\operatorname{{vec}}\left({self.expr(e)}\right)"

    def d(self, symbol: str, operand: str | None) -> str:
        return f"{self.symbols[symbol]} f" if operand is None else rf"{self.symbols[symbol]}\, {operand}"

    def frac(self, top: str, bottom: str) -> str:
        return rf"\frac{{{top}}}{{{bottom}}}"

    def symmetric(self, lhs: Lhs, text: str) -> str:
        return rf"\nabla_{{{self.expr(lhs.by)}}} f"


def left_side(lhs: Lhs, fmt) -> str:
    """∂f/∂(u), d(u), d(u)/dt, ∂vec(F)/∂vec(X)ᵀ, ...: one reading of Lhs for every format;
    _Text and _Latex only say how a name, a vec, a d and a fraction are written."""
    if not lhs.symbol:
        return fmt.expr(lhs.num)
    wrap = fmt.vec if lhs.vec else fmt.of
    top = fmt.d(lhs.symbol, None if lhs.num is None else wrap(lhs.num))
    if lhs.by is None:
        return top
    text = fmt.frac(top, fmt.d(lhs.symbol, wrap(lhs.by)) + (fmt.T if lhs.row else ""))
    return fmt.symmetric(lhs, text) if lhs.symmetric else text


# -- text: a pipe's stderr, and the Rich table's cells --------------------------------------

def rule(step: TraceStep) -> str:
    return ", ".join(step.rules)


def identity(step: TraceStep) -> str:
    return "; ".join(step.identities)


def equation(step: TraceStep, unicode: bool = False) -> str:
    t = _Text(unicode)
    name = f"{t.expr(step.name)} = " if step.name is not None else ""
    return f"{name}{left_side(step.lhs, t)} = {t.where(step.result)}"


def definitions(trace: Trace, unicode: bool = False) -> list[str]:
    """u1 = tanh(W x), ...: the names a long trace gives f's subexpressions, inner first."""
    t = _Text(unicode)
    return [f"{t.expr(name)} = {t.expr(e)}" for name, e in trace.defs]


def shape_text(shape: ir.Shape, unicode: bool = False) -> str:
    return _Text(unicode).shape(shape)


def chain_lines(step: TraceStep, unicode: bool = False) -> list[str]:
    """How a reverse step used the chain rule: through which step, with what local Jacobian."""
    t = _Text(unicode)
    return [_chain_line(e, t) for e in step.edges if e.shown]


def _chain_line(e: Edge, t: _Text) -> str:
    via = f"via step {e.step}" if e.step is not None else f"via f = {t.expr(e.through)}"
    if e.uses > 1:  # u twice in p: each use's Jacobian holds the other fixed
        via += f" (use {e.use} of {e.uses})"
    long = _nodes(e.lhs.num) + _nodes(e.lhs.by) >= LONG
    name = "local Jacobian" if long else "Jacobian " + left_side(e.lhs, t)
    term = f";  adds {t.where(e.term)}" if e.term is not None else ""
    return f"{via}, {name} = {t.where(e.jacobian)}   [{t.shape(e.jacobian.shape)}]{term}"


def steps_text(trace: Trace, unicode: bool = False) -> str:
    t = _Text(unicode)
    lines = [f"f = {t.where(trace.shown_f)}"]
    lines.extend(f"   where {line}" for line in definitions(trace, unicode))
    for i, s in enumerate(trace.steps, 1):
        lines.append(f"{i}. {rule(s)}    {identity(s)}")
        lines.append(f"   {equation(s, unicode)}   [{t.shape(s.shape)}]")
        lines.extend("   " + line for line in chain_lines(s, unicode))
    return "\n".join(lines)


# -- LaTeX: one align* ending in the result ---------------------------------------------------

def _tex_text(s: str) -> str:
    return s.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


def steps_latex(trace: Trace, f: str = "f", result: str = r"\text{result}") -> str:
    """An align* from f = ... to the result; `f` and `result` are the left-hand sides of the
    first and last rows (a notebook writes ∂f/∂x = ... where a page writes "result")."""
    t = _Latex()
    rows = [r"\begin{align*}", rf"  {f} &= {to_latex(trace.shown_f)} \\"]
    rows += [rf"  {to_latex(name)} &= {to_latex(e)} && \text{{where}} \\" for name, e in trace.defs]
    for s in trace.steps:
        name = f"{to_latex(s.name)} = " if s.name is not None else ""
        rows.append(rf"  {name}{left_side(s.lhs, t)} &= {to_latex(s.result)} && \text{{{_tex_text(rule(s))}}} \\")
        rows += [rf"  &\qquad {left_side(e.lhs, t)} = {to_latex(e.jacobian)} && \text{{Jacobian}} \\"
                 for e in s.edges if e.shown]
    rows.append(rf"  {result} &= {to_latex(trace.result)}")
    rows.append(r"\end{align*}")
    return "\n".join(rows)


# -- JSON: the rows of SPEC §4's "steps" -------------------------------------------------------

def steps_json(trace: Trace) -> list[dict]:
    """One row per step. In a long trace a row says what each name it is the first to use
    stands for (`names`: u1 = tanh(W x); g2 = the result of the step `name`d g2), so that
    every row can be checked alone with the rows before it, and the JSON grows linearly."""
    t = _Text()
    defs = dict(trace.defs)
    given: set = set()
    rows = []
    for s in trace.steps:  # the numpy code reads sizes from the variables; names are fresh
        row = _row(s, t, trace.variables)
        if defs:
            new = _first_uses(s, defs, given)
            if new:
                row["names"] = {t.expr(name): t.expr(defs[name]) for name in new}
        if s.name is not None:
            row["name"] = t.expr(s.name)
        rows.append(row)
    return rows


def _first_uses(s: TraceStep, defs: dict, given: set) -> list:
    """The defined names a step uses (through each other too) that no earlier row gave,
    inner first."""
    roots = [s.node, s.result, *(x for e in s.edges for x in (e.through, e.jacobian, e.term) if x is not None)]
    new, stack = [], [n for r in roots for n in ir.postorder(r) if n in defs and n not in given]
    while stack:
        name = stack.pop()
        if name in given:
            continue
        given.add(name)
        new.append(name)
        stack.extend(n for n in ir.postorder(defs[name]) if n in defs and n not in given)
    order = {name: i for i, name in enumerate(defs)}
    return sorted(new, key=order.__getitem__)


def _row(s: TraceStep, t: _Text, variables: dict) -> dict:
    row = {
        "rule": rule(s), "identity": identity(s), "mode": s.mode,
        "expression": left_side(s.lhs, t), "of": t.expr(s.node), "of_latex": to_latex(s.node),
        "result": t.where(s.result), "shape": ir.dims_json(s.shape),
        "latex": to_latex(s.result), "numpy": to_numpy(s.result, variables),
    }
    if s.edges:
        row["chain"] = [_edge(e, t) for e in s.edges]
    return row


def _edge(e: Edge, t: _Text) -> dict:
    out = {"through": t.expr(e.through), "jacobian_of": left_side(e.lhs, t), "jacobian": t.where(e.jacobian),
           "jacobian_shape": ir.dims_json(e.jacobian.shape)}
    if e.step is not None:
        out["through_step"] = e.step
    if e.term is not None:
        out["term"] = t.where(e.term)
    out["through_latex"] = to_latex(e.through)
    out["jacobian_latex"] = to_latex(e.jacobian)
    return out
