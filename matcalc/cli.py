"""The command line: thin typer wiring over the Python API.

No mathematics and no formatting here: inputs are read, the API is called, and a
printer or a Rich renderable (render.py, imported only for a terminal) is chosen. Each
command takes only the formats it implements; help shows metavars, never Python types.
"""
from __future__ import annotations

from contextlib import contextmanager
import os
import re
import sys
from enum import Enum
from typing import Annotated, Iterator, List, NamedTuple, Optional

import typer

from . import MatcalcError, ir

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


class Input(str, Enum):
    text = "text"
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
FormatOpt = Annotated[Optional[Format], _format_option(Format)]  # None: text, or LaTeX with --document
ReportFormatOpt = Annotated[ReportFormat, _format_option(ReportFormat)]
RulesFormatOpt = Annotated[RulesFormat, _format_option(RulesFormat)]
Steps = Annotated[bool, typer.Option("--steps", help="Also show the chain-rule steps that led to the result.")]
AllSteps = Annotated[bool, typer.Option("--all-steps", help="Like --steps, with the bookkeeping steps too: through where-definitions, sums that pass a differential on unchanged, and the simplifier's named identities.")]
Document = Annotated[bool, typer.Option(
    "--document", help="Write LaTeX as a complete document that pdflatex compiles (article and amsmath): "
                       "each result as an equation, with its derivation when --steps is given.")]
InputOpt = Annotated[Input, typer.Option(
    "--input", "-i", metavar="INPUT", show_default=False,
    help='How each input is read: text (an expression, the default) or json, an object per line such as '
         '{"expr": "x\' A x", "wrt": "x", "declare": "A: n x n"} that sets its own options.')]
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


class _Line(NamedTuple):
    """One input: the text, its line number when it came from standard input, what a
    JSON line sets for itself (wrt, declare, layout), or why it could not be read."""

    text: str
    number: int | None = None
    fields: dict | None = None
    error: MatcalcError | None = None

    def get(self, key: str, default):
        """The line's own value of an option, else the command line's."""
        return self.fields[key] if self.fields and key in self.fields else default


