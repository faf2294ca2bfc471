"""Rich renderables for a terminal: the result panel, the steps, shapes and rules tables.

Only this module imports rich, and only when standard output is a terminal. The steps
table prints the Result's own trace, so a terminal never derives the trace twice; the
panel says what the result is from Result.head, never from the flags.
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, Group
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .ir import show_dims as _shape  # scalar, n, m × n
from .printers.text import to_text_where


OPERATORS = {"+", "-", "=", "∘", "⊙", "⊗", ".*", "./", "*", "@", "/", "where", ";"}
OPENING, CLOSING = "([{", ")]}"


class Wrapped:
    """An expression that wraps at its operators: a line breaks at the space of least
    bracket depth, before an operator rather than inside a product, and as far right as
    the width allows; continued lines are indented."""

    def __init__(self, text: str, style: str = "", indent: int = 2):
        self.text, self.style, self.indent = text, style, indent

    def __rich_measure__(self, console, options) -> Measurement:
        words = self.text.split(" ")
        return Measurement(min(max(map(cell_len, words)) + self.indent, cell_len(self.text)), cell_len(self.text))

    def __rich_console__(self, console, options):
        lines = wrap_at_operators(self.text, options.max_width, self.indent)
        yield Text("\n".join(lines), style=self.style, no_wrap=True, overflow="fold")


def wrap_at_operators(text: str, width: int, indent: int = 2) -> list[str]:
    """Lines of at most `width` cells where the text allows (a word longer than the line
    is left whole), broken at the cheapest spaces: shallow before deep, a separator or
    an operator before a juxtaposition."""
    lines, first = [], True
    while True:
        room = max(width - (0 if first else indent), 1)
        if len(text) <= room and cell_len(text) <= room:
            lines.append(text if first else " " * indent + text)
            return lines
        cut = _best_break(text, room)
        if cut is None:
            lines.append(text if first else " " * indent + text)
            return lines
        lines.append(text[:cut].rstrip() if first else " " * indent + text[:cut].rstrip())
        text, first = text[cut:].lstrip(), False


def _best_break(text: str, room: int) -> int | None:
    """Where to break: the cheapest space that leaves a first line within `room` (a line
    less than half full costs more), the furthest of equal cost; else the first space.
    One pass over the first line's worth of text."""
    depth, fits, first_space, used = 0, [], None, 0
    for i, c in enumerate(text):
        if c in OPENING:
            depth += 1
        elif c in CLOSING:
            depth = max(depth - 1, 0)
        elif c == " " and 0 < i and text[i - 1] != " ":
            first_space = i if first_space is None else first_space
            if used > room:
                break
            fits.append((_cost(text, i, depth), i, used))
        used += cell_len(c)

    def score(f):  # a short first line costs up to 4 more, so that `2 (...)` does not break after the 2
        return f[0] + max(0.0, 8 * (0.5 - f[2] / room)), -f[1]

    return min(fits, key=score)[1] if fits else first_space


def _cost(text: str, i: int, depth: int) -> float:
    """Cheaper to break at: outside brackets, at a double space (between the parts of an
    identity), before `where`, after `;` or `,`, before an operator."""
    word = text[i:i + 8].lstrip(" ").split(" ", 1)[0]  # where, an operator or the start of a word
    cost = 2 * depth
    if text[i + 1:i + 2] == " ":
        cost -= 3
    elif word == "where":
        cost -= 3
    elif text[i - 1] in ";,":
        cost -= 2
    elif word in OPERATORS:
        cost -= 1
    return cost


def show_result(r, console: Console | None = None) -> None:
    console = console or Console()
    d = r.derivation
    body = Table.grid(padding=(0, 2))
    body.add_column(style="dim")
    body.add_column()
    body.add_row("input", Wrapped(r.expression))
    shapes = ", ".join(f"{n}: {_shape(v['shape'])}{' sym' if v['symmetric'] else ''}" for n, v in r.variables.items())
    body.add_row("shapes", Wrapped(shapes))
    for note in r.notes:
        body.add_row("note", Text(note, style="yellow"))
    body.add_row("result", Wrapped(to_text_where(d.result, unicode=True), style="bold"))
    body.add_row("shape", Text(f"{_shape(r.shape)}  ({_what(r.head)})"))
    console.print(Panel(body, title=r.head.text, title_align="left", expand=False))
    if r.trace is not None and r.trace.steps:
        console.print(steps_table(r.trace, console.width))


def _what(head) -> str:
    """What the result is, read from the result ("gradient, shape of x", "Jacobian",
    "vec form"); a layout is named only where it transposed the result. The panel's
    title is its left-hand side, ∂f/∂xᵀ."""
    return ", ".join(w for w in (head.name, head.note, head.shape_of) if w)


def steps_table(trace, width: int | None = None) -> Table:
    """One row per step of the trace diff() built: the rule's name, then the equation with
    the rule's identity and the chain-rule factors under it, all printed in Unicode from
    the same IR as the JSON. The step column takes the width the others leave; on a
    terminal narrower than 80 the rule's name heads the step instead of a column."""
    from .printers.steps import chain_lines, equation, identity, rule, shape_text

    narrow = width is not None and width < 80
    t = Table(title=f"steps   f = {to_text_where(trace.f, unicode=True)}", title_justify="left", show_lines=True)
    t.add_column("#", justify="right")
    if not narrow:
        t.add_column("rule", max_width=18)
    t.add_column("step", ratio=1)
    t.add_column("shape", max_width=14)
    for i, s in enumerate(trace.steps, 1):
        cell = [Wrapped(equation(s, unicode=True), style="bold"), Wrapped(identity(s), style="dim")]
        cell += [Wrapped(line, style="dim") for line in chain_lines(s, unicode=True)]
        if narrow:
            t.add_row(str(i), Group(Text(rule(s), style="italic"), *cell), shape_text(s.shape, unicode=True))
        else:
            t.add_row(str(i), Text(rule(s)), Group(*cell), shape_text(s.shape, unicode=True))
    return t


def show_shapes(report: dict, console: Console | None = None) -> None:
    """The names (and definitions), then each distinct subexpression that is not a name."""
    console = console or Console()
    t = Table(title=report["input"])
    t.add_column("name or subexpression")
    t.add_column("shape")
    for name, v in report["variables"].items():
        t.add_row(Text(name, style="bold"), _shape(v["shape"]) + (" symmetric" if v["symmetric"] else ""))
    for name, v in report["definitions"].items():
        t.add_row(Text(f"{name} = {v['expression']}"), _shape(v["shape"]))
    subexpressions = compound(report)
    if subexpressions:
        t.add_section()
    for s in subexpressions:
        t.add_row(Wrapped(s["expression"]), _shape(s["shape"]))
    console.print(t)


def compound(report: dict) -> list[dict]:
    """The subexpressions that are more than a name, each once."""
    names = set(report["variables"]) | set(report["definitions"])
    return [s for s in report["subexpressions"] if s["expression"] not in names]


def show_rules(rows: list[dict], console: Console | None = None) -> None:
    """A row per rule; an identity is its own example, so it is shown once."""
    console = console or Console()
    t = Table(title="matcalc rules (each example is checked by the test suite)")
    t.add_column("name", max_width=22)
    t.add_column("kind")
    t.add_column("identity", ratio=1)
    t.add_column("example", ratio=1)
    for row in rows:
        ex = row["example"]
        example = f"{ex['command']} {ex['expression']} by {ex['wrt']} = {ex['result']}"
        t.add_row(row["name"], row["kind"], Wrapped(row["identity"]),
                  Wrapped("" if example == row["identity"] else example, style="dim"))
    console.print(t)
