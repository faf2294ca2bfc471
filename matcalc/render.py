"""Rich renderables for a terminal: the result panel, the steps, shapes and rules tables.

Only this module imports rich, and only when standard output is a terminal. The steps
table prints the Result's own trace, so a terminal never derives the trace twice; the
panel says what the result is from Result.head, never from the flags.
"""
from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .ir import show_dims as _shape  # scalar, n, m × n
from .printers.text import to_text_where


def show_result(r, console: Console | None = None) -> None:
    console = console or Console()
    d = r.derivation
    body = Table.grid(padding=(0, 2))
    body.add_column(style="dim")
    body.add_column()
    body.add_row("input", Text(r.expression))
    shapes = ", ".join(f"{n}: {_shape(v['shape'])}{' sym' if v['symmetric'] else ''}" for n, v in r.variables.items())
    body.add_row("shapes", Text(shapes))
    for note in r.notes:
        body.add_row("note", Text(note, style="yellow"))
    body.add_row("result", Text(to_text_where(d.result, unicode=True), style="bold"))
    body.add_row("shape", Text(f"{_shape(r.shape)}  ({_what(r.head)})"))
    console.print(Panel(body, title=r.head.text, title_align="left", expand=False))
    if r.trace is not None and r.trace.steps:
        console.print(steps_table(r.trace))


def _what(head) -> str:
    """What the result is, read from the result ("gradient, shape of x", "Jacobian",
    "vec form"); a layout is named only where it transposed the result. The panel's
    title is its left-hand side, ∂f/∂xᵀ."""
    return ", ".join(w for w in (head.name, head.note, head.shape_of) if w)


def steps_table(trace) -> Table:
    """One row per step of the trace diff() built: the rule and its identity, the equation,
    the chain-rule factors, all printed in Unicode from the same IR as the JSON."""
    from .printers.steps import chain_lines, equation, identity, rule, shape_text

    t = Table(title=f"steps   f = {to_text_where(trace.f, unicode=True)}", title_justify="left", show_lines=True)
    t.add_column("#", justify="right")
    t.add_column("rule")
    t.add_column("step")
    t.add_column("shape")
    for i, s in enumerate(trace.steps, 1):
        cell = Text(equation(s, unicode=True), style="bold")
        for line in chain_lines(s, unicode=True):
            cell.append("\n" + line, style="dim")
        name = Text(rule(s))
        name.append("\n" + identity(s), style="dim")
        t.add_row(str(i), name, cell, shape_text(s.shape, unicode=True))
    return t


def show_shapes(report: dict, console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title=report["input"])
    t.add_column("name or subexpression")
    t.add_column("shape")
    for name, v in report["variables"].items():
        t.add_row(Text(name, style="bold"), _shape(v["shape"]) + (" symmetric" if v["symmetric"] else ""))
    for name, v in report["definitions"].items():
        t.add_row(Text(f"{name} = {v['expression']}"), _shape(v["shape"]))
    for s in report["subexpressions"]:
        t.add_row(Text(s["expression"]), _shape(s["shape"]))
    console.print(t)


def show_rules(rows: list[dict], console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title="matcalc rules (each example is checked by the test suite)")
    for col in ("name", "kind", "identity", "example"):
        t.add_column(col)
    for row in rows:
        ex = row["example"]
        t.add_row(row["name"], row["kind"], Text(row["identity"]),
                  Text(f"{ex['command']} {ex['expression']} by {ex['wrt']} = {ex['result']}", style="dim"))
    console.print(t)