def _inputs(expr: str | None, read: str = "text", keys: tuple = ()) -> Iterator[_Line]:
    """The expression given, or standard input read lazily, so that each result is
    written as soon as its line is read; `-` reads a terminal too, until end of input.
    A line is split at newlines only, and bytes that are not UTF-8 are refused."""
    if expr is not None and expr != "-":
        yield _read(expr, None, read, keys)
        return
    if sys.stdin is None or (expr is None and sys.stdin.isatty()):
        raise typer.BadParameter("give an expression, or pipe expressions in on standard input (or - to type them)",
                                 param_hint="EXPR")
    stream = getattr(sys.stdin, "buffer", None)
    for number, raw in enumerate(stream if stream is not None else sys.stdin, 1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as e:
            column = len(raw[:e.start].decode("utf-8")) + 1
            yield _Line(raw.decode("utf-8", "backslashreplace").strip(), number,
                        error=MatcalcError(f"not UTF-8: byte 0x{raw[e.start]:02x}", column))
            continue
        text = text.rstrip("\r\n").strip()
        if text and not text.startswith("#"):
            yield _read(text, number, read, keys)


def _read(text: str, number: int | None, read: str, keys: tuple) -> _Line:
    """A line as --input says: an expression, or a JSON object {"expr": ..., ...}."""
    if read == "text":
        return _Line(text, number)
    import json  # only for JSON input: off the start-up path

    try:
        fields = json.loads(text)
    except json.JSONDecodeError as e:
        return _Line(text, number, error=MatcalcError(f"not a JSON object: {e.msg}", e.colno))
    except (ValueError, RecursionError) as e:  # a 5,000-digit number; arrays nested 50,000 deep
        why = "nested too deeply" if isinstance(e, RecursionError) else str(e).split(";")[0]
        return _Line(text, number, error=MatcalcError(f"not a JSON object matcalc reads: {why}", 1))
    if not isinstance(fields, dict) or not isinstance(fields.get("expr"), str):
        return _Line(text, number, error=MatcalcError('a JSON line is an object with "expr", the expression', 1))
    unknown = [k for k in fields if k not in ("expr", *keys)]
    wrong = [k for k in keys if k in fields and not _strings(fields[k], k)]
    if unknown or wrong:
        allowed = ", ".join(f'"{k}"' for k in ("expr", *keys))
        what = f'unknown key "{unknown[0]}"' if unknown else f'"{wrong[0]}" must be {_KEY_TYPES[wrong[0]]}'
        return _Line(text, number, error=MatcalcError(f"{what}; a line may give {allowed}", 1))
    return _Line(fields["expr"], number, fields={k: fields[k] for k in keys if k in fields})


_KEY_TYPES = {"wrt": "a name or a list of names", "declare": "a declaration or a list of them",
              "layout": '"denominator" or "numerator"'}


def _strings(value, key: str) -> bool:
    if key == "layout":
        return value in ("denominator", "numerator")
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _listed(value) -> list | None:
    return [value] if isinstance(value, str) else value


def _each(fn, expr, fmt: str, read: str = "text", keys: tuple = ()) -> bool:
    """Run every input, each reported on its own and within the work budget; True when
    all succeeded."""
    ok = True
    with _closed_pipe_ends_quietly(), _Budget() as budget:
        for line in _inputs(expr, read, keys):
            ok = _guarded(fn, line, fmt, budget) and ok
            sys.stdout.flush()
    return ok


class _OutOfTime(BaseException):
    """Raised from the timer's signal, so that no `except Exception` inside stops it."""


class _Budget:
    """MATCALC_TIMEOUT seconds of processor time for each input (2 by default, 0 for no
    limit), timed by SIGPROF: the machine's load, waiting for input and a slow reader of
    the output (written after the budget) cost nothing."""

    def __init__(self):
        raw = os.environ.get("MATCALC_TIMEOUT", "").strip() or "2"
        try:
            self.seconds = float(raw)
        except ValueError:
            self.seconds = -1.0
        if not self.seconds >= 0 or self.seconds == float("inf"):
            raise typer.BadParameter(f"MATCALC_TIMEOUT is {raw!r}: give seconds, such as 10, or 0 for no limit")
        self.armed = False

    def __enter__(self):
        import signal

        self.usable = self.seconds > 0 and hasattr(signal, "setitimer")
        if self.usable:
            try:
                self.previous = signal.signal(signal.SIGPROF, self._expired)
            except ValueError:  # not the main thread: no timer
                self.usable = False
        return self

    def __exit__(self, *exc):
        if self.usable:
            import signal

            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, self.previous)

    def _expired(self, signum, frame):
        if self.armed:  # again every 50 ms until run() ends: a raise Python swallows (in a
            raise _OutOfTime  # weakref callback, say) must not cost the limit

    @contextmanager
    def run(self):
        if not self.usable:
            yield
            return
        import signal

        self.armed = True
        signal.setitimer(signal.ITIMER_PROF, self.seconds, 0.05)
        try:
            yield
        finally:
            self.armed = False
            signal.setitimer(signal.ITIMER_PROF, 0)

    def error(self) -> MatcalcError:
        return MatcalcError(f"stopped after {self.seconds:g} s of work on this input, the limit MATCALC_TIMEOUT "
                            f"sets; set MATCALC_TIMEOUT to more seconds, or to 0 for no limit")


@contextmanager
def _closed_pipe_ends_quietly():
    """`matcalc ... | head -1`: the reader has all it wanted, so stop with status 0 and
    say nothing (click would exit 1, which here means a bad expression)."""
    try:
        yield
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0)


_UNSAFE = re.compile("[\x85\u2028\u2029\ud800-\udfff]")


