"""Golden strings for the printers: text (ASCII and Unicode), LaTeX and NumPy.

Each row is a derivative and the four ways it prints; the ASCII text is also read back
by the parser. The derivatives' values are tested elsewhere (test_identities.py);
here only their spelling is pinned, so any change to it is a deliberate one. Last, the
printers are views: they import only the IR and each other, and build no node.
"""
from __future__ import annotations

import ast
import pathlib
from dataclasses import dataclass

import pytest

import matcalc
from matcalc import ir
from matcalc.printers.latex import to_latex
from matcalc.printers.numpy import to_numpy
from matcalc.printers.text import to_text_where


@dataclass(frozen=True)
class Case:
    expr: str
    wrt: str
    kind: str
    declare: str | tuple = ()
    back: str | None = "same"  # the text parses back to the "same" node, merely "parses", or None
    text: str = ""
    unicode: str = ""
    latex: str = ""
    numpy: str = ""

    def __str__(self):
        return f"{self.kind} d/d{self.wrt} {self.expr}"


CASES = [
    # -- sums: a negative term is written with a minus -----------------------------------------
    Case("x' A x", "x", "grad",
         text="(A + A') x",
         unicode="(A + Aᵀ) x",
         latex=r"\left(\mathrm{A} + \mathrm{A}^{\top}\right) \mathbf{x}",
         numpy="(A + A.T) @ x"),
    Case("x' y - sum(x)", "x", "grad",
         text="y - ones(n)",
         unicode="y - ones(n)",
         latex=r"\mathbf{y} - \mathbf{1}_{n}",
         numpy="y - 1"),
    Case("y' log(softmax(z))", "z", "grad",
         text="y - sum(y) softmax(z)",
         unicode="y - sum(y) softmax(z)",
         latex=r"\mathbf{y} - \operatorname{sum}\left(\mathbf{y}\right) \operatorname{softmax}\left(\mathbf{z}\right)",
         numpy="y - np.sum(y) * ((t1 := np.exp(z - np.max(z))) / np.sum(t1))"),
    Case("||A x - b||^2", "x", "grad",
         text="2 A' (A x - b)",
         unicode="2 Aᵀ (A x - b)",
         latex=r"2 \mathrm{A}^{\top} \left(\mathrm{A} \mathbf{x} - \mathbf{b}\right)",
         numpy="2 * (A.T @ (A @ x - b))"),
    Case("t (b - 2 x' A x)", "t", "diff", declare="t: scalar; b: scalar",
         text="b - 2 x' A x",
         unicode="b - 2 xᵀ A x",
         latex=r"b - 2 \mathbf{x}^{\top} \mathrm{A} \mathbf{x}",
         numpy="b - 2 * (x @ (A @ x))"),
    Case("t (b - 2 a x' A x)", "t", "diff", declare="t: scalar; b: scalar; a: scalar",
         text="b - 2 a x' A x",
         unicode="b - 2 a xᵀ A x",
         latex=r"b - 2 a \left(\mathbf{x}^{\top} \mathrm{A} \mathbf{x}\right)",
         numpy="b - 2 * a * (x @ (A @ x))"),
    Case("t (s - x' y / 2)", "t", "diff", declare="t: scalar; s: scalar",
         text="s - 1/2 x' y",
         unicode="s - 1/2 xᵀ y",
         latex=r"s - \frac{1}{2} \mathbf{x}^{\top} \mathbf{y}",
         numpy="s - 1 / 2 * (x @ y)"),
    Case("sum(x) - y' (x .* z)", "x", "grad",
         text="ones(n) - y .* z",
         unicode="ones(n) - y ∘ z",
         latex=r"\mathbf{1}_{n} - \mathbf{y} \odot \mathbf{z}",
         numpy="1 - y * z"),
    Case("t^2/2 - t/3", "t", "diff", declare="t: scalar",
         text="t - 1/3",
         unicode="t - 1/3",
         latex=r"t - \frac{1}{3}",
         numpy="t - 1 / 3"),
    Case("x - y", "y", "jac",
         text="-eye(n)",
         unicode="-eye(n)",
         latex=r"-\mathrm{I}_{n}",
         numpy="-np.eye(x.shape[0])"),
    Case("-2 A x + b", "x", "jac",
         text="-2 A",
         unicode="-2 A",
         latex=r"-2 \mathrm{A}",
         numpy="-2 * A"),
    Case("exp(-t) x", "t", "diff", declare="t: scalar",
         text="-exp(-t) x",
         unicode="-exp(-t) x",
         latex=r"-\exp\left(-t\right) \mathbf{x}",
         numpy="-np.exp(-t) * x"),
    Case("x' y - y' x", "x", "grad",
         text="zeros(n)",
         unicode="zeros(n)",
         latex=r"\mathbf{0}_{n}",
         numpy="np.zeros(x.shape[0])"),
    Case("b' x", "x", "hess",
         text="zeros(n, n)",
         unicode="zeros(n, n)",
         latex=r"\mathbf{0}_{n \times n}",
         numpy="np.zeros((b.shape[0], b.shape[0]))"),
    # -- fractions: negative scalar powers go below the bar ------------------------------------
    Case("sum(x)/N", "x", "grad", declare="N: scalar",
         text="ones(n)/N",
         unicode="ones(n)/N",
         latex=r"\frac{1}{N} \mathbf{1}_{n}",
         numpy="(1 / N) * np.ones(x.shape[0])"),
    Case("||x||", "x", "grad",
         text="x/||x||",
         unicode="x/‖x‖",
         latex=r"\frac{1}{\left\|\mathbf{x}\right\|} \mathbf{x}",
         numpy="(1 / np.linalg.norm(x)) * x"),
    Case("(x' y)/(||x|| ||y||)", "x", "grad",
         text="(y/||x|| - (x' y)/||x||^3 x)/||y||",
         unicode='(y/‖x‖ - (xᵀ y)/‖x‖³ x)/‖y‖',
         latex=r"\frac{1}{\left\|\mathbf{y}\right\|} \left(\frac{1}{\left\|\mathbf{x}\right\|} \mathbf{y} - \frac{\mathbf{x}^{\top} \mathbf{y}}{\left\|\mathbf{x}\right\|^{3}} \mathbf{x}\right)",
         numpy="(1 / np.linalg.norm(y)) * ((1 / (t1 := np.linalg.norm(x))) * y - t1 ** -3 * (x @ y) * x)"),
    Case("sum(sqrt(x))", "x", "grad",
         text="1/2 sqrt(x) .^ -1",
         unicode="1/2 sqrt(x) .^ -1",
         latex=r"\frac{1}{2} {\sqrt{\mathbf{x}}}^{\circ -1}",
         numpy="1 / 2 * (1 / np.sqrt(x))"),
    Case("sqrt(t)", "t", "diff", declare="t: scalar",
         text="1/(2 sqrt(t))",
         unicode="1/(2 sqrt(t))",
         latex=r"\frac{1}{2 \sqrt{t}}",
         numpy="1 / 2 * (1 / np.sqrt(t))"),
    Case("1/t", "t", "diff", declare="t: scalar",
         text="-1/t^2",
         unicode="-1/t²",
         latex=r"-\frac{1}{t^{2}}",
         numpy="-t ** -2"),
    Case("x' y / t", "t", "diff", declare="t: scalar",
         text="-(x' y)/t^2",
         unicode="-(xᵀ y)/t²",
         latex=r"-\frac{\mathbf{x}^{\top} \mathbf{y}}{t^{2}}",
         numpy="-t ** -2 * (x @ y)"),
    Case("log(x' y)", "x", "grad",
         text="y/(x' y)",
         unicode="y/(xᵀ y)",
         latex=r"\frac{1}{\mathbf{x}^{\top} \mathbf{y}} \mathbf{y}",
         numpy="(1 / (x @ y)) * y"),
    Case("1/sqrt(x' x)", "x", "grad",
         text="-x/sqrt(x' x)^3",
         unicode="-x/sqrt(xᵀ x)³",
         latex=r"-\frac{1}{{\sqrt{\mathbf{x}^{\top} \mathbf{x}}}^{3}} \mathbf{x}",
         numpy="-np.sqrt(x @ x) ** -3 * x"),
    Case("exp(x)/sum(x)", "x", "jac",
         text='(diag(exp(x)) - 1/sum(x) exp(x) ones(1, n))/sum(x)',
         unicode='(diag(exp(x)) - 1/sum(x) exp(x) ones(1, n))/sum(x)',
         latex=r"\frac{1}{\operatorname{sum}\left(\mathbf{x}\right)} \left(\operatorname{diag}\left(\exp\left(\mathbf{x}\right)\right) - \frac{1}{\operatorname{sum}\left(\mathbf{x}\right)} \exp\left(\mathbf{x}\right) \mathbf{1}_{1 \times n}\right)",
         numpy="(t1 := 1 / np.sum(x)) * (np.diag((t2 := np.exp(x))) - np.outer(t1 * t2, np.ones(x.shape[0])))"),
    Case("exp(x)/sum(exp(x))", "x", "jac",
         text="diag(softmax(x)) - softmax(x) softmax(x)'",
         unicode="diag(softmax(x)) - softmax(x) softmax(x)ᵀ",
         latex=r"\operatorname{diag}\left(\operatorname{softmax}\left(\mathbf{x}\right)\right) - \operatorname{softmax}\left(\mathbf{x}\right) {\operatorname{softmax}\left(\mathbf{x}\right)}^{\top}",
         numpy="np.diag((t2 := (t1 := np.exp(x - np.max(x))) / np.sum(t1))) - np.outer(t2, t2)"),
    Case("x' x / 3", "x", "grad",
         text="2/3 x",
         unicode="2/3 x",
         latex=r"\frac{2}{3} \mathbf{x}",
         numpy="2 / 3 * x"),
    Case("||x - y||^2 / (2 σ^2)", "σ", "diff", declare="σ: scalar",
         text="-||x - y||^2/σ^3",
         unicode="-‖x - y‖²/σ³",
         latex=r"-\frac{\left\|\mathbf{x} - \mathbf{y}\right\|^{2}}{\sigma^{3}}",
         numpy="-σ ** -3 * np.linalg.norm(x - y) ** 2"),
    Case("t^3", "t", "diff", declare="t: scalar",
         text="3 t^2",
         unicode="3 t²",
         latex="3 t^{2}",
         numpy="3 * t ** 2"),
    Case("sin(t)^2", "t", "diff", declare="t: scalar",
         text="2 cos(t) sin(t)",
         unicode="2 cos(t) sin(t)",
         latex=r"2 \cos\left(t\right) \sin\left(t\right)",
         numpy="2 * np.cos(t) * np.sin(t)"),
    # -- entrywise: ./ for a negative power, .^ otherwise --------------------------------------
    Case("sum(log(x))", "x", "grad",
         text="x .^ -1",
         unicode="x .^ -1",
         latex=r"\mathbf{x}^{\circ -1}",
         numpy="1 / x"),
    Case("sum(x ./ y)", "y", "grad",
         text="-(x ./ y .^ 2)",
         unicode="-(x ./ y .^ 2)",
         latex=r"-\left(\mathbf{x} \odot \mathbf{y}^{\circ -2}\right)",
         numpy="-x * y ** -2"),
    Case("x ./ y", "y", "jac",
         text="-diag(x ./ y .^ 2)",
         unicode="-diag(x ./ y .^ 2)",
         latex=r"-\operatorname{diag}\left(\mathbf{x} \odot \mathbf{y}^{\circ -2}\right)",
         numpy="np.diag(-x * y ** -2)"),
    Case("sum(y ./ sqrt(x))", "x", "grad",
         text="-(y ./ sqrt(x) .^ 3)/2",
         unicode="-(y ./ sqrt(x) .^ 3)/2",
         latex=r"-\frac{1}{2} \left(\mathbf{y} \odot {\sqrt{\mathbf{x}}}^{\circ -3}\right)",
         numpy="-1 / 2 * (y * np.sqrt(x) ** -3)"),
    Case("x .^ 3", "x", "jac",
         text="3 diag(x .^ 2)",
         unicode="3 diag(x .^ 2)",
         latex=r"3 \operatorname{diag}\left(\mathbf{x}^{\circ 2}\right)",
         numpy="np.diag(3 * x ** 2)"),
    Case("sum(relu(x)) + sum(abs(x)) + sum(softplus(x))", "x", "grad",
         text="step(x) + sign(x) + sigmoid(x)",
         unicode="step(x) + sign(x) + sigmoid(x)",
         latex=r"\operatorname{step}\left(\mathbf{x}\right) + \operatorname{sign}\left(\mathbf{x}\right) + \operatorname{sigmoid}\left(\mathbf{x}\right)",
         numpy="np.heaviside(x, 0.0) + np.sign(x) + np.exp(-np.logaddexp(0, -x))"),
    # -- matrix powers, inverses and inverse transposes ----------------------------------------
    Case("tr(A^3)", "A", "grad",
         text="3 (A')^2",
         unicode="3 (Aᵀ)²",
         latex=r"3 \left(\mathrm{A}^{\top}\right)^{2}",
         numpy="3 * np.linalg.matrix_power(A.T, 2)"),
    Case("x' A^2 x", "A", "grad",
         text="x x' A' + A' x x'",
         unicode="x xᵀ Aᵀ + Aᵀ x xᵀ",
         latex=r"\mathbf{x} \mathbf{x}^{\top} \mathrm{A}^{\top} + \mathrm{A}^{\top} \mathbf{x} \mathbf{x}^{\top}",
         numpy="np.outer(x, x @ A.T) + np.outer(A.T @ x, x)"),
    Case("tr(inv(A))", "A", "grad",
         text="-(A^-T)^2",
         unicode="-(A⁻ᵀ)²",
         latex=r"-\left(\mathrm{A}^{-\top}\right)^{2}",
         numpy="-np.linalg.matrix_power(np.linalg.inv(A.T), 2)"),
    Case("logdet(A)", "A", "grad",
         text="A^-T",
         unicode="A⁻ᵀ",
         latex=r"\mathrm{A}^{-\top}",
         numpy="np.linalg.inv(A.T)"),
    Case("x' inv(A) y", "A", "grad",
         text="-A^-T x y' A^-T",
         unicode="-A⁻ᵀ x yᵀ A⁻ᵀ",
         latex=r"-\mathrm{A}^{-\top} \mathbf{x} \mathbf{y}^{\top} \mathrm{A}^{-\top}",
         numpy="np.outer((t1 := np.linalg.inv(A)).T @ -x, y @ t1.T)"),
    Case("inv(A) x", "x", "jac",
         text="A^-1",
         unicode="A⁻¹",
         latex=r"\mathrm{A}^{-1}",
         numpy="np.linalg.inv(A)"),
    Case("det(X)", "X", "grad",
         text="det(X) X^-T",
         unicode="det(X) X⁻ᵀ",
         latex=r"\det\left(\mathrm{X}\right) \mathrm{X}^{-\top}",
         numpy="np.linalg.det(X) * np.linalg.inv(X.T)"),
    Case("A^-T x", "A", "jac",
         text="-kron(x' A^-1, A^-T) commutation(n, n)",
         unicode="-(xᵀ A⁻¹ ⊗ A⁻ᵀ) commutation(n, n)",
         latex=r"-\left(\left(\mathbf{x}^{\top} \mathrm{A}^{-1}\right) \otimes \mathrm{A}^{-\top}\right) \mathrm{K}_{n,n}",
         numpy='np.kron(np.reshape(-x @ (t1 := np.linalg.inv(A)), (1, -1)), t1.T)[:, np.arange(A.shape[0] * A.shape[0]).reshape(A.shape[0], A.shape[0], order="F").T.reshape(-1, order="F")]'),
    # -- Kronecker products, vec and the commutation matrix ------------------------------------
    Case("A x", "A", "jac",
         text="kron(x', eye(n))",
         unicode="xᵀ ⊗ eye(n)",
         latex=r"\mathbf{x}^{\top} \otimes \mathrm{I}_{n}",
         numpy="np.kron(np.reshape(x, (1, -1)), np.eye(A.shape[0]))"),
    Case("A B", "B", "jac",
         text="kron(eye(p), A)",
         unicode="eye(p) ⊗ A",
         latex=r"\mathrm{I}_{p} \otimes \mathrm{A}",
         numpy="np.kron(np.eye(B.shape[1]), A)"),
    Case("A'", "A", "jac",
         text="commutation(n, m)",
         unicode="commutation(n, m)",
         latex=r"\mathrm{K}_{n,m}",
         numpy='np.eye(A.shape[0] * A.shape[1])[np.arange(A.shape[0] * A.shape[1]).reshape(A.shape[0], A.shape[1], order="F").T.reshape(-1, order="F")]'),
    Case("vec(X' A)", "X", "jac",
         text="kron(A', eye(m)) commutation(n, m)",
         unicode="(Aᵀ ⊗ eye(m)) commutation(n, m)",
         latex=r"\left(\mathrm{A}^{\top} \otimes \mathrm{I}_{m}\right) \mathrm{K}_{n,m}",
         numpy='np.kron(A.T, np.eye(X.shape[1]))[:, np.arange(X.shape[1] * X.shape[0]).reshape(X.shape[1], X.shape[0], order="F").T.reshape(-1, order="F")]'),
    Case("A x ⊗ y", "x", "jac", back="parses",
         text="kron(eye(n), y) A",
         unicode="(eye(n) ⊗ y) A",
         latex=r"\left(\mathrm{I}_{n} \otimes \mathbf{y}\right) \mathrm{A}",
         numpy="np.kron(A, np.reshape(y, (-1, 1)))"),
    Case("kron(A, B)", "A", "jac", declare="A: n x m; B: p x q",  # B's two sizes need declaring
         text="kron(kron(eye(m), commutation(q, n)), eye(p)) kron(eye(m*n), vec(B))",
         unicode="(eye(m) ⊗ commutation(q, n) ⊗ eye(p)) (eye(m*n) ⊗ vec(B))",
         latex=r"\left(\left(\mathrm{I}_{m} \otimes \mathrm{K}_{q,n}\right) \otimes \mathrm{I}_{p}\right) \left(\mathrm{I}_{m n} \otimes \operatorname{vec}\left(\mathrm{B}\right)\right)",
         numpy='np.kron(np.kron(np.eye(A.shape[1]), np.eye(B.shape[1] * A.shape[0])[np.arange(B.shape[1] * A.shape[0]).reshape(B.shape[1], A.shape[0], order="F").T.reshape(-1, order="F")]), np.eye(B.shape[0])) @ np.kron(np.eye(A.shape[1] * A.shape[0]), np.reshape(np.reshape(B, -1, order="F"), (-1, 1)))'),
    Case("diag(x) A diag(x)", "x", "jac",
         text="(kron(diag(x) A', eye(n)) + kron(eye(n), diag(x) A)) diag(vec(eye(n))) kron(ones(n), eye(n))",
         unicode="(diag(x) Aᵀ ⊗ eye(n) + eye(n) ⊗ (diag(x) A)) diag(vec(eye(n))) (ones(n) ⊗ eye(n))",
         latex=r"\left(\left(\operatorname{diag}\left(\mathbf{x}\right) \mathrm{A}^{\top}\right) \otimes \mathrm{I}_{n} + \mathrm{I}_{n} \otimes \left(\operatorname{diag}\left(\mathbf{x}\right) \mathrm{A}\right)\right) \operatorname{diag}\left(\operatorname{vec}\left(\mathrm{I}_{n}\right)\right) \left(\mathbf{1}_{n} \otimes \mathrm{I}_{n}\right)",
         numpy='(np.kron(x[:, None] * A.T, np.eye(x.shape[0])) + np.kron(np.eye(x.shape[0]), x[:, None] * A)) @ (np.reshape(np.eye(x.shape[0]), -1, order="F")[:, None] * np.kron(np.reshape(np.ones(x.shape[0]), (-1, 1)), np.eye(x.shape[0])))'),
    # -- definitions, named shared subexpressions, softmax and logsumexp -----------------------
    Case("sum(h .* h) where h = tanh(W x)", "W", "grad",
         text="2 (h .* (ones(n) - h .^ 2)) x' where h = tanh(W x)",
         unicode="2 (h ∘ (ones(n) - h .^ 2)) xᵀ where h = tanh(W x)",
         latex=r"2 \left(\mathbf{h} \odot \left(\mathbf{1}_{n} - \mathbf{h}^{\circ 2}\right)\right) \mathbf{x}^{\top} \quad \text{where } \mathbf{h} = \tanh\left(\mathrm{W} \mathbf{x}\right)",
         numpy="np.outer(2 * ((h := np.tanh(W @ x)) * (1 - h ** 2)), x)"),
    Case("sum(h2) where h1 = tanh(W1 x); h2 = exp(W2 h1)", "W1", "grad",
         text="((W2' h2) .* (ones(n) - h1 .^ 2)) x' where h1 = tanh(W1 x); h2 = exp(W2 h1)",
         unicode="((W2ᵀ h2) ∘ (ones(n) - h1 .^ 2)) xᵀ where h1 = tanh(W1 x); h2 = exp(W2 h1)",
         latex=r"\left(\left(\mathrm{W}_{2}^{\top} \mathbf{h}_{2}\right) \odot \left(\mathbf{1}_{n} - \mathbf{h}_{1}^{\circ 2}\right)\right) \mathbf{x}^{\top} \quad \text{where } \mathbf{h}_{1} = \tanh\left(\mathrm{W}_{1} \mathbf{x}\right),\ \mathbf{h}_{2} = \exp\left(\mathrm{W}_{2} \mathbf{h}_{1}\right)",
         numpy="np.outer(W2.T @ np.exp(W2 @ (h1 := np.tanh(W1 @ x))) * (1 - h1 ** 2), x)"),
    Case("sigmoid(w' x)", "w", "grad",
         text="s1 (1 - s1) x where s1 = sigmoid(w' x)",
         unicode="s1 (1 - s1) x where s1 = sigmoid(wᵀ x)",
         latex=r"s_{1} \left(1 - s_{1}\right) \mathbf{x} \quad \text{where } s_{1} = \operatorname{sigmoid}\left(\mathbf{w}^{\top} \mathbf{x}\right)",
         numpy="(s1 := np.exp(-np.logaddexp(0, -(w @ x)))) * (1 - s1) * x"),
    Case("logsumexp(W x)", "W", "grad",
         text="softmax(W x) x'",
         unicode="softmax(W x) xᵀ",
         latex=r"\operatorname{softmax}\left(\mathrm{W} \mathbf{x}\right) \mathbf{x}^{\top}",
         numpy="np.outer((t2 := np.exp((t1 := W @ x) - np.max(t1))) / np.sum(t2), x)"),
    Case("-y' log(softmax(W x))", "W", "grad",
         text="(sum(y) softmax(W x) - y) x'",
         unicode='(sum(y) softmax(W x) - y) xᵀ',
         latex=r"\left(\operatorname{sum}\left(\mathbf{y}\right) \operatorname{softmax}\left(\mathrm{W} \mathbf{x}\right) - \mathbf{y}\right) \mathbf{x}^{\top}",
         numpy="np.outer(np.sum(y) * ((t2 := np.exp((t1 := W @ x) - np.max(t1))) / np.sum(t2)) - y, x)"),
    Case("softmax(z)", "z", "jac",
         text="diag(softmax(z)) - softmax(z) softmax(z)'",
         unicode="diag(softmax(z)) - softmax(z) softmax(z)ᵀ",
         latex=r"\operatorname{diag}\left(\operatorname{softmax}\left(\mathbf{z}\right)\right) - \operatorname{softmax}\left(\mathbf{z}\right) {\operatorname{softmax}\left(\mathbf{z}\right)}^{\top}",
         numpy="np.diag((t2 := (t1 := np.exp(z - np.max(z))) / np.sum(t1))) - np.outer(t2, t2)"),
    Case("softmax(W x)", "x", "jac",
         text="(diag(v1) - v1 v1') W where v1 = softmax(W x)",
         unicode="(diag(v1) - v1 v1ᵀ) W where v1 = softmax(W x)",
         latex=r"\left(\operatorname{diag}\left(\mathbf{v}_{1}\right) - \mathbf{v}_{1} \mathbf{v}_{1}^{\top}\right) \mathrm{W} \quad \text{where } \mathbf{v}_{1} = \operatorname{softmax}\left(\mathrm{W} \mathbf{x}\right)",
         numpy="(v1 := (t2 := np.exp((t1 := W @ x) - np.max(t1))) / np.sum(t2))[:, None] * W - np.outer(v1, v1 @ W)"),
    # -- names: Greek letters, subscripts, Python keywords -------------------------------------
    Case("α ||x||^2 + β' x", "x", "grad", declare="α: scalar; β: n",
         text="2 α x + β",
         unicode="2 α x + β",
         latex=r"2 \alpha \mathbf{x} + \boldsymbol{\beta}",
         numpy="2 * α * x + β"),
    Case("μ_1 x' Λ x", "x", "grad", declare="μ_1: scalar; Λ: n x n",
         text="μ_1 (Λ + Λ') x",
         unicode="μ_1 (Λ + Λᵀ) x",
         latex=r"\mu_{1} \left(\Lambda + \Lambda^{\top}\right) \mathbf{x}",
         numpy="μ_1 * ((Λ + Λ.T) @ x)"),
    Case("eps ||x||^2 + sigma x' y", "x", "grad", declare="eps: scalar; sigma: scalar",
         text="2 eps x + sigma y",
         unicode="2 eps x + sigma y",
         latex=r"2 \epsilon \mathbf{x} + \sigma \mathbf{y}",
         numpy="2 * eps * x + sigma * y"),
    Case("lambda ||x||^2", "x", "grad", declare="lambda: scalar",
         text="2 lambda x",
         unicode="2 lambda x",
         latex=r"2 \lambda \mathbf{x}",
         numpy="2 * lambda_ * x"),
    Case("x_1' A x_1", "x_1", "grad",
         text="(A + A') x_1",
         unicode="(A + Aᵀ) x_1",
         latex=r"\left(\mathrm{A} + \mathrm{A}^{\top}\right) \mathbf{x}_{1}",
         numpy="(A + A.T) @ x_1"),
    # -- symmetric variables -------------------------------------------------------------------
    Case("x' S x", "x", "grad", declare="S: n x n symmetric",
         text="2 S x",
         unicode="2 S x",
         latex=r"2 \mathrm{S} \mathbf{x}",
         numpy="2 * (S @ x)"),
    Case("x' Σ x", "x", "grad", declare="Σ: n x n symmetric",
         text="2 Σ x",
         unicode="2 Σ x",
         latex=r"2 \Sigma \mathbf{x}",
         numpy="2 * (Σ @ x)"),
    Case("x' S x + tr(S)", "S", "grad", declare="S: n x n symmetric", back="parses",
         text="x x' + I",
         unicode="x xᵀ + I",
         latex=r"\mathbf{x} \mathbf{x}^{\top} + \mathrm{I}",
         numpy="np.outer(x, x) + np.eye(x.shape[0])"),
    Case("tr(S A)", "S", "grad", declare="S: n x n symmetric", back="parses",
         text="(A + A')/2",
         unicode="(A + Aᵀ)/2",
         latex=r"\frac{1}{2} \left(\mathrm{A} + \mathrm{A}^{\top}\right)",
         numpy="1 / 2 * (A + A.T)"),
    # -- scalar functions inside results -------------------------------------------------------
    Case("logdet(X) x' x", "x", "grad",
         text="2 logdet(X) x",
         unicode="2 logdet(X) x",
         latex=r"2 \log\det\left(\mathrm{X}\right) \mathbf{x}",
         numpy="2 * np.linalg.slogdet(X)[1] * x"),
    Case("tr(A) x' x", "x", "grad",
         text="2 tr(A) x",
         unicode="2 tr(A) x",
         latex=r"2 \operatorname{tr}\left(\mathrm{A}\right) \mathbf{x}",
         numpy="2 * np.trace(A) * x"),
    Case("diag(A)' x", "x", "grad",
         text="diag(A)",
         unicode="diag(A)",
         latex=r"\operatorname{diag}\left(\mathrm{A}\right)",
         numpy="np.diag(A)"),
    Case("logsumexp(x) ||y||^2", "y", "grad",
         text="2 logsumexp(x) y",
         unicode="2 logsumexp(x) y",
         latex=r"2 \operatorname{logsumexp}\left(\mathbf{x}\right) \mathbf{y}",
         numpy="2 * ((t1 := np.max(x)) + np.log(np.sum(np.exp(x - t1)))) * y"),
    Case("||X||_F", "X", "grad",
         text="X/||X||",
         unicode="X/‖X‖",
         latex=r"\frac{1}{\left\|\mathrm{X}\right\|} \mathrm{X}",
         numpy="(1 / np.linalg.norm(X)) * X"),
    Case("tr(X' X)^2", "X", "grad",
         text="4 tr(X' X) X",
         unicode="4 tr(Xᵀ X) X",
         latex=r"4 \operatorname{tr}\left(\mathrm{X}^{\top} \mathrm{X}\right) \mathrm{X}",
         numpy="4 * np.sum(X.T * X.T) * X"),
    Case("sum(A x)", "x", "grad",
         text="A' ones(n)",
         unicode="Aᵀ ones(n)",
         latex=r"\mathrm{A}^{\top} \mathbf{1}_{n}",
         numpy="np.sum(A.T, axis=1)"),
    Case("x' A x", "x", "hess",
         text="A + A'",
         unicode="A + Aᵀ",
         latex=r"\mathrm{A} + \mathrm{A}^{\top}",
         numpy="A + A.T"),
    Case("(x' y)^2", "x", "hess",
         text="2 y y'",
         unicode="2 y yᵀ",
         latex=r"2 \mathbf{y} \mathbf{y}^{\top}",
         numpy="np.outer(2 * y, y)"),
]

