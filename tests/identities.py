"""The identity table: matrix-calculus facts with their sources, as data.

Each row is an input to matcalc and a hand-written NumPy function ``f`` of the
original expression; the tests differentiate ``f`` by finite differences and compare.
``answer`` is the closed form from the source, checked against ``f`` on its own, so a
row proves itself before it judges matcalc. Imports nothing but NumPy.
"""

import inspect
import keyword
from dataclasses import KW_ONLY, dataclass, field
from typing import Callable, Optional

import numpy as np

# ---------------------------------------------------------------- the vocabulary
# f and answer functions are written in these names, so that they read like the math.

inv, det, tr, outer, eye, kron = (np.linalg.inv, np.linalg.det, np.trace, np.outer,
                                  np.eye, np.kron)
exp, log, sin, cos, tan, tanh, sqrt = np.exp, np.log, np.sin, np.cos, np.tan, np.tanh, np.sqrt
diag, ones, zeros, mpow = np.diag, np.ones, np.zeros, np.linalg.matrix_power


def norm(a):
    """Euclidean norm of a vector, Frobenius norm of a matrix."""
    return np.linalg.norm(a)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softplus(z):
    return np.logaddexp(0, z)


def relu(z):
    return np.maximum(z, 0)


def logsumexp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def logdet(X):
    """log det X; NaN where det X <= 0, so that a bad sample cannot pass silently."""
    sign, value = np.linalg.slogdet(X)
    return value if sign > 0 else np.nan


def vec(M):
    """Stack the columns (column-major), as SPEC §3 does."""
    return np.reshape(M, -1, order="F")


def sym(G):
    return (G + G.T) / 2


def commutation(m, n):
    """K with K vec(A) = vec(A') for every m×n A."""
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[j + n * i, i + m * j] = 1
    return K


def vec_selector(n):
    """E (n²×n) with E x = vec(diag(x)); its transpose reads the diagonal off vec(X)."""
    E = np.zeros((n * n, n))
    for i in range(n):
        E[i + n * i, i] = 1
    return E


# ---------------------------------------------------------------- the row type

@dataclass(frozen=True)
class Identity:
    """One derivative to check.

    ``f`` (and ``answer``) take the variables as keyword arguments named as in
    ``expr`` (a Python keyword gets a trailing underscore: ``lambda_``); call them
    with :meth:`evaluate`, which reads the values from a dict.
    ``answer`` is the derivative laid out as SPEC §3 says for ``command`` and
    ``layout``.  ``spd``/``symmetric``/``positive``/``invertible`` only steer the
    random sampling (invertible: normal + size·I, so that det > 0 and the condition
    number stays small); a ``symmetric`` property declared in ``expr`` also makes the
    variable symmetric.  ``error`` rows are inputs that SPEC says are invalid.
    ``cli`` rows are also run through the command line.
    """

    expr: str
    wrt: str
    _: KW_ONLY
    f: Optional[Callable] = None
    command: str = "diff"
    layout: str = "denominator"
    dims: dict = field(default_factory=dict)
    spd: tuple = ()
    symmetric: tuple = ()
    positive: tuple = ()
    invertible: tuple = ()
    declare: tuple = ()
    source: str = ""
    answer: Optional[Callable] = None
    error: bool = False
    cli: bool = False

    @property
    def names(self):
        """The variables of the expression: the parameters of ``f``."""
        return parameter_names(self.f)

    def evaluate(self, fn, values):
        """Call ``fn`` (``f`` or ``answer``) with the values it names from a dict."""
        return fn(**{python_name(name): values[name] for name in parameter_names(fn)})

    @property
    def id(self):
        layout = "" if self.layout == "denominator" else f" [{self.layout}]"
        return f"{self.source}: {self.command} d/d{self.wrt}{layout} {self.expr}"


def python_name(name):
    return name + "_" if keyword.iskeyword(name) else name


def parameter_names(fn):
    names = inspect.signature(fn).parameters
    return [n[:-1] if n.endswith("_") and keyword.iskeyword(n[:-1]) else n for n in names]


def row(expr, wrt, f=None, **kw):
    return Identity(expr, wrt, f=f, **kw)


def grad(expr, wrt, f=None, **kw):
    return Identity(expr, wrt, f=f, command="grad", **kw)


def jac(expr, wrt, f=None, **kw):
    return Identity(expr, wrt, f=f, command="jac", **kw)


def hess(expr, wrt, f=None, **kw):
    return Identity(expr, wrt, f=f, command="hess", **kw)


def error(expr, wrt, command="diff", **kw):
    return Identity(expr, wrt, command=command, error=True, **kw)


# ---------------------------------------------------------------- helpers for long rows

def mlp_tanh(W1, W2, x, y):
    """||W2 h - y||² with h = tanh(W1 x)."""
    h = tanh(W1 @ x)
    return np.sum((W2 @ h - y) ** 2)


def mlp_tanh_grads(W1, W2, x, y):
    h = tanh(W1 @ x)
    g = 2 * (W2 @ h - y)                  # ∂/∂(W2 h)
    gz = (W2.T @ g) * (1 - h ** 2)         # ∂/∂(W1 x)
    return {"W1": outer(gz, x), "W2": outer(g, h), "x": W1.T @ gz}


def mlp_sigmoid(W1, b1, W2, b2, x, y):
    return np.sum((W2 @ sigmoid(W1 @ x + b1) + b2 - y) ** 2)


def mlp_sigmoid_grads(W1, b1, W2, b2, x, y):
    s = sigmoid(W1 @ x + b1)
    g = 2 * (W2 @ s + b2 - y)
    gz = (W2.T @ g) * s * (1 - s)
    return {"W1": outer(gz, x), "b1": gz}


def mlp_relu(W1, W2, x, y):
    return np.sum((W2 @ relu(W1 @ x) - y) ** 2)


def mlp_relu_grads(W1, W2, x, y):
    z = W1 @ x
    g = 2 * (W2 @ relu(z) - y)
    return {"W1": outer((W2.T @ g) * (z > 0), x), "W2": outer(g, relu(z))}


def mlp2_xent(W1, W2, W3, x, y):
    """logsumexp(W3 h2) - y' W3 h2 with h1 = tanh(W1 x), h2 = sigmoid(W2 h1)."""
    h2 = sigmoid(W2 @ tanh(W1 @ x))
    return logsumexp(W3 @ h2) - y @ W3 @ h2


def mlp2_xent_grads(W1, W2, W3, x, y):
    h1 = tanh(W1 @ x)
    h2 = sigmoid(W2 @ h1)
    g3 = softmax(W3 @ h2) - y
    g2 = (W3.T @ g3) * h2 * (1 - h2)
    g1 = (W2.T @ g2) * (1 - h1 ** 2)
    return {"W1": outer(g1, x), "W2": outer(g2, h1), "W3": outer(g3, h2)}


def gaussian_nll(S, x, mu):
    d = x - mu
    return 0.5 * logdet(S) + 0.5 * d @ inv(S) @ d


def sympy_long(a, b, A, B, C, D, X):
    """The long expression of sympy's test_derivatives_of_complicated_matrix_expr."""
    inner = (outer(a, b) @ (X @ D @ X.T + X @ (X.T @ B + A @ X) @ D @ B - X.T @ C.T @ A) @ B
             + B @ (X @ D.T + B @ A @ X @ A.T - 3 * X @ D))
    return a @ (A @ X @ (X.T @ B + X @ A) + B.T @ X.T @ inner @ B
                + 42 * X @ B @ X.T @ A.T @ (X + X.T)) @ b


def cookbook_123(B, C, X):
    return (C @ X @ X.T @ C @ X @ B @ B.T + C.T @ X @ B @ B.T @ X.T @ C.T @ X
            + C @ X @ B @ B.T @ X.T @ C @ X + C.T @ X @ X.T @ C.T @ X @ B @ B.T)


def power_bilinear(a, X, b, k):
    """∂(a' X^k b)/∂X = Σ_r (X^r)' a b' (X^(k-1-r))'."""
    return sum(mpow(X, r).T @ outer(a, b) @ mpow(X, k - 1 - r).T for r in range(k))


def power_quadratic(a, X, b, k):
    """∂(a' (X^k)' X^k b)/∂X = Σ_r (X^r)' X^k (a b' + b a') (X^(k-1-r))'."""
    Y = mpow(X, k)
    return sum(mpow(X, r).T @ Y @ (outer(a, b) + outer(b, a)) @ mpow(X, k - 1 - r).T
               for r in range(k))


# ---------------------------------------------------------------- the table
# Dimensions not given in ``dims`` default to n=3, m=4, p=2, q=5 (see the tests).

SEED = [
    grad("a' x where a: n; x: n", "x", lambda a, x: a @ x,
         answer=lambda a: a, source="seed cheat sheet: linear form"),
    grad("x' A x where x: n; A: n x n", "x", lambda x, A: x @ A @ x,
         answer=lambda x, A: (A + A.T) @ x, source="seed cheat sheet: quadratic form", cli=True),
    row("x' A x where A: n x n symmetric; x: n", "x", lambda x, A: x @ A @ x,
        answer=lambda x, A: 2 * A @ x, source="seed cheat sheet: quadratic form, A symmetric"),
    row("x' x where x: n", "x", lambda x: x @ x,
        answer=lambda x: 2 * x, source="seed cheat sheet: squared L2 norm"),
    jac("A x + b where A: m x n; x: n; b: m", "x", lambda A, x, b: A @ x + b,
        answer=lambda A: A, source="seed cheat sheet: affine transform"),
    row("tr(A X) where A: n x m; X: m x n", "X", lambda A, X: tr(A @ X),
        answer=lambda A: A.T, source="seed cheat sheet: trace linear form; Cookbook (100)"),
    row("a' X b where a: m; X: m x n; b: n", "X", lambda a, X, b: a @ X @ b,
        answer=lambda a, b: outer(a, b), source="seed cheat sheet: bilinear form; Cookbook (70)",
        cli=True),
    row("tr(X' A X) where X: n x m; A: n x n", "X", lambda X, A: tr(X.T @ A @ X),
        answer=lambda X, A: (A + A.T) @ X, source="seed cheat sheet: trace quadratic form; Cookbook (108)"),
    row("det(X) where X: n x n", "X", lambda X: det(X), invertible=("X",),
        answer=lambda X: det(X) * inv(X).T, source="seed cheat sheet: determinant; Cookbook (49)",
        cli=True),
    grad("1/N ||X w - y||^2 where X: m x n; w: n; y: m; N: scalar", "w",
         lambda X, w, y, N: np.sum((X @ w - y) ** 2) / N, positive=("N",),
         answer=lambda X, w, y, N: 2 / N * X.T @ (X @ w - y),
         source="seed cheat sheet: linear regression MSE"),
    row("x' A x", "x", lambda x, A: x @ A @ x,
        source="SPEC §4 json example (shapes inferred)"),
    jac("A x + b", "x", lambda A, x, b: A @ x + b,
        source="seed cheat sheet: affine transform (shapes inferred)"),
    row("x' A x", "x", lambda x, A: x @ A @ x, declare=("A: n x n symmetric", "x: n"),
        answer=lambda x, A: 2 * A @ x, source="SPEC §5 API example (declare=)"),
]