def _json(obj) -> str:
    """One line of JSON, Unicode kept readable; the line separators that are not JSON's
    to escape (U+0085, U+2028, U+2029) escaped too, so that no reader splits the line."""
    import json  # only for JSON output: off the start-up path

    text = json.dumps(obj, ensure_ascii=False)
    if not _UNSAFE.search(text):  # nearly every line (a character-by-character test cost 30 us a line)
        return text
    text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if any("\ud800" <= c <= "\udfff" for c in text):  # a lone surrogate read from JSON input: escaped as JSON does
        text = "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def _fail(e: MatcalcError, line: _Line, fmt: str) -> None:
    if fmt == "json":
        error = {"input": line.text, "error": {"message": e.message, "column": e.column}}
        if line.number is not None:
            error["line"] = line.number
        print(_json(error))
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


def _guarded(fn, line: _Line, fmt: str, budget: _Budget) -> bool:
    """Run one input within the budget; a bad one is reported, never a traceback."""
    out = _Output()
    try:
        if line.error is not None:
            raise line.error
        with budget.run():
            fn(line, out)
        out.emit()  # outside the budget: a slow reader is no work of matcalc's
        return True
    except BrokenPipeError:
        raise
    except _OutOfTime:
        _fail(budget.error(), line, fmt)
    except MatcalcError as e:
        _fail(e, line, fmt)
    except RecursionError:
        _fail(MatcalcError("expression too deeply nested", 1), line, fmt)
    except MemoryError:
        _fail(MatcalcError("not enough memory for this input", None), line, fmt)
    except Exception as e:  # pragma: no cover - a bug in matcalc: still no traceback
        _fail(MatcalcError(f"internal error ({type(e).__name__}: {e}); please report it", None), line, fmt)
    return False


class _Output:
    """What one input prints, kept until it is complete and then written in order:
    standard output is flushed before each message on standard error."""

    def __init__(self):
        self.writes: list = []

    def put(self, text: str) -> None:
        self.writes.append((sys.stdout, text))

    def err(self, text: str) -> None:
        self.writes.append((sys.stderr, text))

    def call(self, show, *args) -> None:
        """A Rich renderable, drawn when written."""
        self.writes.append((show, args))

    def emit(self) -> None:
        for where, what in self.writes:
            if callable(where):
                where(*what)
            else:
                if where is sys.stderr:
                    sys.stdout.flush()
                print(what, file=where)


def _differentiate(command: str, expr, wrt, layout: Layout, fmt: Format | None, steps: bool, all_steps: bool, declare,
                   read: Input = Input.text, document: bool = False):
    from . import diff

    tty = sys.stdout.isatty()
    if document and fmt not in (None, Format.latex):  # no --format: text, or with --document LaTeX
        raise typer.BadParameter("--document writes LaTeX: give it alone or with --format latex", param_hint="'--document'")
    fmt = fmt.value if fmt is not None else "latex" if document else "text"

    def one(line: _Line, out: _Output):
        results = []
        for i, w in enumerate(_listed(line.get("wrt", wrt)) or [None]):
            r = diff(line.text, wrt=w, kind=command, layout=line.get("layout", layout.value),
                     declare=line.get("declare", declare or ()), steps=steps, all_steps=all_steps)
            if fmt != "json" and not tty and i == 0:
                _notes(r.notes, line, out)
            if fmt == "python":  # one module for all the --wrt: their shared work is done once
                results.append(r)
                if steps or all_steps:  # the module is the output; the trace goes to standard error
                    from .printers.steps import steps_text

                    out.err(steps_text(r.trace))
            elif fmt == "json":
                out.put(_json(r.to_json()))
            elif fmt == "latex":
                out.put(_latex(r, steps or all_steps, document))
            elif fmt == "text" and tty:
                from .render import show_result

                out.call(show_result, r)
            else:  # text into a pipe, or numpy: one line; a trace goes to standard error
                if fmt == "numpy" and r.numpy is None:
                    raise MatcalcError("no NumPy form: the result has a size that no variable carries")
                out.put(r.numpy if fmt == "numpy" else r.derivative)
                if steps or all_steps:
                    from .printers.steps import steps_text

                    out.err(steps_text(r.trace))
        if results:
            from .codegen import module_of

            out.put(module_of(results, main=True))

    if fmt == "python" and expr in (None, "-"):  # two modules one after the other are not one module
        raise typer.BadParameter("--format python writes one module for one expression: give it as EXPR "
                                 "(for a file of expressions, run matcalc once per line)", param_hint="'--format'")
    if document:
        from .printers.steps import DOCUMENT_START

        print(DOCUMENT_START)
    ok = _each(one, expr, fmt, read.value, ("wrt", "declare", "layout"))
    if document:
        from .printers.steps import DOCUMENT_END

        with _closed_pipe_ends_quietly():
            print(DOCUMENT_END)
    raise typer.Exit(0 if ok else 1)


