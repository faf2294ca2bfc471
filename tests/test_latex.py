"""The LaTeX matcalc prints compiles and fits the page: every identity's result as
`--format latex` prints it, traces of many expressions as `--steps --format latex` prints
them, the rules table and a `--document`, set in an article (345 pt of text width).
pdflatex must report no error and no overfull box wider than 1 pt.

The compiling tests need pdflatex (Debian: texlive-latex-base, which .ci/run installs);
they are skipped where it is missing, except in CI. One document holds everything but the
--document output. Last, the notation a referee expects, without pdflatex.
"""
import functools
import os
import re
import shutil
import subprocess
import sys

import pytest

import matcalc
from matcalc.printers.latex import display_latex
from matcalc.printers.steps import result_latex, steps_latex
from matcalc.printers.texwidth import width
from matcalc.report import rules_latex, rules_table

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                                    reason="pdflatex is not installed")

# (kind, expression, variable, declarations): the review's cases, deep networks, and one
# of each kind of left-hand side a trace writes
TRACES = [
    ("grad", "||X w - y||^2 + lambda ||w||^2", "w", ()),
    ("grad", "sum(log(sigmoid(y .* (X w))))", "w", ()),
    ("jac", "tanh(W x + b)", "x", ()),
    ("jac", "softmax(W x)", "x", ()),
    ("hess", "sum(log(sigmoid(y .* (X w))))", "w", ()),
    ("hess", "tr(X' A X)", "X", ()),
    ("diff", "A X B", "X", ()),
    ("diff", "X^-1", "X", ()),
    ("grad", "||W2 h - y||^2 where h = tanh(W1 x)", "W1", ()),
    ("diff", "logdet(S) + (x - mu)' S^-1 (x - mu)", "S", ("S: n x n symmetric", "mu: n")),
    ("grad", "||X - U V'||_F^2", "U", ()),
    ("diff", "det(X)", "X", ()),
    ("diff", "tr(A S) where S: n x n symmetric", "S", ()),
    ("grad", "||W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 - y||^2 + lambda (||W1||_F^2 + ||W2||_F^2)", "W1", ()),
    ("hess", "||W2 tanh(W1 x) - y||^2", "x", ()),
    ("hess", "||W3 tanh(W2 tanh(W1 x)) - y||^2", "x", ()),
    ("grad", "-sum(log(softmax(W2 relu(W1 x + b1) + b2)) .* y)", "W1", ()),
    ("grad", "sigma^2 ||x||^2 + sum(sigmoid(x))", "x", ()),
    ("grad", "1/N ||X W - y||^2", "W", ()),
    ("jac", "kron(X, B)", "X", ()),
    ("hess", "t^3 + exp(t)", "t", ()),
    ("diff", "x' A x", "x", ()),
    ("diff", "exp(t) a + t^2 b", "t", ("t: scalar",)),
    ("grad", "logdet(X)", "X", ("X: n x n symmetric",)),
    ("diff", "x' A x", "x", ()),
    ("grad", "tr(A X B X' C) + logdet(X' X) + sum(exp(X w))", "X", ()),
    # W' ((W' ((…: 20 parentheses opening before anything breaks
    ("grad", "sum(" + "tanh(W " * 10 + "x" + ")" * 11, "x", ()),
]

PREAMBLE = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"  # as a user's paper has it


def pdflatex(tmp_path, name: str, source: str) -> str:
    """The log of compiling `source`; pdflatex's own status and error lines are checked."""
    if shutil.which("pdflatex") is None:
        pytest.fail("pdflatex is not installed (Debian: apt-get install texlive-latex-base)")
    (tmp_path / f"{name}.tex").write_text(source)
    run = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", f"{name}.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, "\n".join(errors) or run.stdout[-2000:]
    return log


def overfull(log: str) -> list[str]:
    """Every box wider than the page by more than 1 pt (or a page taller than the page: a
    derivation that cannot break), with the lines of the source it set."""
    return [m.group(0) for m in re.finditer(r"Overfull \\[hv]box \(([\d.]+)pt too (wide|high)\)[^\n]*", log)
            if float(m.group(1)) > 1.0]


def derive(kind, expr, wrt, declare=(), steps=False):
    return matcalc.diff(expr, wrt=wrt, kind=kind, declare=declare, steps=steps)


