"""Every printed derivative reads back: for each row of the identity table, the ASCII text
(what a pipe gets) and the Unicode text (what a terminal shows) of the result parse and
type, under the declarations of the row's variables, to the very node the result is,
`where` definitions included (SPEC §1: everything matcalc prints parses back)."""
import os
import sys

import pytest

import matcalc
from matcalc import ir
from matcalc.printers.text import to_text_where
from matcalc.shapes import analyze

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES  # noqa: E402

ROWS = [row for row in IDENTITIES if not row.error]


def declarations(typed) -> list[str]:
    """Each variable with its resolved shape. A size that is a product (m*p, inferred for
    a name beside a kron) cannot be declared (SPEC §2: a DIM is a name or an integer), so
    such a name is left to be inferred again from the text, as a reader would."""
    out = []
    for name, s in typed.names.items():
        r, c = s.shape
        if any("*" in str(d) for d in (r, c)):
            continue
        shape = "scalar" if (r, c) == (1, 1) else (f"{r}" if c == 1 else f"{r} x {c}")
        out.append(f"{name}: {shape}{' symmetric' if s.symmetric else ''}")
    return out


def derive(row):
    return matcalc.diff(row.expr, wrt=row.wrt, kind=row.command, layout=row.layout, declare=list(row.declare))


@pytest.mark.parametrize("unicode", [False, True], ids=["ascii", "unicode"])
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_the_printed_result_reads_back_as_itself(row, unicode):
    d = derive(row).derivation
    text = to_text_where(d.result, unicode=unicode)
    back = analyze(text, declarations(d.typed)).expr
    assert back is d.result, f"{text!r} reads back as {back!r}"


def test_the_pipe_prints_the_ascii_text():
    r = derive(ROWS[0])
    assert r.derivative == to_text_where(r.derivation.result)


@pytest.mark.parametrize("expr, wrt, kind, text", [
    ("x - y", "y", "jac", "-eye(n)"),                                  # nothing sizes a lone I
    ("tr(A) x where x: n", "x", "jac", "tr(A) eye(n)"),
    ("x - A x", "x", "jac", "I - A"),                                  # a sum sizes it
    ("kron(x, y) where x: n; y: m", "x", "jac", "kron(eye(n), y)"),    # kron does not
    ("X' X where X: m x n", "X", "jac", "kron(X', eye(n)) commutation(m, n) + kron(eye(n), X')"),
    ("W' .* W' where W: m x p", "W", "jac", "2 diag(vec(W')) commutation(m, p)"),
])
def test_sized_identities_and_vec_forms_read_back(expr, wrt, kind, text):
    r = matcalc.diff(expr, wrt=wrt, kind=kind)
    assert r.derivative == text
    assert analyze(text, declarations(r.derivation.typed)).expr is r.derivation.result


def test_an_identity_in_a_definition_is_sized_in_its_body():
    h = ir.Ref("h", ir.Identity("n"))
    e = ir.Mul((ir.Sym("A", ("n", "n")), h))
    assert to_text_where(e) == "A h where h = eye(n)"