COOKBOOK_DETERMINANT_INVERSE = [
    row("logdet(X) where X: n x n", "X", lambda X: logdet(X), invertible=("X",),
        answer=lambda X: inv(X).T, source="Cookbook (43)"),
    row("log(abs(det(X))) where X: n x n", "X", lambda X: log(abs(det(X))),
        answer=lambda X: inv(X).T, source="Cookbook (57)"),
    row("det(A X B) where A: n x n; X: n x n; B: n x n", "X", lambda A, X, B: det(A @ X @ B),
        invertible=("A", "X", "B"),
        answer=lambda A, X, B: det(A @ X @ B) * inv(X).T, source="Cookbook (51)"),
    row("det(X' A X) where X: n x n; A: n x n", "X", lambda X, A: det(X.T @ A @ X),
        invertible=("X", "A"),
        answer=lambda X, A: 2 * det(X.T @ A @ X) * inv(X).T, source="Cookbook (52)"),
    row("det(X' A X) where X: m x n; A: m x m symmetric", "X", lambda X, A: det(X.T @ A @ X),
        spd=("A",),
        answer=lambda X, A: 2 * det(X.T @ A @ X) * A @ X @ inv(X.T @ A @ X),
        source="Cookbook (53)"),
    row("det(X' A X) where X: m x n; A: m x m", "X", lambda X, A: det(X.T @ A @ X),
        invertible=("A",),
        answer=lambda X, A: det(X.T @ A @ X) * (A @ X @ inv(X.T @ A @ X)
                                                + A.T @ X @ inv(X.T @ A @ X).T),
        source="Cookbook (54)"),
    row("logdet(X' X) where X: m x n", "X", lambda X: logdet(X.T @ X),
        answer=lambda X: 2 * X @ inv(X.T @ X), source="Cookbook (55)"),
    row("det(X^3) where X: n x n", "X", lambda X: det(mpow(X, 3)), invertible=("X",),
        answer=lambda X: 3 * det(mpow(X, 3)) * inv(X).T, source="Cookbook (58)"),
    jac("X^-1 where X: n x n", "X", lambda X: inv(X), invertible=("X",),
        answer=lambda X: -kron(inv(X).T, inv(X)), source="Cookbook (59)-(60), vec form"),
    row("inv(A + t B) where A: n x n; B: n x n; t: scalar", "t", lambda A, B, t: inv(A + t * B),
        spd=("A", "B"), positive=("t",),
        answer=lambda A, B, t: -inv(A + t * B) @ B @ inv(A + t * B), source="Cookbook (59)"),
    row("a' X^-1 b where a: n; X: n x n; b: n", "X", lambda a, X, b: a @ inv(X) @ b,
        invertible=("X",),
        answer=lambda a, X, b: -inv(X).T @ outer(a, b) @ inv(X).T, source="Cookbook (61)",
        cli=True),
    row("a' X^{-1} b where a: n; X: n x n; b: n", "X", lambda a, X, b: a @ inv(X) @ b,
        invertible=("X",),
        answer=lambda a, X, b: -inv(X).T @ outer(a, b) @ inv(X).T, source="Cookbook (61), braces"),
    row("a' inv(X) b where a: n; X: n x n; b: n", "X", lambda a, X, b: a @ inv(X) @ b,
        invertible=("X",),
        answer=lambda a, X, b: -inv(X).T @ outer(a, b) @ inv(X).T, source="Cookbook (61), inv()"),
    row("a' X^-T b where a: n; X: n x n; b: n", "X", lambda a, X, b: a @ inv(X).T @ b,
        invertible=("X",),
        answer=lambda a, X, b: -inv(X).T @ outer(b, a) @ inv(X).T,
        source="Cookbook (61), inverse transpose"),
    row("det(X^-1) where X: n x n", "X", lambda X: det(inv(X)), invertible=("X",),
        answer=lambda X: -det(inv(X)) * inv(X).T, source="Cookbook (62)"),
    row("tr(A X^-1 B) where A: m x n; X: n x n; B: n x m", "X",
        lambda A, X, B: tr(A @ inv(X) @ B), invertible=("X",),
        answer=lambda A, X, B: -(inv(X) @ B @ A @ inv(X)).T, source="Cookbook (63)"),
    row("tr((X + A)^-1) where X: n x n; A: n x n", "X", lambda X, A: tr(inv(X + A)),
        invertible=("X",), spd=("A",),
        answer=lambda X, A: -(inv(X + A) @ inv(X + A)).T, source="Cookbook (64)"),
]

COOKBOOK_FORMS = [
    row("x' a where x: n; a: n", "x", lambda x, a: x @ a,
        answer=lambda a: a, source="Cookbook (69)"),
    row("a^T X b where a: R^m; X: R^{m x n}; b: R^n", "X", lambda a, X, b: a @ X @ b,
        answer=lambda a, b: outer(a, b), source="Cookbook (70), R^ declarations"),
    row("a' X b where a: 2; X: 2 x 3; b: 3", "X", lambda a, X, b: a @ X @ b,
        answer=lambda a, b: outer(a, b), source="Cookbook (70), integer sizes"),
    row("a' X' b where a: n; X: m x n; b: m", "X", lambda a, X, b: a @ X.T @ b,
        answer=lambda a, b: outer(b, a), source="Cookbook (71)"),
    row("a' X a where a: n; X: n x n", "X", lambda a, X: a @ X @ a,
        answer=lambda a: outer(a, a), source="Cookbook (72)"),
    row("a' X' a where a: n; X: n x n", "X", lambda a, X: a @ X.T @ a,
        answer=lambda a: outer(a, a), source="Cookbook (72), transposed"),
    row("b' X' X c where b: n; X: m x n; c: n", "X", lambda b, X, c: b @ X.T @ X @ c,
        answer=lambda b, X, c: X @ (outer(b, c) + outer(c, b)), source="Cookbook (77)"),
    row("(B x + b)' C (D x + d) where x: n; B: m x n; b: m; C: m x p; D: p x n; d: p", "x",
        lambda x, B, b, C, D, d: (B @ x + b) @ C @ (D @ x + d),
        answer=lambda x, B, b, C, D, d: B.T @ C @ (D @ x + d) + D.T @ C.T @ (B @ x + b),
        source="Cookbook (78)"),
    row("x^T B x where x: n; B: n x n", "x", lambda x, B: x @ B @ x,
        answer=lambda x, B: (B + B.T) @ x, source="Cookbook (81)"),
    row("x^⊤ B x where x: n; B: n×n", "x", lambda x, B: x @ B @ x,
        answer=lambda x, B: (B + B.T) @ x, source="Cookbook (81), ^⊤ and n×n"),
    row("x^{T} B x where x: n; B: (n, n)", "x", lambda x, B: x @ B @ x,
        answer=lambda x, B: (B + B.T) @ x, source="Cookbook (81), ^{T} and (n, n)"),
    row("b' X' D X c where b: n; X: m x n; D: m x m; c: n", "X",
        lambda b, X, D, c: b @ X.T @ D @ X @ c,
        answer=lambda b, X, D, c: D.T @ X @ outer(b, c) + D @ X @ outer(c, b),
        source="Cookbook (82)"),
    row("(X b + c)' D (X b + c) where X: m x n; b: n; c: m; D: m x m", "X",
        lambda X, b, c, D: (X @ b + c) @ D @ (X @ b + c),
        answer=lambda X, b, c, D: (D + D.T) @ outer(X @ b + c, b), source="Cookbook (83)"),
    row("(x - A s)' W (x - A s) where x: m; A: m x n; s: n; W: m x m symmetric", "s",
        lambda x, A, s, W: (x - A @ s) @ W @ (x - A @ s),
        answer=lambda x, A, s, W: -2 * A.T @ W @ (x - A @ s), source="Cookbook (84)"),
    row("(x - s)' W (x - s) where x: n; s: n; W: n x n symmetric", "x",
        lambda x, s, W: (x - s) @ W @ (x - s),
        answer=lambda x, s, W: 2 * W @ (x - s), source="Cookbook (85)"),
    row("(x - s)' W (x - s) where x: n; s: n; W: n x n symmetric", "s",
        lambda x, s, W: (x - s) @ W @ (x - s),
        answer=lambda x, s, W: -2 * W @ (x - s), source="Cookbook (86)"),
    row("(x - A s)' W (x - A s) where x: m; A: m x n; s: n; W: m x m symmetric", "x",
        lambda x, A, s, W: (x - A @ s) @ W @ (x - A @ s),
        answer=lambda x, A, s, W: 2 * W @ (x - A @ s), source="Cookbook (87)"),
    row("(x - A s)' W (x - A s) where x: m; A: m x n; s: n; W: m x m symmetric", "A",
        lambda x, A, s, W: (x - A @ s) @ W @ (x - A @ s),
        answer=lambda x, A, s, W: -2 * outer(W @ (x - A @ s), s), source="Cookbook (88)"),
    row("a' X^3 b where a: n; X: n x n; b: n", "X", lambda a, X, b: a @ mpow(X, 3) @ b,
        answer=lambda a, X, b: power_bilinear(a, X, b, 3), source="Cookbook §2.4.3: a' X^k b"),
    row("a' (X^2)' X^2 b where a: n; X: n x n; b: n", "X",
        lambda a, X, b: a @ mpow(X, 2).T @ mpow(X, 2) @ b,
        answer=lambda a, X, b: power_quadratic(a, X, b, 2), source="Cookbook §2.4.3: a' (X^k)' X^k b (answer re-derived)"),
    grad("x' A x + b' x where x: n; A: n x n; b: n", "x", lambda x, A, b: x @ A @ x + b @ x,
         answer=lambda x, A, b: (A + A.T) @ x + b, source="Cookbook §2.4.4 gradient"),
    hess("x' A x + b' x where x: n; A: n x n; b: n", "x", lambda x, A, b: x @ A @ x + b @ x,
         answer=lambda A: A + A.T, source="Cookbook §2.4.4 Hessian"),
]

