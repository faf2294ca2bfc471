"""Malformed input never escapes as anything but a message: mutants of valid
expressions (deletions, insertions, swapped tokens, misspelled functions, unbalanced
brackets, giant numbers, stray Unicode, NUL), first through the API, then through the
command line's own code path (typer's CliRunner) with hostile text spliced in (U+2028,
NUL, BOM, escape sequences), random characters and bytes that are not UTF-8 on
standard input, and random --wrt and --declare: exit 0, 1 or 2, a message, the
budget kept, one JSON line per input line.

Derandomized, so that CI sees the same examples every run; MATCALC_FUZZ_EXAMPLES and
MATCALC_FUZZ_CLI_EXAMPLES run longer by hand."""

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from matcalc import MatcalcError, diff

SEEDS = [
    "x' A x", "||X w - y||^2", "logdet(S)", "tr(A X B)", "sum(exp(W x + b))",
    "-y' log(softmax(W x))", "x' S^-1 x where S: n x n symmetric", "kron(A, B) x",
    "||W2 h - y||^2 where h = tanh(W1 x)", "sum(x .^ p)", "(a' x)/(b' x)", "det(X)^(1/2)",
    "x ∘ y", "‖x‖²", r"\mathbf{x}^\top A \mathbf{x}", "1/N ||X W - y||^2",
]
NOISE = ["(", ")", "'", "^", ".*", "./", ".^", "||", "‖", ",", ";", "where", "=", ":", "-", "+",
         "sigmoud", "trace", "1e400", "9" * 400, "\x00", "ᵀ", "⁻¹", "\\frac", "{", "}", "_", "\\",
         "x", "A", "2.", ".5", "𝟙", "I", "eye(", "ones(0)", "commutation(n,", "^(10^(10^10))"]
EXAMPLES = int(os.environ.get("MATCALC_FUZZ_EXAMPLES", 1000))


@st.composite
def mutant(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 4)))
        edit = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        piece = draw(st.sampled_from(NOISE))
        if edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "insert":
            text = text[:i] + piece + text[i:]
        elif edit == "replace":
            text = text[:i] + piece + text[j:]
        else:
            text = text[j:] + text[i:j] + text[:i]
    return text


@given(text=mutant(), kind=st.sampled_from(["diff", "grad", "jac", "hess"]))
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_a_mutant_is_answered_or_refused_never_crashes(text, kind):
    try:
        r = diff(text, kind=kind)
    except MatcalcError as e:
        assert e.message and "internal error" not in e.message
        e.render()
    else:
        assert r.derivative


# ------------------------------------------------------------------ through the command line

import json
import time

from typer.testing import CliRunner

from matcalc.cli import app

CLI_EXAMPLES = int(os.environ.get("MATCALC_FUZZ_CLI_EXAMPLES", 300))
BUDGET = 1.0  # MATCALC_TIMEOUT for the fuzzed command: seconds per line
DECLARATIONS = ["A: n x n symmetric; x: n", "x: 3", "S: symmetric", "W: m x n; b: m", "A: symetric",
                "x: 0", "x: 99999999999999999999", "A: n x", "B: scalar", ""]
HOSTILE = ["\u2028", "\u2029", "\x00", "\r", "\x85", "\ufeff", "\u202e", "ﬁ", "𝐱", "x\u0301", "\t", "\x1b[31m",
           "9" * 5000, "1e99999999", "^(10^(10^10))", "(" * 300, ")" * 50, "[", "{", "#", "'" * 40]


@st.composite
def hostile_line(draw) -> bytes:
    """A mutant, with hostile text spliced in, random characters, or random bytes."""
    how = draw(st.sampled_from(["mutant", "mutant", "spliced", "characters", "bytes"]))
    if how == "characters":
        return draw(st.text(max_size=40)).encode("utf-8", "surrogatepass")
    if how == "bytes":
        return draw(st.binary(max_size=40))
    text = draw(mutant())
    if how == "spliced":
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(HOSTILE)) + text[i:]
    return text.encode("utf-8", "surrogatepass")


def _answered_lines(data: bytes) -> int:
    """How many lines of standard input get an answer: all but blank and # lines."""
    count = 0
    for raw in data.split(b"\n"):
        try:
            text = raw.decode("utf-8").rstrip("\r\n").strip()
        except UnicodeDecodeError:
            count += 1
            continue
        count += bool(text) and not text.startswith("#")
    return count


@given(lines=st.lists(hostile_line(), min_size=1, max_size=4),
       command=st.sampled_from(["diff", "grad", "jac", "hess", "shapes", "check"]),
       wrt=st.sampled_from([None, "x", "A", "W1", "zz", "ᵀ", ""]),
       declare=st.one_of(st.none(), st.sampled_from(DECLARATIONS), mutant()),
       fmt=st.sampled_from(["json", "text"]),
       as_argument=st.booleans())
@settings(max_examples=CLI_EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_the_command_line_answers_or_refuses_every_mutant_with_a_message(lines, command, wrt, declare, fmt,
                                                                         as_argument):
    """Never a traceback; exit 0, 1 or 2, with a message when not 0; within the budget;
    in JSON, one line per input line."""
    args = [command, "--format", fmt]
    if wrt is not None and command != "shapes":
        args += ["--wrt", wrt]
    if declare is not None:
        args += ["--declare", declare]
    if command == "check":
        args += ["--trials", "1"]
    data = b"\n".join(lines) + b"\n"
    if as_argument:  # one expression on the command line (an argv holds no NUL)
        args.append(lines[0].decode("utf-8", "replace").replace("\x00", "") or "x")
    start = time.process_time()  # what the budget counts, whatever the machine's load
    r = CliRunner().invoke(app, args, input=None if as_argument else data, env={"MATCALC_TIMEOUT": str(BUDGET)})
    seconds = time.process_time() - start
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1, 2)
    assert "Traceback" not in r.output and "internal error" not in r.stderr, r.stderr
    if r.exit_code != 0:  # one expression in JSON says why in its error object only
        said = r.stderr.strip() or (fmt == "json" and '"error": {"message": ' in r.stdout)
        assert said, "refused without a message"
    assert seconds < BUDGET * (1 if as_argument else len(lines)) + 3
    if fmt == "json" and r.exit_code != 2 and not as_argument and command != "check" and "--wrt" not in args[3:4]:
        out = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(out) == _answered_lines(data)
        assert all("line" in o for o in out if "error" in o)