_RESULTS: dict = {}


def result(case: Case) -> matcalc.Result:
    if case not in _RESULTS:
        _RESULTS[case] = matcalc.diff(case.expr, wrt=case.wrt, kind=case.kind, declare=case.declare)
    return _RESULTS[case]


cases = pytest.mark.parametrize("case", CASES, ids=str)


@cases
def test_text(case):
    assert result(case).derivative == case.text


@cases
def test_unicode_text(case):
    assert to_text_where(result(case).derivation.result, unicode=True) == case.unicode


@cases
def test_latex(case):
    assert result(case).latex == case.latex


@cases
def test_numpy(case):
    assert result(case).numpy == case.numpy


@pytest.mark.parametrize("case", [c for c in CASES if c.back], ids=str)
def test_text_parses_back(case):
    r = result(case)
    back = matcalc.analyze(r.derivative, case.declare)
    if case.back == "same":
        assert back.expr is r.derivation.result


# -- the printers are views ------------------------------------------------------------------

PRINTERS = pathlib.Path(matcalc.__file__).parent / "printers"


def matcalc_imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = ["", "matcalc.printers", "matcalc"][node.level] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            if module in ("matcalc", "matcalc.printers"):
                names |= {f"{module}.{a.name}" for a in node.names}
            else:
                names.add(module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return {n for n in names if n.startswith("matcalc")}


@pytest.mark.parametrize("module", ["common", "text", "latex", "numpy"])
def test_a_printer_imports_only_the_ir_and_printers(module):
    imported = matcalc_imports(PRINTERS / f"{module}.py")
    assert imported and all(n == "matcalc.ir" or n.startswith("matcalc.printers.") for n in imported), imported


def test_printing_builds_no_node(monkeypatch):
    derivations = [result(case).derivation for case in CASES]
    built = []
    new = ir.Expr.__new__

    def counting_new(cls, *args):
        built.append(cls.__name__)
        return new(cls, *args)

    monkeypatch.setattr(ir.Expr, "__new__", counting_new)
    for d in derivations:
        for e in (d.result, d.typed.expr):
            to_text_where(e), to_text_where(e, unicode=True), to_latex(e), to_numpy(e, d.typed.names)
    assert built == []