def _notes(notes: list[str], line: _Line, out: _Output) -> None:
    """How the input was read where it departs from the naming defaults: on stderr, so
    that stdout stays one result per line."""
    where = "" if line.number is None else f"line {line.number}: "
    for note in notes:
        out.err(f"{where}note: {note}")


def _latex(r, steps: bool, document: bool) -> str:
    """The result as a display (broken to fit a page), its derivation, or a document's part."""
    from .printers.latex import display_latex
    from .printers.steps import document_part, steps_latex

    head = r.head
    if document:
        command = f"matcalc {r.input} by {r.wrt}"
        return document_part(command, r.derivation.typed.expr, r.derivation.result, head.f_latex,
                             head.latex, r.trace if steps else None)
    if steps:
        return steps_latex(r.trace, f=head.f_latex, result=head.latex, page_breaks=True)
    return display_latex(r.derivation.result)


def _command(name: str, short: str, doc: str, layout_help: str | None = None):
    def command(expr: Expr = None, wrt: Wrt = None, layout: LayoutOpt = Layout.denominator,
                format: FormatOpt = None, steps: Steps = False, all_steps: AllSteps = False,
                declare: Declare = None, input: InputOpt = Input.text, document: Document = False):
        _differentiate(name, expr, wrt, layout, format, steps, all_steps, declare, input, document)

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
              format: ReportFormatOpt = ReportFormat.text, input: InputOpt = Input.text,
              exact: Annotated[bool, typer.Option("--exact", help="Verify with SymPy instead, at small concrete sizes on random rational inputs: exactly, or to 50 digits where exp, log, sqrt or the like enters.")] = False):
    """Verify the derivative of EXPR against central finite differences on random inputs.

    Exits 0 only when every input agrees. EXPR is a matrix expression, such as "x' A x"; when it is - or left out, every line of standard input is one.
    """
    from .check import check

    if exact:
        from .exact import check_exact as check, summary
    if not 1 <= trials <= 100:
        raise typer.BadParameter(f"{trials} is not from 1 to 100", param_hint="'--trials'")
    fmt = format.value
    results = []

    def one(line: _Line, out: _Output):
        for w in _listed(line.get("wrt", wrt)) or [None]:
            report = check(line.text, wrt=w, kind=kind.value, layout=line.get("layout", layout.value),
                           declare=line.get("declare", declare or ()), trials=trials)
            if fmt != "json" and report.get("notes"):
                _notes(report["notes"], line, out)
            if fmt == "json":
                out.put(_json(report))
            elif exact:
                out.put(f"{report['wrt']}: {report['derivative']}  {summary(report)}")
            elif report["verdict"] == "inconclusive":
                out.put(f"{report['wrt']}: {report['derivative']}  inconclusive: no random input fell inside "
                      f"the domain of the expression and its derivative")
            else:
                verdict = "agrees" if report["ok"] else "DISAGREES"
                out.put(f"{report['wrt']}: {report['derivative']}  {verdict}: largest error "
                      f"{report['max_error']:.2e} over {report['trials']} random inputs")
            results.append(report["ok"])

    ok = _each(one, expr, fmt, input.value, ("wrt", "declare", "layout"))
    raise typer.Exit(0 if ok and all(results) else 1)


