"""The LaTeX matcalc prints compiles: step derivations, the rules table, results.

Needs pdflatex (Debian: texlive-latex-base); skipped where it is not installed.
One document holds everything, so the whole check costs one pdflatex run.
"""
import os
import shutil
import subprocess
import sys

import pytest

from matcalc import diff
from matcalc.report import rules_latex, rules_table
from matcalc.printers.steps import steps_latex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")

TRACES = [
    ("grad", "1/N ||X W - y||^2", "W"), ("grad", "sum(log(softmax(W x)) .* y)", "W"),
    ("jac", "sigmoid(W x)", "x"), ("hess", "tr(X' A X)", "X"), ("grad", "tr(A X B)", "X"),
    ("grad", "||W2 h - y||^2 where h = tanh(W1 x)", "W1"), ("diff", "x' A x", "x"),
    ("grad", "logdet(X)", "X"), ("hess", "t^3 + exp(t)", "t"), ("jac", "kron(X, B)", "X"),
]


def test_latex_output_compiles(tmp_path):
    parts = [rules_latex(rules_table())]
    for kind, expr, wrt in TRACES:
        r = diff(expr, wrt=wrt, kind=kind, steps=True)
        parts += [steps_latex(r.trace), rf"\[ {r.latex} \]"]
    for row in IDENTITIES:  # every result of the identity suite, as `--format latex` prints it
        if not row.error:
            r = diff(row.expr, wrt=row.wrt, kind=row.command, layout=row.layout, declare=row.declare)
            parts.append(rf"\[ {r.latex} \]")
    doc = "\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}\n" \
        + "\n\n".join(parts) + "\n\\end{document}\n"
    (tmp_path / "doc.tex").write_text(doc)
    run = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, "\n".join(errors) or run.stdout[-2000:]
