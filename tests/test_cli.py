"""The command line by the conventions of Unix tools, and the notebook face of a result.

--version and -h; help that shows metavars (EXPR, NAME, DECL, FORMAT), never Python types;
each command takes only the formats it implements (exit 2 otherwise); --kind a choice;
labels that say what a result is rather than echo --layout; Ctrl-C exits 130 quietly.
Then Result._repr_latex_, a MatcalcError in IPython, and diff()'s wrt list and kind names.
"""

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import MatcalcError, diff
from matcalc.cli import app

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMANDS = ["diff", "grad", "jac", "hess", "check", "shapes", "rules"]
FORMATS = {  # what each command implements, and so lists and accepts
    "diff": ["text", "latex", "json", "numpy", "python"],
    "grad": ["text", "latex", "json", "numpy", "python"],
    "jac": ["text", "latex", "json", "numpy", "python"],
    "hess": ["text", "latex", "json", "numpy", "python"],
    "check": ["text", "json"],
    "shapes": ["text", "json"],
    "rules": ["text", "latex", "json"],
}
ALL_FORMATS = ["text", "latex", "json", "numpy", "python", "yaml"]


def run(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input, prog_name="matcalc")


def help_text(*command) -> str:
    result = run(*command, "-h")
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------- --version and -h

@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    result = run(flag)
    assert result.exit_code == 0
    assert result.output == f"matcalc {matcalc.__version__}\n"


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["matcalc", *COMMANDS])
def test_dash_h_is_help(command):
    assert help_text(*command) == run(*command, "--help").output
    assert help_text(*command).startswith(f"Usage: matcalc {' '.join(command)}".rstrip())


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["matcalc", *COMMANDS])
def test_help_shows_metavars_not_python_types(command):
    text = help_text(*command)
    for python in ("<bool>", "<str>", "<int", "list[", "<text|", "SPEC", "§"):
        assert python not in text, f"{python!r} in help:\n{text}"


@pytest.mark.parametrize("command", ["diff", "grad", "jac", "hess", "check"])
def test_differentiating_commands_name_their_arguments(command):
    text = help_text(command)
    assert f"Usage: matcalc {command} [OPTIONS] [EXPR]" in text
    for option in ("-w, --wrt NAME", "-l, --layout LAYOUT", "-d, --declare DECL", "-f, --format FORMAT"):
        assert option in text
    if command == "check":
        assert "-k, --kind KIND" in text and "--trials N" in text
    else:
        assert "--steps " in text and "--all-steps " in text


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_exactly_the_formats_a_command_implements(command):
    text = " ".join(help_text(command).split())
    formats = FORMATS[command]
    listed = f"{', '.join(formats[:-1])} or {formats[-1]}"
    assert f"Output format: {listed};" in text


# ---------------------------------------------------------------- formats and --kind

def arguments(command: str) -> list[str]:
    return [] if command == "rules" else ["x' A x"] if command == "shapes" else ["x' A x", "--wrt", "x"]


@pytest.mark.parametrize("command,fmt", [(c, f) for c in COMMANDS for f in ALL_FORMATS if f not in FORMATS[c]])
def test_a_format_a_command_does_not_implement_is_a_usage_error(command, fmt):
    result = run(command, *arguments(command), "--format", fmt)
    assert result.exit_code == 2, result.output
    assert "Usage: matcalc" in result.output and "--format" in result.output