@functools.lru_cache(maxsize=None)
def identity_results() -> tuple:
    return tuple(matcalc.diff(row.expr, wrt=row.wrt, kind=row.command, layout=row.layout, declare=row.declare)
                 for row in IDENTITIES if not row.error)


@needs_pdflatex
def test_every_output_compiles_and_fits_the_page(tmp_path):
    parts = [rules_latex(rules_table())]
    for case in TRACES:
        r = derive(*case, steps=True)
        head = r.head
        parts += [rf"\[ {display_latex(r.derivation.result)} \]",
                  steps_latex(r.trace, f=head.f_latex, result=head.latex, page_breaks=True),
                  result_latex(r.derivation.typed.expr, r.derivation.result, head.f_latex, head.latex)]
    for kind, expr, wrt, declare in TRACES[4:8] + TRACES[13:16]:  # with the bookkeeping steps too
        r = matcalc.diff(expr, wrt=wrt, kind=kind, declare=declare, all_steps=True)
        parts.append(steps_latex(r.trace, f=r.head.f_latex, result=r.head.latex, page_breaks=True))
    parts += [rf"\[ {display_latex(r.derivation.result)} \]" for r in identity_results()]
    log = pdflatex(tmp_path, "all", PREAMBLE + "\n\n".join(parts) + "\n\\end{document}\n")
    assert not overfull(log), "\n".join(overfull(log))


@needs_pdflatex
def test_a_document_compiles_as_it_is(tmp_path):
    """--document: the whole file, preamble and all, for two results and a derivation."""
    from typer.testing import CliRunner

    from matcalc.cli import app

    run = CliRunner().invoke(app, ["grad", "--wrt", "W1", "--steps", "--document"],
                             input="||W2 h - y||^2 where h = tanh(W1 x)\n||W1 x - y||^2 + sum(W1 .* W1)\n")
    assert run.exit_code == 0, run.output
    assert run.output.startswith("\\documentclass{article}") and run.output.rstrip().endswith("\\end{document}")
    assert run.output.count(r"\begin{align*}") == 4  # each result's equation and its derivation
    log = pdflatex(tmp_path, "document", run.output)
    assert not overfull(log), "\n".join(overfull(log))


@needs_pdflatex
def test_a_deep_network_s_document_fits_the_page(tmp_path):
    """A tanh chain 24 deep: its gradient opens 48 parentheses and takes pages (which the
    document's \\allowdisplaybreaks lets it), and no line runs past the margin."""
    from typer.testing import CliRunner

    from matcalc.cli import app

    chain = "sum(" + "tanh(W " * 24 + "x" + ")" * 25
    run = CliRunner().invoke(app, ["grad", chain, "--wrt", "x", "--steps", "--document"])
    assert run.exit_code == 0, run.output
    log = pdflatex(tmp_path, "deep", run.output)
    assert not overfull(log), "\n".join(overfull(log))


@needs_pdflatex
def test_the_width_estimate_errs_on_the_wide_side(tmp_path):
    """The layout trusts texwidth's estimate: measured by TeX itself, no line it accepts is
    more than 10 % wider than estimated, so a line estimated to fill BUDGET (295 pt) fits
    345 pt with a \\frac{∂f}{∂x} in front."""
    samples = list(dict.fromkeys(r.latex for r in identity_results()))
    samples += [derive(*case).latex for case in TRACES]
    boxes = "\n".join(rf"\setbox0\hbox{{$\displaystyle {s}$}}\typeout{{W:\the\wd0}}" for s in samples)
    log = pdflatex(tmp_path, "widths", PREAMBLE + boxes + "\n\\end{document}\n")
    measured = [float(w) for w in re.findall(r"^W:([\d.]+)pt", log, re.M)]
    assert len(measured) == len(samples)
    worst = min((width(s) / w, s) for s, w in zip(samples, measured) if w > 40)
    assert worst[0] > 0.90, worst


@needs_pdflatex
def test_the_check_sees_a_line_past_the_margin(tmp_path):
    """The log parsing above catches what it looks for: the unbroken one-line form of a long
    result runs past the margin."""
    r = derive("grad", "||W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 - y||^2", "W1")
    log = pdflatex(tmp_path, "wide", PREAMBLE + rf"\[ {r.latex} \]" + "\n\\end{document}\n")
    assert overfull(log)


# -- notation ---------------------------------------------------------------------------------