COOKBOOK_TRACE = [
    row("tr(X) where X: n x n", "X", lambda X: tr(X),
        answer=lambda X: eye(len(X)), source="Cookbook (99)"),
    row("tr(X A) where X: m x n; A: n x m", "X", lambda X, A: tr(X @ A),
        answer=lambda A: A.T, source="Cookbook (100)"),
    row("tr(A X B) where A: p x m; X: m x n; B: n x p", "X", lambda A, X, B: tr(A @ X @ B),
        answer=lambda A, B: A.T @ B.T, source="Cookbook (101)"),
    row("tr(A X' B) where A: p x n; X: m x n; B: m x p", "X", lambda A, X, B: tr(A @ X.T @ B),
        answer=lambda A, B: B @ A, source="Cookbook (102)"),
    row("tr(X' A) where X: m x n; A: m x n", "X", lambda X, A: tr(X.T @ A),
        answer=lambda A: A, source="Cookbook (103)"),
    row("tr(A X') where A: m x n; X: m x n", "X", lambda A, X: tr(A @ X.T),
        answer=lambda A: A, source="Cookbook (104)"),
    row("tr(kron(A, X)) where A: m x m; X: n x n", "X", lambda A, X: tr(kron(A, X)),
        answer=lambda A, X: tr(A) * eye(len(X)), source="Cookbook (105)"),
    row("tr(A ⊗ X) where A: m x m; X: n x n", "X", lambda A, X: tr(kron(A, X)),
        answer=lambda A, X: tr(A) * eye(len(X)), source="Cookbook (105), ⊗"),
    row("tr(X^2) where X: n x n", "X", lambda X: tr(X @ X),
        answer=lambda X: 2 * X.T, source="Cookbook (106)"),
    row("tr(X^2 B) where X: n x n; B: n x n", "X", lambda X, B: tr(X @ X @ B),
        answer=lambda X, B: (X @ B + B @ X).T, source="Cookbook (107)"),
    row("tr(X X B) where X: n x n; B: n x n", "X", lambda X, B: tr(X @ X @ B),
        answer=lambda X, B: (X @ B + B @ X).T, source="Cookbook (107), X X"),
    row("tr(X' B X) where X: m x n; B: m x m", "X", lambda X, B: tr(X.T @ B @ X),
        answer=lambda X, B: B @ X + B.T @ X, source="Cookbook (108)"),
    row("tr(B X X') where X: m x n; B: m x m", "X", lambda X, B: tr(B @ X @ X.T),
        answer=lambda X, B: B @ X + B.T @ X, source="Cookbook (109)"),
    row("tr(X X' B) where X: m x n; B: m x m", "X", lambda X, B: tr(X @ X.T @ B),
        answer=lambda X, B: B @ X + B.T @ X, source="Cookbook (110)"),
    row("tr(X B X') where X: m x n; B: n x n", "X", lambda X, B: tr(X @ B @ X.T),
        answer=lambda X, B: X @ B.T + X @ B, source="Cookbook (111)"),
    row("tr(B X' X) where X: m x n; B: n x n", "X", lambda X, B: tr(B @ X.T @ X),
        answer=lambda X, B: X @ B.T + X @ B, source="Cookbook (112)"),
    row("tr(X' X B) where X: m x n; B: n x n", "X", lambda X, B: tr(X.T @ X @ B),
        answer=lambda X, B: X @ B.T + X @ B, source="Cookbook (113)"),
    row("tr(A X B X) where X: n x m; A: m x n; B: m x n", "X",
        lambda A, X, B: tr(A @ X @ B @ X),
        answer=lambda A, X, B: A.T @ X.T @ B.T + B.T @ X.T @ A.T, source="Cookbook (114)"),
    row("tr(X' X) where X: m x n", "X", lambda X: tr(X.T @ X),
        answer=lambda X: 2 * X, source="Cookbook (115)"),
    row("tr(X X') where X: m x n", "X", lambda X: tr(X @ X.T),
        answer=lambda X: 2 * X, source="Cookbook (115), X X'"),
    row("tr(B' X' C X B) where X: m x n; B: n x p; C: m x m", "X",
        lambda X, B, C: tr(B.T @ X.T @ C @ X @ B),
        answer=lambda X, B, C: C.T @ X @ B @ B.T + C @ X @ B @ B.T, source="Cookbook (116)"),
    row("tr(X' B X C) where X: m x n; B: m x m; C: n x n", "X",
        lambda X, B, C: tr(X.T @ B @ X @ C),
        answer=lambda X, B, C: B @ X @ C + B.T @ X @ C.T, source="Cookbook (117)"),
    row("tr(A X B X' C) where A: p x m; X: m x n; B: n x n; C: m x p", "X",
        lambda A, X, B, C: tr(A @ X @ B @ X.T @ C),
        answer=lambda A, X, B, C: A.T @ C.T @ X @ B.T + C @ A @ X @ B, source="Cookbook (118)"),
    row("tr((A X B + C) (A X B + C)') where A: p x m; X: m x n; B: n x q; C: p x q", "X",
        lambda A, X, B, C: tr((A @ X @ B + C) @ (A @ X @ B + C).T),
        answer=lambda A, X, B, C: 2 * A.T @ (A @ X @ B + C) @ B.T, source="Cookbook (119)"),
    row("tr(X)^2 where X: n x n", "X", lambda X: tr(X) ** 2,
        answer=lambda X: 2 * tr(X) * eye(len(X)), source="Cookbook (120)"),
    row("tr(kron(X, X)) where X: n x n", "X", lambda X: tr(kron(X, X)),
        answer=lambda X: 2 * tr(X) * eye(len(X)), source="Cookbook (120), kron"),
    row("tr(X^3) where X: n x n", "X", lambda X: tr(mpow(X, 3)),
        answer=lambda X: 3 * (X @ X).T, source="Cookbook (121)"),
    row("tr(A X^3) where A: n x n; X: n x n", "X", lambda A, X: tr(A @ mpow(X, 3)),
        answer=lambda A, X: sum((mpow(X, r) @ A @ mpow(X, 2 - r)).T for r in range(3)),
        source="Cookbook (122)"),
    row("tr(B' X' C X X' C X B) where X: m x n; C: m x m; B: n x p", "X",
        lambda X, C, B: tr(B.T @ X.T @ C @ X @ X.T @ C @ X @ B),
        answer=cookbook_123, source="Cookbook (123)"),
    row("tr(A inv(X) B) where A: m x n; X: n x n; B: n x m", "X",
        lambda A, X, B: tr(A @ inv(X) @ B), invertible=("X",),
        answer=lambda A, X, B: -inv(X).T @ A.T @ B.T @ inv(X).T, source="Cookbook (124)"),
    row("tr((X' C X)^-1 A) where X: m x n; C: m x m symmetric; A: n x n", "X",
        lambda X, C, A: tr(inv(X.T @ C @ X) @ A), spd=("C",),
        answer=lambda X, C, A: -C @ X @ inv(X.T @ C @ X) @ (A + A.T) @ inv(X.T @ C @ X),
        source="Cookbook (125)"),
    row("tr((X' C X)^-1 (X' B X)) where X: m x n; C: m x m symmetric; B: m x m symmetric", "X",
        lambda X, C, B: tr(inv(X.T @ C @ X) @ X.T @ B @ X), spd=("C",),
        answer=lambda X, C, B: (-2 * C @ X @ inv(X.T @ C @ X) @ X.T @ B @ X @ inv(X.T @ C @ X)
                                + 2 * B @ X @ inv(X.T @ C @ X)),
        source="Cookbook (126)"),
    row("tr((A + X' C X)^-1 (X' B X)) where A: n x n symmetric; X: m x n; "
        "C: m x m symmetric; B: m x m symmetric", "X",
        lambda A, X, C, B: tr(inv(A + X.T @ C @ X) @ X.T @ B @ X), spd=("A", "C"),
        answer=lambda A, X, C, B: (
            -2 * C @ X @ inv(A + X.T @ C @ X) @ X.T @ B @ X @ inv(A + X.T @ C @ X)
            + 2 * B @ X @ inv(A + X.T @ C @ X)),
        source="Cookbook (127)"),
]

COOKBOOK_NORMS = [
    row("||x - a|| where x: n; a: n", "x", lambda x, a: norm(x - a),
        answer=lambda x, a: (x - a) / norm(x - a), source="Cookbook (129)"),
    row("norm2(x - a) where x: n; a: n", "x", lambda x, a: norm(x - a),
        answer=lambda x, a: (x - a) / norm(x - a), source="Cookbook (129), norm2"),
    row("‖x - a‖_2 where x: n; a: n", "x", lambda x, a: norm(x - a),
        answer=lambda x, a: (x - a) / norm(x - a), source="Cookbook (129), ‖·‖_2"),
    jac("(x - a) / ||x - a|| where x: n; a: n", "x", lambda x, a: (x - a) / norm(x - a),
        answer=lambda x, a: eye(len(x)) / norm(x - a) - outer(x - a, x - a) / norm(x - a) ** 3,
        source="Cookbook (130)"),
    row("||x||^2 where x: n", "x", lambda x: x @ x,
        answer=lambda x: 2 * x, source="Cookbook (131)"),
    row("||x||_2^2 where x: n", "x", lambda x: x @ x,
        answer=lambda x: 2 * x, source="Cookbook (131), _2"),
    row("norm2(x)^2 where x: n", "x", lambda x: x @ x,
        answer=lambda x: 2 * x, source="Cookbook (131), norm2"),
    row("||X||_F^2 where X: m x n", "X", lambda X: norm(X) ** 2,
        answer=lambda X: 2 * X, source="Cookbook (132)"),
    row("‖X‖_F^2 where X: m x n", "X", lambda X: norm(X) ** 2,
        answer=lambda X: 2 * X, source="Cookbook (132), ‖·‖_F"),
    row("||X||_F where X: m x n", "X", lambda X: norm(X),
        answer=lambda X: X / norm(X), source="Cookbook (132), unsquared"),
]

SYMPY = [
    jac("2 mu x where mu: scalar; x: n", "x", lambda mu, x: 2 * mu * x,
        answer=lambda mu, x: 2 * mu * eye(len(x)),
        source="SymPy test_matrix_derivative_by_scalar: 2 mu x"),
    row("t x where t: scalar; x: n", "t", lambda t, x: t * x,
        answer=lambda x: x, source="SymPy test_matrix_derivative_by_scalar: i x"),
    row("sin(t) A B x where t: scalar; A: n x m; B: m x p; x: p", "t",
        lambda t, A, B, x: sin(t) * A @ B @ x,
        answer=lambda t, A, B, x: cos(t) * A @ B @ x,
        source="SymPy test_matrix_derivative_by_scalar: sin(i) A B x"),
    row("tr(t^2 X) where t: scalar; X: n x n", "t", lambda t, X: tr(t ** 2 * X),
        answer=lambda t, X: 2 * t * tr(X), source="SymPy test_matrix_derivative_by_scalar: Trace(i² X)"),
    row("sum(x) where x: n", "x", lambda x: np.sum(x),
        answer=lambda x: ones(len(x)), source="SymPy test_one_matrix: x' 1"),
    jac("A' where A: n x n", "A", lambda A: A.T,
        answer=lambda A: commutation(len(A), len(A)),
        source="SymPy test_matrix_derivative_non_matrix_result: A'"),
    jac("2 A where A: n x n", "A", lambda A: 2 * A,
        answer=lambda A: 2 * eye(A.size), source="SymPy test_matrix_derivative_non_matrix_result: 2A"),
    jac("A + A where A: n x n", "A", lambda A: A + A,
        answer=lambda A: 2 * eye(A.size), source="SymPy test_matrix_derivative_non_matrix_result: A + A"),
    jac("A + B where A: n x n; B: n x n", "A", lambda A, B: A + B,
        answer=lambda A: eye(A.size), source="SymPy test_matrix_derivative_non_matrix_result: A + B"),
    row("x' y where x: n; y: n", "x", lambda x, y: x @ y,
        answer=lambda y: y, source="SymPy test_derivatives_matrix_norms: x' y"),
    row("(x' y)^(1/2) where x: n; y: n", "x", lambda x, y: sqrt(x @ y), positive=("x", "y"),
        answer=lambda x, y: y / (2 * sqrt(x @ y)),
        source="SymPy test_derivatives_matrix_norms: (x' y)^½"),
    row("(x' x)^(1/2) where x: n", "x", lambda x: sqrt(x @ x),
        answer=lambda x: x / sqrt(x @ x), source="SymPy test_derivatives_matrix_norms: (x' x)^½"),
    row("(c' a x' b)^(1/2) where a: n; b: n; c: n; x: n", "x",
        lambda a, b, c, x: sqrt((c @ a) * (x @ b)), positive=("a", "b", "c", "x"),
        answer=lambda a, b, c, x: b * (a @ c) / (2 * sqrt((c @ a) * (x @ b))),
        source="SymPy test_derivatives_matrix_norms: (c' a x' b)^½"),
    row("(c' a x' b)^(1/3) where a: n; b: n; c: n; x: n", "x",
        lambda a, b, c, x: ((c @ a) * (x @ b)) ** (1 / 3), positive=("a", "b", "c", "x"),
        answer=lambda a, b, c, x: b * (a @ c) * ((c @ a) * (x @ b)) ** (-2 / 3) / 3,
        source="SymPy test_derivatives_matrix_norms: (c' a x' b)^⅓"),
    row("(a' X b)^(1/2) where a: m; X: m x n; b: n", "X", lambda a, X, b: sqrt(a @ X @ b),
        positive=("a", "X", "b"),
        answer=lambda a, X, b: outer(a, b) / (2 * sqrt(a @ X @ b)),
        source="SymPy test_derivatives_matrix_norms: (a' X b)^½"),
    row("d' x (a' X b)^(1/2) y' c where d: n; x: n; a: m; X: m x n; b: n; y: p; c: p", "X",
        lambda d, x, a, X, b, y, c: (d @ x) * sqrt(a @ X @ b) * (y @ c), positive=("a", "X", "b"),
        answer=lambda d, x, a, X, b, y, c: (d @ x) * (y @ c) * outer(a, b) / (2 * sqrt(a @ X @ b)),
        source="SymPy test_derivatives_matrix_norms: d' x (a' X b)^½ y' c"),
    jac("tan(x) where x: n", "x", lambda x: tan(x),
        answer=lambda x: diag(1 + tan(x) ** 2),
        source="SymPy test_derivatives_elementwise_applyfunc: tan(x)"),
    row("sin(t^2 x) where t: scalar; x: n", "t", lambda t, x: sin(t ** 2 * x),
        answer=lambda t, x: 2 * t * x * cos(t ** 2 * x),
        source="SymPy test_derivatives_elementwise_applyfunc: sin(i² x)"),
    row("sin(log(t) A B) where t: scalar; A: n x m; B: m x p", "t",
        lambda t, A, B: sin(log(t) * A @ B), positive=("t",),
        answer=lambda t, A, B: A @ B / t * cos(log(t) * A @ B),
        source="SymPy test_derivatives_elementwise_applyfunc: sin(log(i) A B)"),
    jac("A exp(x) where A: m x n; x: n", "x", lambda A, x: A @ exp(x),
        answer=lambda A, x: A @ diag(exp(x)),
        source="SymPy test_derivatives_elementwise_applyfunc: A exp(x)"),
    row("x' A x + k sin(y)' x where x: n; A: n x n; k: scalar; y: n", "x",
        lambda x, A, k, y: x @ A @ x + k * sin(y) @ x,
        answer=lambda x, A, k, y: (A + A.T) @ x + k * sin(y),
        source="SymPy test_derivatives_elementwise_applyfunc: x' A x + k sin(y)' x"),
    row("sin(x)' y where x: n; y: n", "x", lambda x, y: sin(x) @ y,
        answer=lambda x, y: cos(x) * y,
        source="SymPy test_derivatives_elementwise_applyfunc: sin(x)' y"),
    row("sin(a' X b) where a: m; X: m x n; b: n", "X", lambda a, X, b: sin(a @ X @ b),
        answer=lambda a, X, b: cos(a @ X @ b) * outer(a, b),
        source="SymPy test_derivatives_elementwise_applyfunc: sin(a' X b)"),
    row("a' sin(X) b where a: m; X: m x n; b: n", "X", lambda a, X, b: a @ sin(X) @ b,
        answer=lambda a, X, b: outer(a, b) * cos(X),
        source="SymPy test_derivatives_elementwise_applyfunc: a' sin(X) b"),
    row("a' sin(A X B) b where a: p; A: p x m; X: m x n; B: n x q; b: q", "X",
        lambda a, A, X, B, b: a @ sin(A @ X @ B) @ b,
        answer=lambda a, A, X, B, b: A.T @ (outer(a, b) * cos(A @ X @ B)) @ B.T,
        source="SymPy test_derivatives_elementwise_applyfunc: a' sin(A X B) b"),
    row("a' A sin(X) B b where a: p; A: p x m; X: m x n; B: n x q; b: q", "X",
        lambda a, A, X, B, b: a @ A @ sin(X) @ B @ b,
        answer=lambda a, A, X, B, b: (A.T @ outer(a, b) @ B.T) * cos(X),
        source="SymPy test_derivatives_elementwise_applyfunc: a' A sin(X) B b"),
    row("a' log(A exp(X) B) b where a: p; A: p x m; X: m x n; B: n x q; b: q", "X",
        lambda a, A, X, B, b: a @ log(A @ exp(X) @ B) @ b, positive=("A", "B"),
        answer=lambda a, A, X, B, b: (A.T @ (outer(a, b) / (A @ exp(X) @ B)) @ B.T) * exp(X),
        source="SymPy test_derivatives_elementwise_applyfunc (TODO case, adapted): a' log(A f(X) B) b"),
    jac("a .* x .* b where a: n; x: n; b: n", "x", lambda a, x, b: a * x * b,
        answer=lambda a, b: diag(a * b),
        source="SymPy test_derivatives_of_hadamard_expressions: a ∘ x ∘ b"),
    row("a' (A .* X .* B) b where a: m; A: m x n; X: m x n; B: m x n; b: n", "X",
        lambda a, A, X, B, b: a @ (A * X * B) @ b,
        answer=lambda a, A, B, b: outer(a, b) * A * B,
        source="SymPy test_derivatives_of_hadamard_expressions: a' (A ∘ X ∘ B) b"),
    row("a' (X ∘ B) b where a: m; X: m x n; B: m x n; b: n", "X",
        lambda a, X, B, b: a @ (X * B) @ b,
        answer=lambda a, B, b: outer(a, b) * B,
        source="SymPy test_derivatives_of_hadamard_expressions: a' (X ∘ B) b, ∘"),
    jac("x .^ 2 where x: n", "x", lambda x: x ** 2,
        answer=lambda x: diag(2 * x), source="SymPy test_derivatives_of_hadamard_expressions: x.^2"),
    jac("x .^ 0.5 where x: n", "x", lambda x: x ** 0.5, positive=("x",),
        answer=lambda x: diag(0.5 * x ** -0.5),
        source="SymPy test_derivatives_of_hadamard_expressions: x.^½"),
    row("(a' X b) .^ 2 where a: m; X: m x n; b: n", "X", lambda a, X, b: (a @ X @ b) ** 2,
        answer=lambda a, X, b: 2 * (a @ X @ b) * outer(a, b),
        source="SymPy test_derivatives_of_hadamard_expressions: (a' X b).^2"),
    jac("x x' x where x: n", "x", lambda x: x * (x @ x),
        answer=lambda x: (x @ x) * eye(len(x)) + 2 * outer(x, x),
        source="SymPy test_matrix_derivative_vectors_and_scalars: x x' x (issue 16504)"),
    jac("tr(A) A where A: n x n", "A", lambda A: tr(A) * A,
        answer=lambda A: outer(vec(A), vec(eye(len(A)))) + tr(A) * eye(A.size),
        source="SymPy test_matrix_derivatives_of_traces: Trace(A) A"),
    row("3 tr(A) where A: n x n", "A", lambda A: 3 * tr(A),
        answer=lambda A: 3 * eye(len(A)), source="SymPy test_mixed_deriv_mixed_expressions: 3 Trace(A)"),
    row("tr(A)^2 where A: n x n", "A", lambda A: tr(A) ** 2,
        answer=lambda A: 2 * tr(A) * eye(len(A)),
        source="SymPy test_mixed_deriv_mixed_expressions: Trace(A)²"),
    row("tr(tr(A) A) where A: n x n", "A", lambda A: tr(tr(A) * A),
        answer=lambda A: 2 * tr(A) * eye(len(A)),
        source="SymPy test_mixed_deriv_mixed_expressions: Trace(Trace(A) A)"),
    row("tr(tr(tr(A) A) A) where A: n x n", "A", lambda A: tr(tr(tr(A) * A) * A),
        answer=lambda A: 3 * tr(A) ** 2 * eye(len(A)),
        source="SymPy test_mixed_deriv_mixed_expressions: Trace(Trace(Trace(A) A) A)"),
    row("a' (A X (X' B + X A) + B' X' (a b' (X D X' + X (X' B + A X) D B - X' C' A) B "
        "+ B (X D' + B A X A' - 3 X D)) B + 42 X B X' A' (X + X')) b "
        "where a: n; b: n; A: n x n; B: n x n; C: n x n; D: n x n; X: n x n", "X",
        sympy_long, source="SymPy test_derivatives_of_complicated_matrix_expr"),
]