@pytest.mark.parametrize("command,fmt", [(c, f) for c in COMMANDS for f in FORMATS[c] if c != "hess"])
def test_a_format_a_command_implements_is_accepted(command, fmt):
    result = run(command, *arguments(command), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output.strip()
    if fmt == "json":
        json.loads(result.output.splitlines()[0])


@pytest.mark.parametrize("fmt", ["text", "json", "numpy", "python"])
def test_document_is_latex_and_refuses_any_other_format_given(fmt):
    assert run("diff", "x' A x", "--wrt", "x", "--document").output.startswith("\\documentclass")
    assert run("diff", "x' A x", "--wrt", "x", "--document", "--format", "latex").exit_code == 0
    result = run("diff", "x' A x", "--wrt", "x", "--document", "--format", fmt)
    assert result.exit_code == 2 and "--document writes LaTeX" in result.output


@pytest.mark.parametrize("kind", ["diff", "grad", "jac", "hess"])
def test_check_kind_takes_each_command(kind):
    result = run("check", "x' A x", "--wrt", "x", "--kind", kind, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


@pytest.mark.parametrize("kind", ["gradient", "hessian", "x", ""])
def test_check_kind_refuses_anything_else(kind):
    result = run("check", "x' A x", "--wrt", "x", "--kind", kind)
    assert result.exit_code == 2
    assert "--kind" in result.output


@pytest.mark.parametrize("trials", ["0", "101", "three"])
def test_check_trials_out_of_range_is_a_usage_error(trials):
    assert run("check", "x' A x", "--wrt", "x", "--trials", trials).exit_code == 2


def test_numpy_with_steps_puts_the_trace_on_standard_error():
    result = CliRunner().invoke(app, ["grad", "x' A x", "--wrt", "x", "-f", "numpy", "--steps"], prog_name="matcalc")
    assert result.exit_code == 0
    assert result.stdout.strip() == "(A + A.T) @ x"
    assert "f = x' A x" in result.stderr


# ---------------------------------------------------------------- labels

LABELS = [  # command, expression, variable, --layout, the label
    ("grad", "x' A x", "x", "denominator", "gradient ∂f/∂x, shape of x"),
    ("grad", "x' A x", "x", "numerator", "gradient ∂f/∂x, shape of x"),
    ("diff", "x' A x", "x", "numerator", "gradient transposed ∂f/∂xᵀ (numerator layout), 1 × n"),
    ("jac", "A x", "x", "denominator", "Jacobian ∂f/∂xᵀ, n × m"),
    ("jac", "A x", "x", "numerator", "Jacobian ∂f/∂xᵀ, n × m"),
    ("diff", "A x", "x", "numerator", "Jacobian ∂f/∂xᵀ, n × m"),
    ("diff", "A x", "x", "denominator", "Jacobian transposed ∂fᵀ/∂x (denominator layout), m × n"),
    ("jac", "x' A x", "x", "denominator", "Jacobian ∂f/∂xᵀ, 1 × n"),
    ("jac", "tr(X)", "X", "denominator", "Jacobian ∂f/∂vec(X)ᵀ (vec form), 1 × n*n"),
    ("diff", "A X B", "X", "denominator", "vec form ∂vec(F)/∂vec(X)ᵀ, n*q × m*p"),
    ("hess", "x' A x", "x", "denominator", "Hessian ∂²f/∂x∂xᵀ, n × n"),
    ("hess", "tr(X' A X)", "X", "denominator", "Hessian ∂²f/∂vec(X)∂vec(X)ᵀ (vec form), m*n × m*n"),
    ("hess", "s^3", "s", "denominator", "second derivative ∂²f/∂s², scalar"),
]


@pytest.mark.parametrize("command,expr,wrt,layout,label", LABELS, ids=[f"{c} {e} {l}" for c, e, _, l, _ in LABELS])
def test_json_label_says_what_the_result_is_and_layout_keeps_the_flag(command, expr, wrt, layout, label):
    result = run(command, expr, "--wrt", wrt, "--layout", layout, "--format", "json")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["label"] == label
    assert obj["layout"] == layout


# ---------------------------------------------------------------- Ctrl-C

def test_ctrl_c_exits_130_quietly():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    p = subprocess.Popen([sys.executable, "-m", "matcalc", "grad", "--wrt", "x"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    p.stdin.write("x' A x\n")
    p.stdin.flush()
    assert p.stdout.readline().strip() == "(A + A') x"  # running, and waiting on standard input
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert out == ""


# ---------------------------------------------------------------- notebooks

def test_a_result_shows_the_whole_equation():
    latex = diff("x' A x", wrt="x")._repr_latex_()
    assert latex.startswith("$\\displaystyle ") and latex.endswith("$")
    assert r"f &= \mathbf{x}^{\top} \mathrm{A} \mathbf{x}" in latex
    assert r"\frac{\partial f}{\partial \mathbf{x}} &= \left(\mathrm{A} + \mathrm{A}^{\top}\right) \mathbf{x}" in latex


@pytest.mark.parametrize("kind,expr,wrt,lhs", [
    ("hess", "x' A x", "x", r"\frac{\partial^2 f}{\partial \mathbf{x}\, \partial \mathbf{x}^\top} &="),
    ("hess", "tr(X' A X)", "X",
     r"\frac{\partial^2 f}{\partial \operatorname{vec}(\mathrm{X})\, \partial \operatorname{vec}(\mathrm{X})^\top} &="),
    ("jac", "A x", "x", r"\frac{\partial \mathbf{f}}{\partial \mathbf{x}^\top} &= \mathrm{A}"),
    ("jacobian", "A X B", "X", r"\frac{\partial \operatorname{vec}(\mathrm{F})}{\partial \operatorname{vec}(\mathrm{X})^\top} &="),
    ("diff", "A x", "x", r"\frac{\partial \mathbf{f}^\top}{\partial \mathbf{x}} &= \mathrm{A}^{\top}"),
])
def test_hessians_and_jacobians_are_written_as_such(kind, expr, wrt, lhs):
    assert lhs in diff(expr, wrt=wrt, kind=kind)._repr_latex_()


def test_with_steps_the_derivation_ends_in_the_equation():
    r = diff("1/N ||X W - y||^2", wrt="W", kind="grad", steps=True)
    latex = r._repr_latex_()
    rows = latex.splitlines()
    assert rows[0] == r"\begin{align*}" and rows[-1] == r"\end{align*}"
    assert rows[-2] == rf"  \frac{{\partial f}}{{\partial \mathbf{{W}}}} &= {r.latex}"
    assert all(row.endswith(r"\\") for row in rows[1:-2])
    assert r"\text{result}" not in latex
    assert len(rows) > 5  # the steps are there


def test_an_error_shows_its_caret_in_ipython():
    with pytest.raises(MatcalcError) as caught:
        diff("x' A x +", wrt="x")
    shown = caught.value._render_traceback_()
    assert shown[1:] == ["  x' A x +", "          ^"]
    assert "column 9" in shown[0]

    shown = []

    class Pretty:  # the part of IPython's pretty printer that _repr_pretty_ uses
        text = shown.append

    caught.value._repr_pretty_(Pretty, False)
    assert shown == [caught.value.render()]


# ---------------------------------------------------------------- the API's wrt and kind

def test_wrt_takes_a_list_and_gives_a_list():
    by_x, by_a = diff("x' A x", wrt=["x", "A"])
    assert (by_x.wrt, by_x.derivative) == ("x", "(A + A') x")
    assert (by_a.wrt, by_a.derivative) == ("A", "x x'")
    assert diff("x' A x", wrt=("x",))[0].derivative == "(A + A') x"


@pytest.mark.parametrize("name,command", [("derivative", "diff"), ("gradient", "grad"),
                                          ("jacobian", "jac"), ("hessian", "hess")])
def test_kind_takes_the_names_results_print(name, command):
    expr = "x' A x"
    assert diff(expr, wrt="x", kind=name) == diff(expr, wrt="x", kind=command)


def test_an_unknown_kind_is_named():
    with pytest.raises(ValueError, match="kind must be one of diff, grad, jac, hess"):
        diff("x' x", wrt="x", kind="laplacian")


# ---------------------------------------------------------------- help, man page and README agree

def _options(text: str) -> set[str]:
    import re

    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text))


def test_the_man_page_and_readme_describe_every_option_and_no_other():
    with open(os.path.join(ROOT, "man", "matcalc.1"), encoding="utf-8") as f:
        man = _options(f.read().replace("\\-", "-"))
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = _options(f.read())
    helped = set().union(*(_options(help_text(*c)) for c in [[], *([c] for c in COMMANDS)]))
    assert helped <= man, f"not in the man page: {helped - man}"
    assert helped <= readme, f"not in the README: {helped - readme}"
    assert man <= helped, f"the man page names options that do not exist: {man - helped}"
    assert readme <= helped, f"the README names options that do not exist: {readme - helped}"


@pytest.mark.skipif(not shutil.which("groff"), reason="groff is not installed")
def test_the_man_page_formats_without_warnings():
    p = subprocess.run(["groff", "-man", "-ww", "-Tutf8", "-z", os.path.join(ROOT, "man", "matcalc.1")],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr
