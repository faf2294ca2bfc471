"""The command line: thin typer wiring over the Python API.

No mathematics and no formatting here: inputs are read, the API is called, and a
printer or a Rich renderable (render.py, imported only for a terminal) is chosen. Each
command takes only the formats it implements; help shows metavars, never Python types.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
import os
import sys
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Iterator, List, Optional

import typer

from . import MatcalcError

SEE_MAN = "See matcalc(1) for expressions, declarations, layouts and output formats."

app = typer.Typer(
    name="matcalc",
    help="Matrix calculus: derivatives, gradients, Jacobians and Hessians of matrix expressions.",
    epilog=SEE_MAN,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, as a Unix tool's: "-f, --format FORMAT"
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Layout(str, Enum):
    denominator = "denominator"
    numerator = "numerator"


class Format(str, Enum):
    """diff, grad, jac and hess."""

    text = "text"
    latex = "latex"
    json = "json"
    numpy = "numpy"
    python = "python"


class ReportFormat(str, Enum):
    """check and shapes."""

    text = "text"
    json = "json"


class RulesFormat(str, Enum):
    text = "text"
    latex = "latex"
    json = "json"


class Kind(str, Enum):
    diff = "diff"
    grad = "grad"
    jac = "jac"
    hess = "hess"


def _format_option(choices: type[Enum]):
    names = [f.value for f in choices]
    listed = f"{', '.join(names[:-1])} or {names[-1]}"
    return typer.Option("--format", "-f", metavar="FORMAT", show_default=False,
                        help=f"Output format: {listed}; text is the default.")


EXPR_HELP = "EXPR is a matrix expression, such as \"x' A x\"; when it is - or left out, every line of standard input is one."
Expr = Annotated[Optional[str], typer.Argument(metavar="EXPR", hidden=True, show_default=False)]
Wrt = Annotated[Optional[List[str]], typer.Option(
    "--wrt", "-w", metavar="NAME", show_default=False,
    help="The variable to differentiate by; repeat it for one result per variable. "
         "It may be left out when only one name could be the variable.")]
LayoutOpt = Annotated[Layout, typer.Option(
    "--layout", "-l", metavar="LAYOUT", show_default=False,
    help="denominator (the default) or numerator: how diff lays out a derivative.")]
FormatOpt = Annotated[Format, _format_option(Format)]
ReportFormatOpt = Annotated[ReportFormat, _format_option(ReportFormat)]
RulesFormatOpt = Annotated[RulesFormat, _format_option(RulesFormat)]
Steps = Annotated[bool, typer.Option("--steps", help="Also show the chain-rule steps that led to the result.")]
AllSteps = Annotated[bool, typer.Option("--all-steps", help="Like --steps, with the bookkeeping steps too: through where-definitions, sums that pass a differential on unchanged, and the simplifier's named identities.")]
Declare = Annotated[Optional[List[str]], typer.Option(
    "--declare", "-d", metavar="DECL", show_default=False,
    help="Declare shapes and properties, such as 'A: n x n symmetric; x: n'; repeatable.")]


def _version(value: bool) -> None:
    if value:
        from . import __version__

        print(f"matcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")] = False):
    pass


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


def _each(fn, expr, fmt: str) -> bool:
    """Run every input, each reported on its own; True when all succeeded."""
    ok = True
    with _closed_pipe_ends_quietly():
        for line in _inputs(expr):
            ok = _guarded(fn, line, fmt) and ok
            sys.stdout.flush()
    return ok


@contextmanager
def _closed_pipe_ends_quietly():
    """`matcalc ... | head -1`: the reader has all it wanted, so stop with status 0 and
    say nothing (click would exit 1, which here means a bad expression)."""
    try:
        yield
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0)


def _fail(e: MatcalcError, line: _Line, fmt: str) -> None:
    if fmt == "json":
        error = {"input": line.text, "error": {"message": e.message, "column": e.column}}
        if line.number is not None:
            error["line"] = line.number
        print(json.dumps(error, ensure_ascii=False))
    e.source = e.source or line.text
    if fmt != "json" or line.number is not None:  # a bad line of a batch is said on stderr too
        sys.stdout.flush()
        print(_report(e, line), file=sys.stderr)


def _report(e: MatcalcError, line: _Line) -> str:
    """error: ... at column 9, or in a batch line 3, column 9: ...; then the caret."""
    rendered = e.render().splitlines()
    if line.number is None:
        return "\n".join(rendered)
    column = f", column {e.column}" if e.column is not None else ""
    return "\n".join([f"line {line.number}{column}: {e.message}", *rendered[1:]])


def _guarded(fn, line: _Line, fmt: str) -> bool:
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
    fmt = fmt.value

    def one(line: _Line):
        results = []
        for i, w in enumerate(wrt or [None]):
            r = diff(line.text, wrt=w, kind=command, layout=layout.value, declare=declare or (),
                     steps=steps, all_steps=all_steps)
            if fmt != "json" and not tty and i == 0:
                _notes(r.notes, line)
            if fmt == "python":  # one module for all the --wrt: their shared work is done once
                results.append(r)
            elif fmt == "json":
                print(json.dumps(r.to_json(), ensure_ascii=False))
            elif fmt == "latex":
                print(r.latex if not (steps or all_steps) else _latex_steps(r))
            elif fmt == "text" and tty:
                from .render import show_result

                show_result(r)
            else:  # text into a pipe, or numpy: one line; a trace goes to standard error
                if fmt == "numpy" and r.numpy is None:
                    raise MatcalcError("no NumPy form: the result has a size that no variable carries")
                print(r.numpy if fmt == "numpy" else r.derivative)
                if steps or all_steps:
                    from .printers.steps import steps_text

                    sys.stdout.flush()
                    print(steps_text(r.trace), file=sys.stderr)
        if results:
            from .codegen import module_of

            print(module_of(results, main=True))

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


def _command(name: str, short: str, doc: str, layout_help: str | None = None):
    def command(expr: Expr = None, wrt: Wrt = None, layout: LayoutOpt = Layout.denominator,
                format: FormatOpt = Format.text, steps: Steps = False, all_steps: AllSteps = False,
                declare: Declare = None):
        _differentiate(name, expr, wrt, layout, format, steps, all_steps, declare)

    command.__doc__ = f"{doc}\n\n{EXPR_HELP}"
    if layout_help:  # grad, jac and hess have one form each
        command.__annotations__["layout"] = Annotated[Layout, typer.Option(
            "--layout", "-l", metavar="LAYOUT", show_default=False, help=layout_help)]
    app.command(name, short_help=short, epilog=SEE_MAN)(command)


_command("diff", "the derivative, laid out as --layout says", "The derivative of EXPR by the --wrt variable, laid out as --layout says.")
_command("grad", "the gradient of a scalar expression", "The gradient of a scalar EXPR: the shape of the variable.",
         "Accepted and ignored: a gradient has the shape of its variable.")
_command("jac", "the Jacobian ∂f/∂xᵀ", "The Jacobian ∂f/∂xᵀ (m×n); ∂vec(F)/∂vec(X)ᵀ when a matrix is involved.",
         "Accepted and ignored: the Jacobian is always ∂f/∂xᵀ.")
_command("hess", "the Hessian of a scalar expression", "The Hessian of a scalar EXPR: n×n by a vector, pq×pq on vec(X) by a p×q matrix.",
         "Accepted and ignored: the Hessian is always ∂²f/∂x∂xᵀ.")


@app.command("check", short_help="verify the derivative numerically on random inputs", epilog=SEE_MAN)
def check_cmd(expr: Expr = None, wrt: Wrt = None, layout: LayoutOpt = Layout.denominator,
              declare: Declare = None,
              kind: Annotated[Kind, typer.Option("--kind", "-k", metavar="KIND", show_default=False,
                                                 help="Which derivative to verify: diff (the default), grad, jac or hess.")] = Kind.diff,
              trials: Annotated[int, typer.Option("--trials", metavar="N", show_default=False,
                                                  help="How many random inputs to try, 1 to 100 (default 3).")] = 3,
              format: ReportFormatOpt = ReportFormat.text):
    """Verify the derivative of EXPR against central finite differences on random inputs.

    Exits 0 only when every input agrees. EXPR is a matrix expression, such as "x' A x"; when it is - or left out, every line of standard input is one.
    """
    from .check import check

    if not 1 <= trials <= 100:
        raise typer.BadParameter(f"{trials} is not from 1 to 100", param_hint="'--trials'")
    fmt = format.value
    results = []

    def one(line: _Line):
        for w in wrt or [None]:
            report = check(line.text, wrt=w, kind=kind.value, layout=layout.value, declare=declare or (), trials=trials)
            if fmt == "json":
                print(json.dumps(report, ensure_ascii=False))
            elif report["verdict"] == "inconclusive":
                print(f"{report['wrt']}: {report['derivative']}  inconclusive: no random input fell inside "
                      f"the domain of the expression and its derivative")
            else:
                verdict = "agrees" if report["ok"] else "DISAGREES"
                print(f"{report['wrt']}: {report['derivative']}  {verdict}: largest error "
                      f"{report['max_error']:.2e} over {report['trials']} random inputs")
            results.append(report["ok"])

    ok = _each(one, expr, fmt)
    raise typer.Exit(0 if ok and all(results) else 1)


@app.command("shapes", short_help="the inferred shape of every name and subexpression", epilog=SEE_MAN)
def shapes_cmd(expr: Expr = None, declare: Declare = None,
               format: ReportFormatOpt = ReportFormat.text):
    """The inferred shape of every name and subexpression of EXPR.

    EXPR is a matrix expression, such as "x' A x"; when it is - or left out, every line of standard input is one.
    """
    from .report import shapes_report

    fmt = format.value

    def one(line: _Line):
        report = shapes_report(line.text, declare or ())
        if fmt != "json":
            _notes(report.get("notes", []), line)
        if fmt == "json":
            print(json.dumps(report, ensure_ascii=False))
        elif sys.stdout.isatty():
            from .render import show_shapes

            show_shapes(report)
        else:
            for name, v in report["variables"].items():
                print(f"{name}: {_shape_text(v['shape'])}{' symmetric' if v['symmetric'] else ''}")
            for s in report["subexpressions"]:
                print(f"{s['expression']}: {_shape_text(s['shape'])}")

    raise typer.Exit(0 if _each(one, expr, fmt) else 1)


def _shape_text(dims: list) -> str:
    from .ir import show_dims

    return show_dims(dims, " x ")  # ASCII, so that a declaration can be copied from it


@app.command("rules", short_help="the rules and identities, each with a checked example", epilog=SEE_MAN)
def rules_cmd(format: RulesFormatOpt = RulesFormat.text):
    """The rules and identities matcalc applies, each with a worked example the test suite checks."""
    from .report import rules_table

    with _closed_pipe_ends_quietly():
        _print_rules(rules_table(), format.value)


def _print_rules(table: list[dict], format: str) -> None:
    if format == "json":
        print(json.dumps(table, ensure_ascii=False))
    elif format == "latex":
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
    """The command; a closed output pipe (matcalc ... | head -1) ends it quietly, and so
    does Ctrl-C, with status 130 as for any command a signal stopped."""
    try:
        try:
            app()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