ML = [
    grad("||X w - y||^2 where X: m x n; w: n; y: m", "w", lambda X, w, y: norm(X @ w - y) ** 2,
         answer=lambda X, w, y: 2 * X.T @ (X @ w - y), source="ML: least squares"),
    hess("||X w - y||^2 where X: m x n; w: n; y: m", "w", lambda X, w, y: norm(X @ w - y) ** 2,
         answer=lambda X: 2 * X.T @ X, source="ML: least squares Hessian"),
    grad("(1/2) ||A x - b||^2 where A: m x n; x: n; b: m", "x",
         lambda A, x, b: 0.5 * norm(A @ x - b) ** 2,
         answer=lambda A, x, b: A.T @ (A @ x - b), source="ML: least squares, ½"),
    grad("||X w - y||^2 + lambda ||w||^2 where X: m x n; w: n; y: m; lambda: scalar", "w",
         lambda X, w, y, lambda_: norm(X @ w - y) ** 2 + lambda_ * w @ w,
         answer=lambda X, w, y, lambda_: 2 * X.T @ (X @ w - y) + 2 * lambda_ * w,
         source="ML: ridge regression", cli=True),
    row("||X w - y||^2 + lambda ||w||^2 where X: m x n; w: n; y: m; lambda: scalar", "lambda",
        lambda X, w, y, lambda_: norm(X @ w - y) ** 2 + lambda_ * w @ w,
        answer=lambda w: w @ w, source="ML: ridge regression, by the penalty"),
    hess("||X w - y||^2 + lambda ||w||^2 where X: m x n; w: n; y: m; lambda: scalar", "w",
         lambda X, w, y, lambda_: norm(X @ w - y) ** 2 + lambda_ * w @ w,
         answer=lambda X, lambda_: 2 * X.T @ X + 2 * lambda_ * eye(X.shape[1]),
         source="ML: ridge regression Hessian"),
    row("||X W - Y||_F^2 where X: m x n; W: n x p; Y: m x p", "W",
        lambda X, W, Y: norm(X @ W - Y) ** 2,
        answer=lambda X, W, Y: 2 * X.T @ (X @ W - Y), source="ML: multi-output least squares"),
    row("(y - X b)' W (y - X b) where y: m; X: m x n; b: n; W: m x m symmetric", "b",
        lambda y, X, b, W: (y - X @ b) @ W @ (y - X @ b), spd=("W",),
        answer=lambda y, X, b, W: -2 * X.T @ W @ (y - X @ b), source="ML: weighted least squares"),
    grad("||X w - y||^2 + lambda sum(abs(w)) where X: m x n; w: n; y: m; lambda: scalar", "w",
         lambda X, w, y, lambda_: norm(X @ w - y) ** 2 + lambda_ * np.sum(abs(w)),
         positive=("lambda",),
         answer=lambda X, w, y, lambda_: 2 * X.T @ (X @ w - y) + lambda_ * np.sign(w),
         source="ML: lasso (away from w_i = 0)"),
    grad("sum(softplus(X w)) - y' X w where X: m x n; w: n; y: m", "w",
         lambda X, w, y: np.sum(softplus(X @ w)) - y @ X @ w,
         answer=lambda X, w, y: X.T @ (sigmoid(X @ w) - y),
         source="ML: logistic regression NLL (softplus form)", cli=True),
    hess("sum(softplus(X w)) - y' X w where X: m x n; w: n; y: m", "w",
         lambda X, w, y: np.sum(softplus(X @ w)) - y @ X @ w,
         answer=lambda X, w: X.T @ diag(sigmoid(X @ w) * (1 - sigmoid(X @ w))) @ X,
         source="ML: logistic regression Hessian"),
    grad("-y' log(sigmoid(X w)) - z' log(sigmoid(-X w)) where X: m x n; w: n; y: m; z: m", "w",
         lambda X, w, y, z: -y @ log(sigmoid(X @ w)) - z @ log(sigmoid(-X @ w)),
         answer=lambda X, w, y, z: X.T @ (z * sigmoid(X @ w) - y * (1 - sigmoid(X @ w))),
         source="ML: logistic regression cross-entropy (sigmoid, log)"),
    grad("sum(softplus(-(y .* (X w)))) where X: m x n; w: n; y: m", "w",
         lambda X, w, y: np.sum(softplus(-(y * (X @ w)))),
         answer=lambda X, w, y: -X.T @ (y * sigmoid(-(y * (X @ w)))),
         source="ML: logistic regression, ±1 labels"),
    grad("sum(softplus(X w)) - y' X w + (lambda/2) ||w||^2 where X: m x n; w: n; y: m; "
         "lambda: scalar", "w",
         lambda X, w, y, lambda_: np.sum(softplus(X @ w)) - y @ X @ w + lambda_ / 2 * w @ w,
         answer=lambda X, w, y, lambda_: X.T @ (sigmoid(X @ w) - y) + lambda_ * w,
         source="ML: L2-regularised logistic regression"),
    grad("sigmoid(w' x) where w: n; x: n", "w", lambda w, x: sigmoid(w @ x),
         answer=lambda w, x: sigmoid(w @ x) * (1 - sigmoid(w @ x)) * x,
         source="ML: logistic unit"),
    grad("sum(exp(X w)) - y' X w where X: m x n; w: n; y: m", "w",
         lambda X, w, y: np.sum(exp(X @ w)) - y @ X @ w,
         answer=lambda X, w, y: X.T @ (exp(X @ w) - y), source="ML: Poisson regression"),
    row("logsumexp(W x) - y' W x where W: m x n; x: n; y: m", "W",
        lambda W, x, y: logsumexp(W @ x) - y @ W @ x,
        answer=lambda W, x, y: outer(softmax(W @ x) - y, x),
        source="ML: softmax cross-entropy (logsumexp form)", cli=True),
    row("-y' log(softmax(W x)) where W: m x n; x: n; y: m", "W",
        lambda W, x, y: -y @ log(softmax(W @ x)),
        answer=lambda W, x, y: outer(np.sum(y) * softmax(W @ x) - y, x),
        source="ML: softmax cross-entropy -y' log softmax"),
    row("-y' log(softmax(W x)) where W: m x n; x: n; y: m", "x",
        lambda W, x, y: -y @ log(softmax(W @ x)),
        answer=lambda W, x, y: W.T @ (np.sum(y) * softmax(W @ x) - y),
        source="ML: softmax cross-entropy, by the input"),
    row("-y' log(softmax(W x + b)) where W: m x n; x: n; b: m; y: m", "b",
        lambda W, x, b, y: -y @ log(softmax(W @ x + b)),
        answer=lambda W, x, b, y: np.sum(y) * softmax(W @ x + b) - y,
        source="ML: softmax cross-entropy, by the bias"),
    grad("logsumexp(x) where x: n", "x", lambda x: logsumexp(x),
         answer=lambda x: softmax(x), source="ML: logsumexp"),
    hess("logsumexp(x) where x: n", "x", lambda x: logsumexp(x),
         answer=lambda x: diag(softmax(x)) - outer(softmax(x), softmax(x)),
         source="ML: logsumexp Hessian"),
    jac("softmax(x) where x: n", "x", lambda x: softmax(x),
        answer=lambda x: diag(softmax(x)) - outer(softmax(x), softmax(x)), source="ML: softmax Jacobian"),
    jac("softmax(W x + b) where W: m x n; x: n; b: m", "x", lambda W, x, b: softmax(W @ x + b),
        answer=lambda W, x, b: (diag(softmax(W @ x + b))
                                - outer(softmax(W @ x + b), softmax(W @ x + b))) @ W,
        source="ML: softmax layer Jacobian"),
    jac("softmax(K q / sqrt(d)) where K: m x n; q: n; d: scalar", "q",
        lambda K, q, d: softmax(K @ q / sqrt(d)), positive=("d",),
        answer=lambda K, q, d: (diag(softmax(K @ q / sqrt(d)))
                                - outer(softmax(K @ q / sqrt(d)), softmax(K @ q / sqrt(d)))) @ K / sqrt(d),
        source="ML: attention weights"),
    row("||tanh(W x + b) - y||^2 where W: m x n; x: n; b: m; y: m", "W",
        lambda W, x, b, y: norm(tanh(W @ x + b) - y) ** 2,
        answer=lambda W, x, b, y: outer(2 * (tanh(W @ x + b) - y) * (1 - tanh(W @ x + b) ** 2), x),
        source="ML: one-layer tanh network"),
    row("||tanh(W x + b) - y||^2 where W: m x n; x: n; b: m; y: m", "b",
        lambda W, x, b, y: norm(tanh(W @ x + b) - y) ** 2,
        answer=lambda W, x, b, y: 2 * (tanh(W @ x + b) - y) * (1 - tanh(W @ x + b) ** 2),
        source="ML: one-layer tanh network, by the bias"),
    row("||W2 h - y||^2 where h = tanh(W1 x); W1: m x n; W2: p x m; x: n; y: p", "W1", mlp_tanh,
        answer=lambda W1, W2, x, y: mlp_tanh_grads(W1, W2, x, y)["W1"],
        source="ML: two-layer tanh MLP (SPEC §2 definitions)", cli=True),
    row("||W2 h - y||^2 where h = tanh(W1 x); W1: m x n; W2: p x m; x: n; y: p", "W2", mlp_tanh,
        answer=lambda W1, W2, x, y: mlp_tanh_grads(W1, W2, x, y)["W2"],
        source="ML: two-layer tanh MLP, output layer"),
    row("||W2 h - y||^2 where h = tanh(W1 x); W1: m x n; W2: p x m; x: n; y: p", "x", mlp_tanh,
        answer=lambda W1, W2, x, y: mlp_tanh_grads(W1, W2, x, y)["x"],
        source="ML: two-layer tanh MLP, by the input"),
    row("||W2 sigmoid(W1 x + b1) + b2 - y||^2 where W1: m x n; b1: m; W2: p x m; b2: p; "
        "x: n; y: p", "W1", mlp_sigmoid,
        answer=lambda W1, b1, W2, b2, x, y: mlp_sigmoid_grads(W1, b1, W2, b2, x, y)["W1"],
        source="ML: two-layer sigmoid MLP with biases"),
    row("||W2 sigmoid(W1 x + b1) + b2 - y||^2 where W1: m x n; b1: m; W2: p x m; b2: p; "
        "x: n; y: p", "b1", mlp_sigmoid,
        answer=lambda W1, b1, W2, b2, x, y: mlp_sigmoid_grads(W1, b1, W2, b2, x, y)["b1"],
        source="ML: two-layer sigmoid MLP, hidden bias"),
    row("||W2 relu(W1 x) - y||^2 where W1: m x n; W2: p x m; x: n; y: p", "W1", mlp_relu,
        answer=lambda W1, W2, x, y: mlp_relu_grads(W1, W2, x, y)["W1"],
        source="ML: two-layer ReLU MLP"),
    row("||W2 relu(W1 x) - y||^2 where W1: m x n; W2: p x m; x: n; y: p", "W2", mlp_relu,
        answer=lambda W1, W2, x, y: mlp_relu_grads(W1, W2, x, y)["W2"],
        source="ML: two-layer ReLU MLP, output layer"),
    row("logsumexp(W3 h2) - y' W3 h2 where h1 = tanh(W1 x); h2 = sigmoid(W2 h1); "
        "W1: m x n; W2: p x m; W3: q x p; x: n; y: q", "W1", mlp2_xent,
        answer=lambda W1, W2, W3, x, y: mlp2_xent_grads(W1, W2, W3, x, y)["W1"],
        source="ML: three-layer MLP, softmax cross-entropy, chained definitions"),
    row("logsumexp(W3 h2) - y' W3 h2 where h1 = tanh(W1 x); h2 = sigmoid(W2 h1); "
        "W1: m x n; W2: p x m; W3: q x p; x: n; y: q", "W2", mlp2_xent,
        answer=lambda W1, W2, W3, x, y: mlp2_xent_grads(W1, W2, W3, x, y)["W2"],
        source="ML: three-layer MLP, middle layer"),
    row("logsumexp(W3 h2) - y' W3 h2 where h1 = tanh(W1 x); h2 = sigmoid(W2 h1); "
        "W1: m x n; W2: p x m; W3: q x p; x: n; y: q", "W3", mlp2_xent,
        answer=lambda W1, W2, W3, x, y: mlp2_xent_grads(W1, W2, W3, x, y)["W3"],
        source="ML: three-layer MLP, output layer"),
    row("0.5 logdet(S) + 0.5 (x - mu)' S^-1 (x - mu) where S: n x n symmetric; x: n; mu: n",
        "mu", gaussian_nll, spd=("S",),
        answer=lambda S, x, mu: -inv(S) @ (x - mu),
        source="ML: Gaussian negative log-likelihood, by the mean", cli=True),
    row("0.5 logdet(S) + 0.5 (x - mu)' S^-1 (x - mu) where S: n x n symmetric; x: n; mu: n",
        "x", gaussian_nll, spd=("S",),
        answer=lambda S, x, mu: inv(S) @ (x - mu),
        source="ML: Gaussian negative log-likelihood, by the sample"),
    row("0.5 logdet(S) + 0.5 (x - mu)' S^-1 (x - mu) where S: n x n symmetric; x: n; mu: n",
        "S", gaussian_nll, spd=("S",),
        answer=lambda S, x, mu: 0.5 * inv(S) - 0.5 * inv(S) @ outer(x - mu, x - mu) @ inv(S),
        source="ML: Gaussian negative log-likelihood, by the covariance (symmetric)"),
    row("logdet(S) + (x - mu)' inv(S) (x - mu) where S: n x n; x: n; mu: n", "S",
        lambda S, x, mu: logdet(S) + (x - mu) @ inv(S) @ (x - mu), spd=("S",),
        answer=lambda S, x, mu: inv(S).T - inv(S).T @ outer(x - mu, x - mu) @ inv(S).T,
        source="ML: Gaussian negative log-likelihood, covariance unstructured"),
    row("N logdet(S) + tr(S^-1 C) where N: scalar; S: n x n symmetric; C: n x n symmetric", "S",
        lambda N, S, C: N * logdet(S) + tr(inv(S) @ C), spd=("S", "C"), positive=("N",),
        answer=lambda N, S, C: N * inv(S) - inv(S) @ C @ inv(S),
        source="ML: Gaussian covariance maximum likelihood"),
    row("-logdet(P) + (x - mu)' P (x - mu) where P: n x n symmetric; x: n; mu: n", "P",
        lambda P, x, mu: -logdet(P) + (x - mu) @ P @ (x - mu), spd=("P",),
        answer=lambda P, x, mu: -inv(P) + outer(x - mu, x - mu),
        source="ML: Gaussian in precision form", cli=True),
    row("tr(W' C W) where W: n x p; C: n x n symmetric", "W", lambda W, C: tr(W.T @ C @ W),
        answer=lambda W, C: 2 * C @ W, source="ML: PCA objective"),
    row("||Y - U V'||_F^2 where Y: m x n; U: m x p; V: n x p", "U",
        lambda Y, U, V: norm(Y - U @ V.T) ** 2,
        answer=lambda Y, U, V: -2 * (Y - U @ V.T) @ V, source="ML: matrix factorisation"),
    row("||Y - U V'||_F^2 where Y: m x n; U: m x p; V: n x p", "V",
        lambda Y, U, V: norm(Y - U @ V.T) ** 2,
        answer=lambda Y, U, V: -2 * (Y - U @ V.T).T @ U, source="ML: matrix factorisation, V"),
    row("x' y / (||x|| ||y||) where x: n; y: n", "x", lambda x, y: x @ y / (norm(x) * norm(y)),
        answer=lambda x, y: y / (norm(x) * norm(y)) - (x @ y) * x / (norm(x) ** 3 * norm(y)),
        source="ML: cosine similarity"),
    row("x' A x / (x' x) where x: n; A: n x n symmetric", "x", lambda x, A: x @ A @ x / (x @ x),
        answer=lambda x, A: 2 * (A @ x - (x @ A @ x) / (x @ x) * x) / (x @ x),
        source="ML: Rayleigh quotient"),
    row("exp(-||x - c||^2 / (2 sigma^2)) where x: n; c: n; sigma: scalar", "x",
        lambda x, c, sigma: exp(-norm(x - c) ** 2 / (2 * sigma ** 2)),
        answer=lambda x, c, sigma: -(x - c) / sigma ** 2 * exp(-norm(x - c) ** 2 / (2 * sigma ** 2)),
        source="ML: RBF kernel"),
    row("sqrt(||x||^2 + eps) where x: n; eps: scalar", "x",
        lambda x, eps: sqrt(x @ x + eps), positive=("eps",),
        answer=lambda x, eps: x / sqrt(x @ x + eps), source="ML: smoothed norm"),
    row("-sum(log(x)) where x: n", "x", lambda x: -np.sum(log(x)), positive=("x",),
        answer=lambda x: -1 / x, source="ML: log barrier"),
    row("sum(x .* log(x)) where x: n", "x", lambda x: np.sum(x * log(x)), positive=("x",),
        answer=lambda x: log(x) + 1, source="ML: negative entropy"),
    row("p' log(p ./ q) where p: n; q: n", "q", lambda p, q: p @ log(p / q), positive=("p", "q"),
        answer=lambda p, q: -p / q, source="ML: KL divergence, by the model"),
]

JACOBIANS = [
    jac("A x where A: m x n; x: n", "x", lambda A, x: A @ x,
        answer=lambda A: A, source="Jacobian: linear map"),
    jac("A x + b where A: m x n; x: n; b: m", "b", lambda A, x, b: A @ x + b,
        answer=lambda b: eye(len(b)), source="Jacobian: by the offset"),
    jac("x .* y where x: n; y: n", "x", lambda x, y: x * y,
        answer=lambda y: diag(y), source="Jacobian: Hadamard product"),
    jac("x ./ y where x: n; y: n", "y", lambda x, y: x / y, positive=("y",),
        answer=lambda x, y: diag(-x / y ** 2), source="Jacobian: entrywise division"),
    jac("exp(x) where x: n", "x", lambda x: exp(x),
        answer=lambda x: diag(exp(x)), source="Jacobian: entrywise exp"),
    jac("tanh(x) where x: n", "x", lambda x: tanh(x),
        answer=lambda x: diag(1 - tanh(x) ** 2), source="Jacobian: entrywise tanh"),
    jac("sigmoid(W x + b) where W: m x n; x: n; b: m", "x", lambda W, x, b: sigmoid(W @ x + b),
        answer=lambda W, x, b: diag(sigmoid(W @ x + b) * (1 - sigmoid(W @ x + b))) @ W,
        source="Jacobian: sigmoid layer"),
    jac("relu(A x) where A: m x n; x: n", "x", lambda A, x: relu(A @ x),
        answer=lambda A, x: diag((A @ x > 0) * 1.0) @ A, source="Jacobian: ReLU layer"),
    jac("x / ||x|| where x: n", "x", lambda x: x / norm(x),
        answer=lambda x: (eye(len(x)) - outer(x, x) / (x @ x)) / norm(x),
        source="Jacobian: normalisation"),
    jac("kron(x, y) where x: n; y: m", "x", lambda x, y: kron(x, y),
        answer=lambda x, y: kron(eye(len(x)), y[:, None]), source="Jacobian: Kronecker of vectors"),
    jac("A X B where A: m x n; X: n x p; B: p x q", "X", lambda A, X, B: A @ X @ B,
        answer=lambda A, B: kron(B.T, A), source="SPEC §3 vec form: vec(A X B) = (B' ⊗ A) vec(X)",
        cli=True),
    jac("X' where X: m x n", "X", lambda X: X.T,
        answer=lambda X: commutation(*X.shape), source="vec form: commutation matrix"),
    jac("X A where X: m x n; A: n x p", "X", lambda X, A: X @ A,
        answer=lambda X, A: kron(A.T, eye(len(X))), source="vec form: X A = (A' ⊗ I)"),
    jac("A X where A: p x m; X: m x n", "X", lambda A, X: A @ X,
        answer=lambda A, X: kron(eye(X.shape[1]), A), source="vec form: A X = (I ⊗ A)"),
    jac("X X where X: n x n", "X", lambda X: X @ X,
        answer=lambda X: kron(X.T, eye(len(X))) + kron(eye(len(X)), X), source="vec form: X²"),
    jac("X' X where X: m x n", "X", lambda X: X.T @ X,
        answer=lambda X: (kron(eye(X.shape[1]), X.T)
                          + kron(X.T, eye(X.shape[1])) @ commutation(*X.shape)),
        source="vec form: Gram matrix X' X"),
    jac("X .* Y where X: m x n; Y: m x n", "X", lambda X, Y: X * Y,
        answer=lambda Y: diag(vec(Y)), source="vec form: Hadamard product"),
    jac("exp(X) where X: m x n", "X", lambda X: exp(X),
        answer=lambda X: diag(vec(exp(X))), source="vec form: entrywise exp"),
    jac("X b where X: m x n; b: n", "X", lambda X, b: X @ b,
        answer=lambda X, b: kron(b[None, :], eye(len(X))), source="vec form: vector by matrix, X b"),
    jac("W x + b where W: m x n; x: n; b: m", "W", lambda W, x, b: W @ x + b,
        answer=lambda W, x: kron(x[None, :], eye(len(W))), source="vec form: affine layer by its weights"),
    jac("softmax(W x) where W: m x n; x: n", "W", lambda W, x: softmax(W @ x),
        answer=lambda W, x: (diag(softmax(W @ x)) - outer(softmax(W @ x), softmax(W @ x)))
        @ kron(x[None, :], eye(len(W))),
        source="vec form: softmax layer by its weights"),
    jac("x x' where x: n", "x", lambda x: outer(x, x),
        answer=lambda x: kron(x[:, None], eye(len(x))) + kron(eye(len(x)), x[:, None]),
        source="vec form: matrix by vector, x x'"),
    jac("diag(x) where x: n", "x", lambda x: diag(x),
        answer=lambda x: vec_selector(len(x)), source="vec form: diag of a vector"),
    jac("diag(X) where X: n x n", "X", lambda X: diag(X),
        answer=lambda X: vec_selector(len(X)).T, source="vec form: diagonal of a matrix"),
    row("A x where A: m x n; x: n", "x", lambda A, x: A @ x,
        answer=lambda A: A.T, source="SPEC §3 denominator: ∂y/∂x is n×m"),
    row("A X B where A: m x n; X: n x p; B: p x q", "X", lambda A, X, B: A @ X @ B,
        answer=lambda A, B: kron(B.T, A), source="SPEC §3 vec form via diff"),
    row("exp(t a) where t: scalar; a: n", "t", lambda t, a: exp(t * a),
        answer=lambda t, a: a * exp(t * a), source="vector by scalar"),
    row("A + t B where A: m x n; B: m x n; t: scalar", "t", lambda A, B, t: A + t * B,
        answer=lambda B: B, source="matrix by scalar"),
    row("exp(t A) where t: scalar; A: m x n", "t", lambda t, A: exp(t * A),
        answer=lambda t, A: A * exp(t * A), source="matrix by scalar, entrywise exp"),
]

HESSIANS = [
    hess("x' A x where x: n; A: n x n", "x", lambda x, A: x @ A @ x,
         answer=lambda A: A + A.T, source="Hessian: quadratic form", cli=True),
    hess("(1/2) x' A x - b' x where x: n; A: n x n symmetric; b: n", "x",
         lambda x, A, b: 0.5 * x @ A @ x - b @ x,
         answer=lambda A: A, source="Hessian: quadratic model"),
    hess("||A x - b||^2 where A: m x n; x: n; b: m", "x", lambda A, x, b: norm(A @ x - b) ** 2,
         answer=lambda A: 2 * A.T @ A, source="Hessian: least squares"),
    hess("x' x where x: n", "x", lambda x: x @ x,
         answer=lambda x: 2 * eye(len(x)), source="Hessian: squared norm"),
    hess("||x|| where x: n", "x", lambda x: norm(x),
         answer=lambda x: eye(len(x)) / norm(x) - outer(x, x) / norm(x) ** 3,
         source="Hessian: Euclidean norm, Cookbook (130)"),
    hess("sum(exp(x)) where x: n", "x", lambda x: np.sum(exp(x)),
         answer=lambda x: diag(exp(x)), source="Hessian: separable"),
    hess("(a' x)^2 where a: n; x: n", "x", lambda a, x: (a @ x) ** 2,
         answer=lambda a: 2 * outer(a, a), source="Hessian: rank one"),
    hess("-sum(log(x)) where x: n", "x", lambda x: -np.sum(log(x)), positive=("x",),
         answer=lambda x: diag(1 / x ** 2), source="Hessian: log barrier"),
    hess("tr(X' A X) where X: n x m; A: n x n", "X", lambda X, A: tr(X.T @ A @ X),
         answer=lambda X, A: kron(eye(X.shape[1]), A + A.T), source="Hessian by a matrix: trace quadratic form"),
    hess("||X||_F^2 where X: m x n", "X", lambda X: norm(X) ** 2,
         answer=lambda X: 2 * eye(X.size), source="Hessian by a matrix: Frobenius norm"),
    hess("a' X b where a: m; X: m x n; b: n", "X", lambda a, X, b: a @ X @ b,
         answer=lambda X: zeros((X.size, X.size)), source="Hessian by a matrix: linear, zero"),
    hess("||A X B - C||_F^2 where A: p x m; X: m x n; B: n x q; C: p x q", "X",
         lambda A, X, B, C: norm(A @ X @ B - C) ** 2,
         answer=lambda A, B: 2 * kron(B @ B.T, A.T @ A), source="Hessian by a matrix: A X B least squares"),
    hess("tr(X A X' B) where X: m x n; A: n x n; B: m x m", "X",
         lambda X, A, B: tr(X @ A @ X.T @ B),
         answer=lambda A, B: kron(A, B.T) + kron(A.T, B), source="Hessian by a matrix: tr(X A X' B)"),
    hess("logdet(X) where X: n x n", "X", lambda X: logdet(X), invertible=("X",),
         answer=lambda X: -kron(inv(X), inv(X).T) @ commutation(len(X), len(X)),
         source="Hessian by a matrix: log det, Cookbook (57) again"),
    hess("t^3 + sin(t) where t: scalar", "t", lambda t: t ** 3 + sin(t),
         answer=lambda t: 6 * t - sin(t), source="Hessian: scalar by scalar"),
]

SCALAR_VARIABLES = [
    row("alpha x' x where alpha: scalar; x: n", "alpha", lambda alpha, x: alpha * x @ x,
        answer=lambda x: x @ x, source="scalar variable: Greek name"),
    row("exp(alpha) a' x where alpha: scalar; a: n; x: n", "alpha",
        lambda alpha, a, x: exp(alpha) * a @ x,
        answer=lambda alpha, a, x: exp(alpha) * a @ x, source="scalar variable: exp"),
    row("||x - t a||^2 where x: n; a: n; t: scalar", "t", lambda x, a, t: norm(x - t * a) ** 2,
        answer=lambda x, a, t: -2 * a @ (x - t * a), source="scalar variable: line search", cli=True),
    row("log(1 + exp(s)) where s: scalar", "s", lambda s: log(1 + exp(s)),
        answer=lambda s: sigmoid(s), source="scalar variable: softplus by hand"),
    row("t^3 + sin(t) where t: scalar", "t", lambda t: t ** 3 + sin(t),
        answer=lambda t: 3 * t ** 2 + cos(t), source="scalar variable: polynomial"),
    row("s^(-1/2) where s: scalar", "s", lambda s: s ** -0.5, positive=("s",),
        answer=lambda s: -0.5 * s ** -1.5, source="SPEC §1 power example s^(-1/2)"),
    row("x^{1/3} where x: scalar", "x", lambda x: x ** (1 / 3), positive=("x",),
        answer=lambda x: x ** (-2 / 3) / 3, source="SPEC §1 power example x^{1/3}"),
    row("sigmoid(t) + softplus(t) + tanh(t) where t: scalar", "t",
        lambda t: sigmoid(t) + softplus(t) + tanh(t),
        answer=lambda t: sigmoid(t) * (1 - sigmoid(t)) + sigmoid(t) + 1 - tanh(t) ** 2,
        source="scalar variable: activations"),
    row("sqrt(t) + abs(t) + cos(t) where t: scalar", "t", lambda t: sqrt(t) + abs(t) + cos(t),
        positive=("t",), answer=lambda t: 0.5 / sqrt(t) + 1 - sin(t),
        source="scalar variable: sqrt, abs, cos"),
    row("det(A + t B) where A: n x n; B: n x n; t: scalar", "t", lambda A, B, t: det(A + t * B),
        spd=("A", "B"), positive=("t",),
        answer=lambda A, B, t: det(A + t * B) * tr(inv(A + t * B) @ B),
        source="scalar variable: Jacobi's formula, Cookbook §2.1.1"),
    row("logdet(S + t I) where S: n x n symmetric; t: scalar", "t",
        lambda S, t: logdet(S + t * eye(len(S))), spd=("S",), positive=("t",),
        answer=lambda S, t: tr(inv(S + t * eye(len(S)))), source="scalar variable: log det, I inferred"),
    row("tr(inv(A + t B)) where A: n x n; B: n x n; t: scalar", "t",
        lambda A, B, t: tr(inv(A + t * B)), spd=("A", "B"), positive=("t",),
        answer=lambda A, B, t: -tr(inv(A + t * B) @ B @ inv(A + t * B)),
        source="scalar variable: trace of inverse"),
    row("(x + t y)' A (x + t y) where x: n; y: n; A: n x n; t: scalar", "t",
        lambda x, y, A, t: (x + t * y) @ A @ (x + t * y),
        answer=lambda x, y, A, t: y @ (A + A.T) @ (x + t * y), source="scalar variable: quadratic on a line"),
    row("λ ||w||^2 where λ: scalar; w: n", "λ", lambda λ, w: λ * w @ w,
        answer=lambda w: w @ w, source="scalar variable: Greek letter λ"),
    row("lambda ||w||^2 where lambda: scalar; w: n", "lambda", lambda lambda_, w: lambda_ * w @ w,
        answer=lambda w: w @ w, source="scalar variable: keyword name lambda"),
    row("2x' A x where x: n; A: n x n symmetric", "x", lambda x, A: 2 * x @ A @ x,
        answer=lambda x, A: 4 * A @ x, source="SPEC §1: 2x means 2 * x"),
    row("1e-3 ||x||^2 where x: n", "x", lambda x: 1e-3 * x @ x,
        answer=lambda x: 2e-3 * x, source="SPEC §1: number 1e-3"),
    row("sum(A .* X) where A: m x n; X: m x n", "X", lambda A, X: np.sum(A * X),
        answer=lambda A: A, source="sum of a matrix"),
    row("sum(exp(X)) where X: m x n", "X", lambda X: np.sum(exp(X)),
        answer=lambda X: exp(X), source="sum of an entrywise function"),
    row("sum(a ./ x) where a: n; x: n", "x", lambda a, x: np.sum(a / x), positive=("x",),
        answer=lambda a, x: -a / x ** 2, source="entrywise division"),
    row("sum(x .^ 3) where x: n", "x", lambda x: np.sum(x ** 3),
        answer=lambda x: 3 * x ** 2, source="entrywise power"),
    row("kron(x, y)' kron(a, b) where x: n; y: m; a: n; b: m", "x",
        lambda x, y, a, b: kron(x, y) @ kron(a, b),
        answer=lambda y, a, b: a * (y @ b), source="Kronecker mixed product"),
]

NUMERATOR = [
    row("a' x where a: n; x: n", "x", lambda a, x: a @ x, layout="numerator",
        answer=lambda a: a[None, :], source="SPEC §3 numerator: ∂f/∂x is 1×n"),
    row("x' A x where x: n; A: n x n", "x", lambda x, A: x @ A @ x, layout="numerator",
        answer=lambda x, A: ((A + A.T) @ x)[None, :], source="SPEC §3 numerator: quadratic form"),
    row("||X w - y||^2 where X: m x n; w: n; y: m", "w", lambda X, w, y: norm(X @ w - y) ** 2,
        layout="numerator",
        answer=lambda X, w, y: (2 * X.T @ (X @ w - y))[None, :], source="SPEC §3 numerator: least squares"),
    row("tr(A X) where A: n x m; X: m x n", "X", lambda A, X: tr(A @ X), layout="numerator",
        answer=lambda A: A, source="SPEC §3 numerator: ∂f/∂X is q×p", cli=True),
    row("a' X b where a: m; X: m x n; b: n", "X", lambda a, X, b: a @ X @ b, layout="numerator",
        answer=lambda a, b: outer(b, a), source="SPEC §3 numerator: bilinear form"),
    row("tr(X' B X) where X: m x n; B: m x m", "X", lambda X, B: tr(X.T @ B @ X),
        layout="numerator",
        answer=lambda X, B: (B @ X + B.T @ X).T, source="SPEC §3 numerator: Cookbook (108) transposed"),
    row("det(X) where X: n x n", "X", lambda X: det(X), invertible=("X",), layout="numerator",
        answer=lambda X: det(X) * inv(X), source="SPEC §3 numerator: Cookbook (49) transposed"),
    row("A x where A: m x n; x: n", "x", lambda A, x: A @ x, layout="numerator",
        answer=lambda A: A, source="SPEC §3 numerator: ∂y/∂x is m×n"),
    row("sigmoid(W x) where W: m x n; x: n", "x", lambda W, x: sigmoid(W @ x), layout="numerator",
        answer=lambda W, x: diag(sigmoid(W @ x) * (1 - sigmoid(W @ x))) @ W,
        source="SPEC §3 numerator: sigmoid layer"),
    row("t a where t: scalar; a: n", "t", lambda t, a: t * a, layout="numerator",
        answer=lambda a: a, source="SPEC §3 numerator: ∂y/∂s has the shape of y"),
    row("t A where t: scalar; A: m x n", "t", lambda t, A: t * A, layout="numerator",
        answer=lambda A: A, source="SPEC §3 numerator: ∂Y/∂s has the shape of Y"),
    row("A X B where A: m x n; X: n x p; B: p x q", "X", lambda A, X, B: A @ X @ B,
        layout="numerator",
        answer=lambda A, B: kron(B.T, A), source="SPEC §3 vec form in numerator layout"),
    grad("x' A x where x: n; A: n x n", "x", lambda x, A: x @ A @ x, layout="numerator",
         answer=lambda x, A: (A + A.T) @ x, source="SPEC §3: grad ignores --layout"),
    grad("tr(A X) where A: n x m; X: m x n", "X", lambda A, X: tr(A @ X), layout="numerator",
         answer=lambda A: A.T, source="SPEC §3: grad ignores --layout, by a matrix"),
    jac("A x where A: m x n; x: n", "x", lambda A, x: A @ x, layout="numerator",
        answer=lambda A: A, source="SPEC §3: jac ignores --layout"),
    hess("x' A x where x: n; A: n x n", "x", lambda x, A: x @ A @ x, layout="numerator",
         answer=lambda A: A + A.T, source="SPEC §3: hess ignores --layout"),
]

SYMMETRIC = [
    row("tr(A S) where A: n x n; S: n x n symmetric", "S", lambda A, S: tr(A @ S),
        answer=lambda A: sym(A), source="SPEC §3 symmetric: sym(G), not Cookbook (141)", cli=True),
    row("tr(A S) where A: n x n; S: n x n symmetric", "S", lambda A, S: tr(A @ S),
        layout="numerator",
        answer=lambda A: sym(A), source="SPEC §3 symmetric, numerator layout"),
    grad("tr(A S) where A: n x n; S: n x n symmetric", "S", lambda A, S: tr(A @ S),
         answer=lambda A: sym(A), source="SPEC §3 symmetric via grad"),
    row("a' S b where a: n; b: n; S: n x n symmetric", "S", lambda a, b, S: a @ S @ b,
        answer=lambda a, b: sym(outer(a, b)), source="SPEC §3 symmetric: bilinear form"),
    row("x' S x where x: n; S: n x n symmetric", "S", lambda x, S: x @ S @ x,
        answer=lambda x: outer(x, x), source="SPEC §3 symmetric: quadratic form"),
    row("logdet(S) where S: n x n symmetric", "S", lambda S: logdet(S), spd=("S",),
        answer=lambda S: inv(S), source="SPEC §3 symmetric: log det, Cookbook (144) differs"),
    row("det(S) where S: n x n symmetric", "S", lambda S: det(S), spd=("S",),
        answer=lambda S: det(S) * inv(S), source="SPEC §3 symmetric: det, Cookbook (143) differs"),
    row("tr(S^2) where S: n x n symmetric", "S", lambda S: tr(S @ S),
        answer=lambda S: 2 * S, source="SPEC §3 symmetric: tr(S²)"),
    row("tr(A S B S) where A: n x n; B: n x n; S: n x n symmetric", "S",
        lambda A, B, S: tr(A @ S @ B @ S),
        answer=lambda A, B, S: sym(A.T @ S @ B.T + B.T @ S @ A.T),
        source="SPEC §3 symmetric: Cookbook (114) on symmetric S"),
    row("||S - A||_F^2 where S: n x n symmetric; A: n x n", "S", lambda S, A: norm(S - A) ** 2,
        answer=lambda S, A: 2 * S - (A + A.T), source="SPEC §3 symmetric: nearest symmetric matrix"),
    row("a' S^-1 b where a: n; b: n; S: n x n symmetric", "S", lambda a, b, S: a @ inv(S) @ b,
        spd=("S",),
        answer=lambda a, b, S: -sym(inv(S) @ outer(a, b) @ inv(S)),
        source="SPEC §3 symmetric: Cookbook (61) on symmetric S"),
    row("x' A x where A: symmetric", "A", lambda x, A: x @ A @ x,
        source="SPEC §2 'A: symmetric' keeps the inferred shape"),
]

# SPEC §1 as updated: inverse trigonometric functions, norm1, log_softmax, the aliases.
LANGUAGE = [
    grad("sum(kron(A, B) + kron(B, A)) where A: 2 x 2; B: 3 x 3", "A",
         lambda A, B: np.sum(np.kron(A, B) + np.kron(B, A)), answer=lambda A, B: 2 * np.sum(B) * np.ones((2, 2)),
         source="issue 8: sizes that commute; 1' M 1 = sum(M)"),
    row("tr(M) where M = alpha X; alpha: scalar; X: n x n", "alpha", lambda alpha, X: alpha * tr(X),
        answer=lambda alpha, X: tr(X), source="SPEC §2 definitions: a scalar factor seen through a name"),
    grad("tr(M) where M = 2 X; X: n x n", "X", lambda X: 2 * tr(X), answer=lambda X: 2 * np.eye(len(X)),
         source="SPEC §2 definitions: tr(2 X) through a name"),
    grad("tr(M) where M = (x' y) A; x: n; y: n; A: m x m", "x", lambda x, y, A: (x @ y) * tr(A),
         answer=lambda x, y, A: tr(A) * y, source="SPEC §2 definitions: a scalar chain seen through a name"),
    grad("sum(arcsin(tanh(x)/2)) where x: n", "x", lambda x: np.sum(np.arcsin(tanh(x) / 2)),
         source="SPEC §1 arcsin: 1/sqrt(1 - a^2) through tanh"),
    grad("sum(arccos(sigmoid(A x))) where A: m x n; x: n", "x", lambda A, x: np.sum(np.arccos(sigmoid(A @ x))),
         source="SPEC §1 arccos: -1/sqrt(1 - a^2)"),
    grad("sum(arctan(A x)) where A: m x n; x: n", "x", lambda A, x: np.sum(np.arctan(A @ x)),
         answer=lambda A, x: A.T @ (1 / (1 + (A @ x) ** 2)), source="SPEC §1 arctan: 1/(1 + a^2)"),
    row("arctan(s) + arcsin(tanh(s)) where s: scalar", "s", lambda s: np.arctan(s) + np.arcsin(tanh(s)),
        source="SPEC §1 inverse trigonometric functions of a scalar"),
    grad("norm1(A x - b) where A: m x n; x: n; b: m", "x", lambda A, x, b: np.sum(np.abs(A @ x - b)),
         answer=lambda A, x, b: A.T @ np.sign(A @ x - b), source="SPEC §1 norm1: sum of absolute values"),
    grad("y' log_softmax(W x) where W: m x n; x: n; y: m", "W",
         lambda W, x, y: y @ (W @ x - logsumexp(W @ x)),
         answer=lambda W, x, y: np.outer(y - np.sum(y) * softmax(W @ x), x), source="SPEC §1 log_softmax"),
    row("log_softmax(x) where x: n", "x", lambda x: x - logsumexp(x), command="jac",
        answer=lambda x: np.eye(len(x)) - np.outer(np.ones(len(x)), softmax(x)),
        source="SPEC §1 log_softmax: Jacobian I - 1 softmax(x)'"),
    grad("sum(x .^ p) where x: n; p: scalar", "x", lambda x, p: np.sum(x ** p), positive=("x",),
         answer=lambda x, p: p * x ** (p - 1), source="SPEC §1 symbolic exponent, by the base"),
    row("sum(x .^ p) where x: n; p: scalar", "p", lambda x, p: np.sum(x ** p), positive=("x",),
        answer=lambda x, p: np.sum(x ** p * np.log(x)), source="SPEC §1 symbolic exponent, by the exponent"),
    row("s^t where s: scalar; t: scalar", "t", lambda s, t: s ** t, positive=("s",),
        answer=lambda s, t: s ** t * np.log(s), source="SPEC §1 a^b by the exponent"),
    row("2^(a' x) where a: n; x: n", "x", lambda a, x: 2.0 ** (a @ x), command="grad",
        answer=lambda a, x: np.log(2) * 2.0 ** (a @ x) * a, source="SPEC §1 2^x: a number to a symbolic power"),
    row("x .^ (p + 1) where x: n; p: scalar", "x", lambda x, p: x ** (p + 1), positive=("x",), command="jac",
        answer=lambda x, p: np.diag((p + 1) * x ** p), source="SPEC §1 x .^ (p + 1): Jacobian diag((p+1) x.^p)"),
    grad("trace(A X) where A: n x m; X: m x n", "X", lambda A, X: np.trace(A @ X),
         answer=lambda A, X: A.T, source="SPEC §1 alias trace = tr"),
    grad("ln(x' x) + norm(x) where x: n", "x", lambda x: np.log(x @ x) + norm(x),
         answer=lambda x: 2 * x / (x @ x) + x / norm(x), source="SPEC §1 aliases ln = log, norm = norm2"),
]

ERRORS = [
    error("x + 1 where x: n", "x", source="SPEC §1: a scalar added to a vector is an error"),
    error("x + s where x: n; s: scalar", "x", source="SPEC §1: no broadcast of a scalar variable"),
    error("A + B where A: 2 x 2; B: 3 x 3", "A", source="SPEC §1: sum of different shapes"),
    error("x' A x where x: 3; A: 2 x 2", "x", source="SPEC §2: product of mismatched sizes"),
    error("det(A) where A: 2 x 3", "A", source="SPEC §1: det of a non-square matrix"),
    error("X^2 where X: 2 x 3", "X", source="SPEC §1: integer power of a non-square matrix"),
    error("A^{1/2} where A: 2 x 2", "A", source="SPEC §1: a matrix power needs an integer k"),
    error("A^p where A: 2 x 2; p: scalar", "A", source="SPEC §1: a matrix power keeps an integer literal exponent"),
    error("x .^ y where x: n; y: n", "x", source="SPEC §1: a symbolic exponent is a scalar"),
    error("x' A x +", "x", source="SPEC §4: an expression that cannot be parsed"),
    error("(x' A x", "x", source="SPEC §4: unbalanced parenthesis"),
    error("A x where A: m x n; x: n", "x", command="grad",
          source="SPEC §4: grad of a non-scalar expression"),
    error("A x where A: m x n; x: n", "x", command="hess",
          source="SPEC §4: hess of a non-scalar expression"),
]