@app.command("shapes", short_help="the inferred shape of every name and subexpression", epilog=SEE_MAN)
def shapes_cmd(expr: Expr = None, declare: Declare = None,
               format: ReportFormatOpt = ReportFormat.text, input: InputOpt = Input.text):
    """The inferred shape of every name and subexpression of EXPR.

    EXPR is a matrix expression, such as "x' A x"; when it is - or left out, every line of standard input is one.
    """
    from .report import shapes_report

    fmt = format.value

    def one(line: _Line, out: _Output):
        report = shapes_report(line.text, line.get("declare", declare or ()))
        if fmt != "json":
            _notes(report.get("notes", []), line, out)
        if fmt == "json":
            out.put(_json(report))
        elif sys.stdout.isatty():
            from .render import show_shapes

            out.call(show_shapes, report)
        else:
            for name, v in report["variables"].items():
                out.put(f"{name}: {_shape_text(v['shape'])}{' symmetric' if v['symmetric'] else ''}")
            for name, v in report["definitions"].items():
                out.put(f"{name} = {v['expression']}: {_shape_text(v['shape'])}")
            names = set(report["variables"]) | set(report["definitions"])
            for s in (s for s in report["subexpressions"] if s["expression"] not in names):
                out.put(f"{s['expression']}: {_shape_text(s['shape'])}")

    raise typer.Exit(0 if _each(one, expr, fmt, input.value, ("declare",)) else 1)


def _shape_text(dims: list) -> str:
    from .ir import show_dims

    return show_dims(dims, " x ")  # ASCII, so that a declaration can be copied from it


@app.command("rules", short_help="the rules and identities, each with a checked example", epilog=SEE_MAN)
def rules_cmd(name: Annotated[Optional[str], typer.Argument(metavar="NAME", hidden=True, show_default=False)] = None,
              format: RulesFormatOpt = RulesFormat.text):
    """The rules and identities matcalc applies, each with a worked example the test suite checks.

    NAME, when given, keeps only the rules of that kind (differential, reverse, entrywise or identity), or whose name, identity or example mentions it, such as logdet or softmax.
    """
    from .report import rules_table

    table = _rules_named(rules_table(), name)
    if not table:
        print(f"error: no rule is of kind {name!r} or mentions it; the kinds are differential, reverse, "
              f"entrywise and identity", file=sys.stderr)
        raise typer.Exit(1)
    with _closed_pipe_ends_quietly():
        _print_rules(table, format.value)


def _rules_named(table: list[dict], name: str | None) -> list[dict]:
    """The rows of a kind, or whose name, identity or example mentions `name` (any case)."""
    if not name:
        return table
    wanted = name.strip().lower()
    if any(row["kind"] == wanted for row in table):
        return [row for row in table if row["kind"] == wanted]

    def mentions(row) -> bool:
        ex = row["example"]
        return any(wanted in text.lower() for text in (row["name"], row["identity"], ex["expression"], ex["result"]))

    return [row for row in table if mentions(row)]


def _print_rules(table: list[dict], format: str) -> None:
    if format == "json":
        print(_json(table))
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


LIMITS = ("MATCALC_MAX_REWRITES", "MATCALC_MAX_POWER_TERMS", "MATCALC_CHECK_MAX_SIZE", "MATCALC_EXACT_MAX_SIZE")


def main():
    """The command; a closed output pipe (matcalc ... | head -1) ends it quietly, and so
    does Ctrl-C, with status 130 as for any command a signal stopped."""
    for stream in (sys.stdout, sys.stderr):  # a character the terminal cannot show is escaped, not fatal
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    for name in LIMITS:  # a bad limit is a usage error here, not a failure where it is read
        try:
            ir.env_limit(name, 1)
        except MatcalcError as e:
            print(f"error: {e.message}", file=sys.stderr)
            sys.exit(2)
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