def trace_rows(kind, expr, wrt, declare=()):
    r = derive(kind, expr, wrt, declare, steps=True)
    return r, steps_latex(r.trace, f=r.head.f_latex, result=r.head.latex).splitlines()


def test_a_definition_is_stated_once_and_never_inside_a_partial():
    r, rows = trace_rows("grad", "||W2 h - y||^2 where h = tanh(W1 x)", "W1")
    assert [row for row in rows if "where" in row] == [
        r"  \text{where}\quad \mathbf{h} &= \tanh\left(\mathrm{W}_{1} \mathbf{x}\right) \\"]
    assert r"\frac{\partial f}{\partial \mathbf{h}}" in "\n".join(rows)  # the name, bare, and no ⊤ after


def test_a_trace_names_what_the_result_names():
    r, rows = trace_rows("grad", "||W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 - y||^2", "W1")
    assert r.derivative.endswith("where v1 = tanh(W1 x + b1); v2 = tanh(W2 v1 + b2)")
    assert r"  \text{where}\quad \mathbf{v}_{1} &= \tanh\left(\mathrm{W}_{1} \mathbf{x} + \mathbf{b}_{1}\right) \\" in rows
    assert r"\frac{\partial f}{\partial \mathbf{v}_{2}}" in "\n".join(rows)  # ∂f/∂v2, not ∂f/∂(tanh(...))


def test_a_matrix_jacobian_in_a_trace_is_in_vec_form():
    _, rows = trace_rows("hess", "tr(X' A X)", "X")
    text = "\n".join(rows)
    assert r"\frac{\partial \operatorname{vec}\left(\mathrm{X}^{\top}\right)}{\partial \operatorname{vec}\left(\mathrm{X}\right)^{\top}} = \mathrm{K}_{n,m}" in text
    jacobians = [row for row in rows if row.startswith(r"  &\qquad \frac{\partial")]
    assert len(jacobians) == 3 and all(row.count(r"\operatorname{vec}") == 2 for row in jacobians)


def test_a_scalar_is_not_transposed_nor_vectorised():
    _, rows = trace_rows("grad", "lambda ||w||^2 + logdet(X) + x' X w", "X")
    text = "\n".join(rows)
    assert r"\partial \log\det\left(\mathrm{X}\right)" in text or r"\partial\left(\log\det" in text
    assert r"\operatorname{vec}\left(\log" not in text and r"\right\|^{2}\right)^{\top}}" not in text


def test_a_differential_stands_apart_and_f_is_upright_for_a_matrix():
    r, rows = trace_rows("diff", "A X B", "X")
    assert rows[1] == r"  \mathrm{F} &= \mathrm{A} \mathrm{X} \mathrm{B} \\"
    assert r"= \mathrm{A} \, \mathrm{d}\mathrm{X} \, \mathrm{B}" in "\n".join(rows)


def test_notation_of_results():
    row = derive("jac", "(x - mu)' A y", "y", ("mu: n",))  # a transposed sum, not a sum of transposes
    assert row.latex == r"\left(\mathbf{x} - \boldsymbol{\mu}\right)^{\top} \mathrm{A}"
    W = derive("grad", "||W2 h - y||^2 where h = tanh(W1 x)", "W1")
    assert r"\mathrm{W}_{2}^{\top}" in W.latex  # ⊤ stacked over the subscript, not after it
    sig = derive("grad", "sigma^2 ||x||^2 + sum(sigmoid(x))", "x")
    assert r"\sigma^{2}" in sig.latex and r"\operatorname{sigmoid}\left(\mathbf{x}\right)" in sig.latex


def test_a_long_result_breaks_at_its_loosest_operators():
    r = derive("grad", "||W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 - y||^2 + lambda (||W1||_F^2 + ||W2||_F^2)", "W1")
    shown = display_latex(r.derivation.result)
    lines = shown.split(r" \\ ")
    assert shown.startswith(r"\begin{aligned} &2 \Bigl(") and lines[1].startswith(r"&\quad ")
    assert lines[1].endswith(r" + \lambda \mathrm{W}_{1}\Bigr)")  # the parenthesis that breaks grows
    assert lines[2].startswith(r"&\text{where } \begin{aligned}[t] \mathbf{v}_{1} &= ")
    assert all(width(line) <= 345 for line in lines[:2])
