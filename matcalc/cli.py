"""The command line (SPEC §4): thin typer wiring over the Python API.

No mathematics and no formatting here: inputs are read, the API is called, and a
printer or a Rich renderable (render.py, imported only for a terminal) is chosen.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Iterator, List, Optional

import typer

from . import MatcalcError

app = typer.Typer(
    name="matcalc",
    help="Matrix calculus: derivatives, gradients, Jacobians and Hessians of matrix expressions.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


class Layout(str, Enum):
    denominator = "denominator"
    numerator = "numerator"


class Format(str, Enum):
    text = "text"
    latex = "latex"
    json = "json"
    numpy = "numpy"


Expr = Annotated[Optional[str], typer.Argument(help="The expression; '-' or nothing reads one per line from standard input.", show_default=False)]
Wrt = Annotated[Optional[List[str]], typer.Option("--wrt", "-w", help="The variable; repeat for one result per variable.", show_default=False)]
LayoutOpt = Annotated[Layout, typer.Option("--layout", "-l", help="Layout of derivatives (SPEC §3).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
Steps = Annotated[bool, typer.Option("--steps", help="Show the chain-rule steps that led to the result.")]
AllSteps = Annotated[bool, typer.Option("--all-steps", help="Like --steps, with the bookkeeping steps too: through where-definitions, sums that pass a differential on unchanged, and the simplifier's named identities.")]
Declare = Annotated[Optional[List[str]], typer.Option("--declare", "-d", help="A declaration such as 'A: n x n symmetric'; repeatable.", show_default=False)]


@dataclass(frozen=True)
class _Line:
    """One input: the text, and its line number when it came from standard input."""

    text: str
    number: int | None = None


def _inputs(expr: str | None) -> Iterator[_Line]:
    """The expression given, or standard input read lazily, so that each result is
    written as soon as its line is read (a line is split at newlines only)."""
    if expr is not None and expr != "-":
        yield _Line(expr)
        return
    if sys.stdin is None or sys.stdin.isatty():
        raise typer.BadParameter("give an expression, or pipe expressions in on standard input", param_hint="EXPR")
    for number, raw in enumerate(sys.stdin, 1):
        text = raw.rstrip("\r\n").strip()
        if text and not text.startswith("#"):
            yield _Line(text, number)


def _each(fn, expr, fmt: Format) -> bool:
    """Run every input, each reported on its own; True when all succeeded."""
    ok = True
    for line in _inputs(expr):
        ok = _guarded(fn, line, fmt) and ok
        sys.stdout.flush()
    return ok


def _fail(e: MatcalcError, line: _Line, fmt: Format) -> None:
    if fmt == Format.json:
        error = {"input": line.text, "error": {"message": e.message, "column": e.column}}
        if line.number is not None:
            error["line"] = line.number
        print(json.dumps(error, ensure_ascii=False))
    e.source = e.source or line.text
    if fmt != Format.json or line.number is not None:  # a bad line of a batch is said on stderr too
        sys.stdout.flush()
        print(_report(e, line), file=sys.stderr)


def _report(e: MatcalcError, line: _Line) -> str:
    """error: ... at column 9, or in a batch line 3, column 9: ...; then the caret."""
    rendered = e.render().splitlines()
    if line.number is None:
        return "\n".join(rendered)
    column = f", column {e.column}" if e.column is not None else ""
    return "\n".join([f"line {line.number}{column}: {e.message}", *rendered[1:]])


def _guarded(fn, line: _Line, fmt: Format) -> bool:
    """Run one input; a bad one is reported, never a traceback."""
    try:
        fn(line)
        return True
    except BrokenPipeError:
        raise
    except MatcalcError as e:
        _fail(e, line, fmt)
    except (RecursionError, MemoryError):
        _fail(MatcalcError("expression too large or too deeply nested", 1), line, fmt)
    except Exception as e:  # pragma: no cover - a bug in matcalc: still no traceback
        _fail(MatcalcError(f"internal error ({type(e).__name__}: {e}); please report it", None), line, fmt)
    return False


def _differentiate(command: str, expr, wrt, layout: Layout, fmt: Format, steps: bool, all_steps: bool, declare):
    from . import diff

    tty = sys.stdout.isatty()

    def one(line: _Line):
        for i, w in enumerate(wrt or [None]):
            r = diff(line.text, wrt=w, kind=command, layout=layout.value, declare=declare or (),
                     steps=steps, all_steps=all_steps)
            if fmt != Format.json and not tty and i == 0:
                _notes(r.notes, line)
            if fmt == Format.json:
                print(json.dumps(r.to_json(), ensure_ascii=False))
            elif fmt == Format.latex:
                print(r.latex if not (steps or all_steps) else _latex_steps(r))
            elif fmt == Format.numpy:
                print(r.numpy)
            elif tty:
                from .render import show_result

                show_result(r)
            else:
                print(r.derivative)
                if steps or all_steps:
                    from .printers.steps import steps_text

                    sys.stdout.flush()
                    print(steps_text(r.trace), file=sys.stderr)

    raise typer.Exit(0 if _each(one, expr, fmt) else 1)


def _notes(notes: list[str], line: _Line) -> None:
    """How the input was read where it departs from the naming defaults: on stderr, so
    that stdout stays one result per line."""
    sys.stdout.flush()
    where = "" if line.number is None else f"line {line.number}: "
    for note in notes:
        print(f"{where}note: {note}", file=sys.stderr)


def _latex_steps(r) -> str:
    from .printers.steps import steps_latex

    return steps_latex(r.trace)


def _command(name: str, doc: str):
    def command(expr: Expr = None, wrt: Wrt = None, layout: LayoutOpt = Layout.denominator,
                format: FormatOpt = Format.text, steps: Steps = False, all_steps: AllSteps = False,
                declare: Declare = None):
        _differentiate(name, expr, wrt, layout, format, steps, all_steps, declare)

    command.__doc__ = doc
    app.command(name)(command)


_command("diff", "Derivative of EXPR by --wrt, laid out as --layout says.")
_command("grad", "Gradient of a scalar EXPR: the shape of the variable, in any layout.")
_command("jac", "Jacobian ∂y/∂xᵀ (vec form when a matrix is involved), in any layout.")
_command("hess", "Hessian of a scalar EXPR: n×n by a vector, pq×pq on vec(X) by a matrix.")


@app.command("check")
def check_cmd(expr: Expr = None, wrt: Wrt = None, layout: LayoutOpt = Layout.denominator,
              declare: Declare = None,
              kind: Annotated[str, typer.Option("--kind", "-k", help="Which derivative: diff, grad, jac or hess.")] = "diff",
              trials: Annotated[int, typer.Option("--trials", help="Random inputs to try.", min=1, max=100)] = 3,
              format: FormatOpt = Format.text):
    """Verify the derivative against central finite differences on random inputs."""
    from .check import check

    if kind not in ("diff", "grad", "jac", "hess"):
        raise typer.BadParameter("must be diff, grad, jac or hess", param_hint="--kind")
    results = []

    def one(line: _Line):
        for w in wrt or [None]:
            report = check(line.text, wrt=w, kind=kind, layout=layout.value, declare=declare or (), trials=trials)
            if format == Format.json:
                print(json.dumps(report, ensure_ascii=False))
            else:
                verdict = "agrees" if report["ok"] else "DISAGREES"
                print(f"{report['wrt']}: {report['derivative']}  {verdict}: largest error "
                      f"{report['max_error']:.2e} over {report['trials']} random inputs")
            results.append(report["ok"])
            if not report["ok"]:
                raise MatcalcError("the derivative disagrees with finite differences")

    ok = _each(one, expr, format)
    raise typer.Exit(0 if ok and all(results) else 1)


@app.command("shapes")
def shapes_cmd(expr: Expr = None, declare: Declare = None, format: FormatOpt = Format.text):
    """Inferred shape of every name and subexpression."""
    from .report import shapes_report

    def one(line: _Line):
        report = shapes_report(line.text, declare or ())
        if format != Format.json:
            _notes(report.get("notes", []), line)
        if format == Format.json:
            print(json.dumps(report, ensure_ascii=False))
        elif sys.stdout.isatty():
            from .render import show_shapes

            show_shapes(report)
        else:
            for name, v in report["variables"].items():
                print(f"{name}: {_shape_text(v['shape'])}{' symmetric' if v['symmetric'] else ''}")
            for s in report["subexpressions"]:
                print(f"{s['expression']}: {_shape_text(s['shape'])}")

    raise typer.Exit(0 if _each(one, expr, format) else 1)


def _shape_text(dims: list) -> str:
    if not dims:
        return "scalar"
    return str(dims[0]) if len(dims) == 1 else f"{dims[0]} x {dims[1]}"


@app.command("rules")
def rules_cmd(format: FormatOpt = Format.text):
    """The identities matcalc knows, each verified by the test suite."""
    from .report import rules_table

    table = rules_table()
    if format == Format.json:
        print(json.dumps(table, ensure_ascii=False))
    elif format == Format.latex:
        from .report import rules_latex

        print(rules_latex(table))
    elif sys.stdout.isatty():
        from .render import show_rules

        show_rules(table)
    else:
        for row in table:
            ex = row["example"]
            print(f"{row['name']} ({row['kind']}): {row['identity']}    "
                  f"e.g. {ex['command']} {ex['expression']} by {ex['wrt']} = {ex['result']}")


def main():
    """The command; a closed output pipe (matcalc ... | head -1) ends it quietly."""
    try:
        try:
            app()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