SIZES = [
    row("sum(1 ./ x) where x: n", "x", lambda x: np.sum(1 / x), positive=("x",),
        answer=lambda x: -1 / x ** 2, source="MATLAB reading: a scalar divided entrywise by a vector"),
    jac("1 ./ x where x: n", "x", lambda x: 1 / x, positive=("x",),
        answer=lambda x: diag(-1 / x ** 2), source="MATLAB reading: Jacobian of 1 ./ x"),
    row("s ./ X where s: scalar; X: m x n", "s", lambda s, X: s / X, positive=("X",),
        answer=lambda X: 1 / X, source="MATLAB reading: a scalar variable over a matrix"),
    grad("sum(s ./ X) where s: scalar; X: m x n", "X", lambda s, X: np.sum(s / X), positive=("X",),
         answer=lambda s, X: -s / X ** 2, source="MATLAB reading: by the divisor"),
    row("tr(kron(A, B) + kron(B, A)) where A: 2 x 2; B: 3 x 3", "A",
        lambda A, B: tr(kron(A, B) + kron(B, A)),
        answer=lambda B: 2 * tr(B) * eye(2), source="sizes: 2*3 = 3*2, so kron(A, B) + kron(B, A) types"),
    row("ones(2*3*n)' kron(x, y) where x: 6; y: n", "y", lambda x, y: np.sum(kron(x, y)),
        answer=lambda x, y: np.sum(x) * ones(len(y)), source="sizes: 2*3*n = 6*n in a size argument"),
    jac("kron(X', eye(n)) commutation(m, n) vec(X) + kron(eye(n), X') vec(X) where X: m x n", "X",
        lambda X: 2 * vec(X.T @ X),
        answer=lambda X: 2 * (kron(eye(X.shape[1]), X.T) + kron(X.T, eye(X.shape[1])) @ commutation(*X.shape)),
        source="sizes: m*n = n*m, the printed Jacobian of X' X read back as input"),
]

KRONECKER = [
    grad("logdet(kron(A, B)) where A: m x m; B: n x n", "A", lambda A, B: logdet(kron(A, B)), spd=("A", "B"),
         answer=lambda A, B: len(B) * inv(A).T, source="Kronecker: logdet(A ⊗ B) = n logdet A + m logdet B, by A"),
    grad("logdet(kron(A, B)) where A: m x m; B: n x n", "B", lambda A, B: logdet(kron(A, B)), spd=("A", "B"),
         answer=lambda A, B: len(A) * inv(B).T, source="Kronecker: logdet(A ⊗ B), by B"),
    row("logdet(kron(A, S)) where A: m x m; S: n x n symmetric", "S", lambda A, S: logdet(kron(A, S)),
        spd=("A", "S"), answer=lambda A, S: len(A) * inv(S), source="Kronecker: logdet, symmetric factor"),
    row("sum(kron(A, X)) where A: m x n; X: p x q", "X", lambda A, X: np.sum(kron(A, X)),
        answer=lambda A, X: np.sum(A) * ones(X.shape), source="Kronecker: sum(A ⊗ X) = sum(A) sum(X)"),
    row("||kron(x, y)||^2 where x: n; y: m", "x", lambda x, y: norm(kron(x, y)) ** 2,
        answer=lambda x, y: 2 * (y @ y) * x, source="Kronecker: ‖x ⊗ y‖² = ‖x‖² ‖y‖²"),
    row("tr(kron(x', y)) where x: n; y: n", "x", lambda x, y: tr(kron(x[None, :], y[:, None])),
        answer=lambda y: y, source="Kronecker: tr(xᵀ ⊗ y) = tr(y xᵀ) = xᵀ y, non-square factors"),
    row("tr(kron(x', y)) where x: n; y: n", "y", lambda x, y: tr(kron(x[None, :], y[:, None])),
        answer=lambda x: x, source="Kronecker: tr(xᵀ ⊗ y), by the column"),
    row("tr(kron(y, x')) where x: n; y: n", "x", lambda x, y: tr(kron(y[:, None], x[None, :])),
        answer=lambda y: y, source="Kronecker: tr(y ⊗ xᵀ) = tr(y xᵀ)"),
    row("a' kron(X, B) b where X: 2 x 3; B: 4 x 5; a: 8; b: 15", "X", lambda a, X, B, b: a @ kron(X, B) @ b,
        source="Kronecker: bilinear form, by the left factor (blocks of a bᵀ against B)"),
    row("a' kron(X, B) b where X: 2 x 3; B: 4 x 5; a: 8; b: 15", "B", lambda a, X, B, b: a @ kron(X, B) @ b,
        source="Kronecker: bilinear form, by the right factor"),
    row("a' kron(x, y) where x: 3; y: 4; a: 12", "y", lambda a, x, y: a @ kron(x, y),
        source="Kronecker: of two vectors, by the right one"),
    row("sum(exp(kron(A, X))) where A: m x n; X: p x q", "X", lambda A, X: np.sum(exp(kron(A, X))),
        source="Kronecker: an entrywise function of A ⊗ X"),
    row("sum(sin(kron(X, A))) where A: m x n; X: p x q", "X", lambda A, X: np.sum(sin(kron(X, A))),
        source="Kronecker: an entrywise function of X ⊗ A"),
    row("tr(kron(X, X) C) where X: 2 x 3; C: 9 x 4", "X", lambda X, C: tr(kron(X, X) @ C),
        source="Kronecker: the variable in both factors"),
    row("tr(kron(X, Y)^-1 C) where X: 2 x 2; Y: 3 x 3; C: 6 x 6", "X", lambda X, Y, C: tr(inv(kron(X, Y)) @ C),
        invertible=("X", "Y"), source="Kronecker: inside an inverse"),
    row("x' kron(X', Y) y where X: 2 x 3; Y: 4 x 5; x: 12; y: 10", "X", lambda x, X, Y, y: x @ kron(X.T, Y) @ y,
        source="Kronecker: a transposed factor"),
    hess("sum(exp(kron(x, y))) where x: n; y: m", "x", lambda x, y: np.sum(exp(kron(x, y))),
         source="Kronecker: Hessian through the reverse rule"),
    grad("sum(vec(X) .* a) where X: 2 x 3; a: 6", "X", lambda X, a: np.sum(vec(X) * a),
         source="vec: unvec(a) = (vec(I)ᵀ ⊗ I)(I ⊗ a)"),
    row("vec(B)' vec(X) where B: m x n; X: m x n", "X", lambda B, X: vec(B) @ vec(X),
        answer=lambda B: B, source="vec: ⟨vec B, vec X⟩ = tr(Bᵀ X)"),
    row("vec(B')' commutation(m, n) vec(X) where B: m x n; X: m x n", "X",
        lambda B, X: vec(B.T) @ commutation(*X.shape) @ vec(X),
        answer=lambda B: B, source="vec: K vec(X) = vec(Xᵀ)"),
    row("sum(exp(vec(X))) where X: m x n", "X", lambda X: np.sum(exp(vec(X))),
        answer=lambda X: exp(X), source="vec: an entrywise function of vec(X)"),
    row("sum(sin(vec(X)) .* vec(B)) where X: m x n; B: m x n", "X", lambda X, B: np.sum(sin(vec(X)) * vec(B)),
        answer=lambda X, B: cos(X) * B, source="vec: unvec(cos(vec X) ∘ vec B) = cos(X) ∘ B"),
    row("a' kron(P, Q) vec(X) where P: 2 x 3; Q: 4 x 5; X: 5 x 3; a: 8", "X",
        lambda a, P, Q, X: a @ kron(P, Q) @ vec(X), source="vec: (P ⊗ Q) vec(X)"),
]

# Issue 13: quotients, normalisations, Gaussian kernels and rank-one updates, each with the
# form a careful author writes as its answer; and Hessians of deep compositions (issue 11).

def tanh_net(W, x, depth):
    h = x
    for _ in range(depth):
        h = tanh(W @ h)
    return np.sum(h)


QUOTIENTS = [
    grad("x' A x / (x' B x) where x: n; A: n x n; B: n x n", "x",
         lambda x, A, B: (x @ A @ x) / (x @ B @ x), spd=("B",),
         answer=lambda x, A, B: ((A + A.T) @ x - (x @ A @ x) / (x @ B @ x) * (B + B.T) @ x) / (x @ B @ x),
         source="Quotient: generalised Rayleigh quotient"),
    grad("(a' x)/(b' x) where a: n; b: n; x: n", "x", lambda a, b, x: (a @ x) / (b @ x),
         answer=lambda a, b, x: (a - (a @ x) / (b @ x) * b) / (b @ x),
         source="Quotient: a ratio of linear forms"),
    grad("x' inv(A + x x') x where x: n; A: n x n", "x", lambda x, A: x @ inv(A + outer(x, x)) @ x,
         invertible=("A",),
         answer=lambda x, A: (1 - x @ inv(A + outer(x, x)) @ x)
         * (inv(A + outer(x, x)) + inv(A + outer(x, x)).T) @ x,
         source="Rank-one update: (1 - s) (M⁻¹ + M⁻ᵀ) x, M = A + x xᵀ, s = xᵀ M⁻¹ x"),
    grad("a' inv(A + u v') b where a: n; b: n; u: n; v: n; A: n x n", "u",
         lambda a, b, u, v, A: a @ inv(A + outer(u, v)) @ b, invertible=("A",),
         answer=lambda a, b, u, v, A: -(v @ inv(A + outer(u, v)) @ b) * inv(A + outer(u, v)).T @ a,
         source="Rank-one update: by the left vector"),
    grad("x' x/(1 + x' x) where x: n", "x", lambda x: (x @ x) / (1 + x @ x),
         answer=lambda x: 2 * x / (1 + x @ x) ** 2, source="Quotient: one denominator that cancels"),
    jac("x/sqrt(x' x) where x: n", "x", lambda x: x / np.sqrt(x @ x),
        answer=lambda x: eye(len(x)) / norm(x) - outer(x, x) / norm(x) ** 3,
        source="Normalisation: x/√(xᵀx)"),
    grad("exp(-||x - y||^2/(2 s^2)) where x: n; y: n; s: scalar", "x",
         lambda x, y, s: exp(-norm(x - y) ** 2 / (2 * s ** 2)),
         answer=lambda x, y, s: -exp(-norm(x - y) ** 2 / (2 * s ** 2)) / s ** 2 * (x - y),
         source="Gaussian kernel: by the point"),
    grad("exp(-||x - y||^2/(2 s^2)) where x: n; y: n; s: scalar", "s",
         lambda x, y, s: exp(-norm(x - y) ** 2 / (2 * s ** 2)), positive=("s",),
         answer=lambda x, y, s: norm(x - y) ** 2 * exp(-norm(x - y) ** 2 / (2 * s ** 2)) / s ** 3,
         source="Gaussian kernel: by the bandwidth"),
    grad("(x' y)/(||x|| ||y||) where x: n; y: n", "x", lambda x, y: (x @ y) / (norm(x) * norm(y)),
         answer=lambda x, y: (y / norm(x) - (x @ y) / norm(x) ** 3 * x) / norm(y),
         source="Normalisation: cosine similarity"),
    grad("log(x' A x) where x: n; A: n x n", "x", lambda x, A: log(x @ A @ x), spd=("A",),
         answer=lambda x, A: (A + A.T) @ x / (x @ A @ x), source="Quotient: log of a quadratic form"),
    hess("x' A x / (x' x) where x: n; A: n x n symmetric", "x", lambda x, A: (x @ A @ x) / (x @ x),
         source="Quotient: Hessian of the Rayleigh quotient"),
    hess("sum(tanh(W tanh(W tanh(W tanh(W x))))) where W: n x n; x: n", "x",
         lambda W, x: tanh_net(W, x, 4), source="Hessian: a tanh net four deep, inline"),
    hess("sum(h4) where h0 = tanh(W x); h1 = tanh(W h0); h2 = tanh(W h1); h3 = tanh(W h2); h4 = tanh(W h3)"
         "; W: n x n; x: n", "x", lambda W, x: tanh_net(W, x, 5),
         source="Hessian: a tanh net five deep, by definitions"),
]

IDENTITIES = (SEED + COOKBOOK_DETERMINANT_INVERSE + COOKBOOK_FORMS + COOKBOOK_TRACE
              + COOKBOOK_NORMS + SYMPY + ML + JACOBIANS + HESSIANS + SCALAR_VARIABLES
              + NUMERATOR + SYMMETRIC + LANGUAGE + SIZES + KRONECKER + QUOTIENTS + ERRORS)
