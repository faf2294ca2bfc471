"""`--format python` and Result.function(): modules for common losses, run as scripts.

Each module's `__main__` draws arguments in the expression's domain and compares every
derivative it returns with central differences of the value it returns; the value is
compared here with NumPy written by hand; and the shape asserts refuse a column where a
vector is expected, a wrong size and a matrix where a number is expected.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli import app
from matcalc.codegen import python_module

LOSSES = [  # (name, expression, declarations, command, variables together)
    ("least squares", "||X w - y||^2", "X: N x d; y: N; w: d", "grad", ["w"]),
    ("least squares Hessian", "||X w - y||^2", "X: N x d; y: N; w: d", "hess", ["w"]),
    ("ridge", "||X w - y||^2 + lambda ||w||^2", "X: N x d; y: N; w: d; lambda: scalar", "grad", ["w", "lambda"]),
    ("ridge Hessian", "||X w - y||^2 + lambda ||w||^2", "X: N x d; y: N; w: d", "hess", ["w"]),
    ("logistic regression", "sum(softplus(-y .* (X w)))", "X: N x d; y: N; w: d", "grad", ["w"]),
    ("logistic regression Hessian", "sum(softplus(-y .* (X w)))", "X: N x d; y: N; w: d", "hess", ["w"]),
    ("logistic regression, paper form", "sum(log(exp(-y .* (X w)) + ones(N)))", "X: N x d; y: N; w: d",
     "hess", ["w"]),
    ("softmax cross-entropy", "-y' log(softmax(W x))", "W: K x D; x: D; y: K", "grad", ["W", "x"]),
    ("Gaussian NLL", "logdet(S) + (x - m)' inv(S) (x - m)", "S: n x n symmetric; x: n; m: n", "grad", ["S", "m"]),
    ("Gaussian NLL Hessian by the mean", "logdet(S) + (x - m)' inv(S) (x - m)", "S: n x n symmetric; x: n; m: n",
     "hess", ["m"]),
    ("two-layer MLP", "||W2 tanh(W1 x) - y||^2", "W1: h x n; W2: k x h; x: n; y: k", "grad", ["W1", "W2"]),
    ("two-layer MLP Hessian", "||W2 tanh(W1 x) - y||^2", "W1: n x n; W2: n x n; x: n; y: n", "hess", ["W1"]),
    ("MLP with a definition", "||W2 h - y||^2 where h = sigmoid(W1 x + b)", "W1: h1 x n; W2: k x h1", "grad",
     ["W1", "b"]),
    ("logdet", "logdet(X)", "X: n x n", "grad", ["X"]),
    ("logdet Hessian", "logdet(X)", "X: n x n", "hess", ["X"]),
    ("Rayleigh quotient", "x' A x / (x' x)", "A: n x n symmetric; x: n", "grad", ["x"]),
    ("Rayleigh quotient Hessian", "x' A x / (x' x)", "A: n x n symmetric; x: n", "hess", ["x"]),
    ("Poisson regression", "sum(exp(X w)) - y' X w", "X: N x d; y: N; w: d", "hess", ["w"]),
    ("matrix factorization", "||Y - U V'||_F^2 + lambda (||U||_F^2 + ||V||_F^2)", "Y: m x n; U: m x r; V: n x r",
     "grad", ["U", "V"]),
    ("trace of a quadratic form", "tr(A X B X')", "A: m x m; B: n x n; X: m x n", "grad", ["X"]),
    ("Jacobian of a layer", "tanh(W x + b)", "W: m x n; x: n; b: m", "jac", ["x", "W"]),
    ("derivative by a number", "exp(-t) x + t^2 A x", "t: scalar; x: n; A: n x n", "diff", ["t"]),
    ("a matrix by a number", "t^2 A + sin(t) B", "A: m x n; B: m x n; t: scalar", "diff", ["t"]),
    ("a Jacobian by a matrix", "softmax(W x)", "W: k x n; x: n", "jac", ["W"]),
    ("binary cross-entropy Hessian", "-sum(y .* log(sigmoid(X w)) + (ones(N) - y) .* log(ones(N) - sigmoid(X w)))",
     "X: N x d; y: N; w: d", "hess", ["w"]),
    ("Gaussian process evidence", "y' inv(K) y + logdet(K)", "K: n x n symmetric; y: n", "grad", ["K"]),
    ("ICA Hessian", "-logdet(W) + sum(softplus(W x))", "W: n x n; x: n", "hess", ["W"]),
    ("a variable named np", "np' x + lambda ||x||^2", "np: n; x: n; lambda: scalar", "grad", ["x", "np"]),
]


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("modules")
    out = {}
    for name, expr, decls, kind, wrt in LOSSES:
        path = folder / (name.replace(" ", "_").replace(",", "") + ".py")
        path.write_text(python_module(expr, wrt=wrt, kind=kind, declare=decls))
        out[name] = path
    return out


@pytest.mark.parametrize("loss", LOSSES, ids=lambda c: c[0])
def test_a_module_run_as_a_script_checks_its_derivatives(loss, modules):
    done = subprocess.run([sys.executable, str(modules[loss[0]])], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("agrees with central differences") == len(loss[4]), done.stdout


def _load(path):
    """The module's function, imported without running its __main__."""
    namespace = {"__name__": "generated"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return next(v for k, v in namespace.items() if k.startswith("f_and_"))


def test_the_module_imports_only_numpy(modules):
    for path in modules.values():
        imports = [line for line in path.read_text().splitlines() if line.startswith(("import", "from"))]
        assert imports == ["import numpy as np"], (path, imports)


def test_several_variables_share_the_forward_pass(modules):
    text = modules["two-layer MLP"].read_text()
    assert text.count("np.tanh(") == 1, text


def logistic_data(rng, N=7, d=3):
    return rng.standard_normal((N, d)), rng.choice([-1.0, 1.0], N), rng.standard_normal(d)


def test_the_value_and_gradient_are_those_of_the_loss(modules):
    rng = np.random.default_rng(1)
    X, y, w = logistic_data(rng)
    value, grad = _load(modules["logistic regression"])(X=X, y=y, w=w)
    s = 1 / (1 + np.exp(y * (X @ w)))
    assert np.isclose(value, np.sum(np.log1p(np.exp(-y * (X @ w)))))
    assert np.allclose(grad, -X.T @ (s * y))
    value, hess = _load(modules["least squares Hessian"])(X=X, y=y, w=w)
    assert np.isclose(value, np.sum((X @ w - y) ** 2)) and np.allclose(hess, 2 * X.T @ X)


@pytest.mark.parametrize("bad, why", [
    (dict(y=lambda y: y[:, None]), "a column where a vector is expected"),
    (dict(w=lambda w: w[:-1]), "a vector of the wrong length"),
    (dict(X=lambda X: X.T), "a transposed matrix"),
    (dict(X=lambda X: X[0]), "a vector where a matrix is expected"),
])
def test_shape_asserts_refuse_misshaped_arguments(bad, why, modules):
    f = _load(modules["logistic regression"])
    args = dict(zip(("X", "y", "w"), logistic_data(np.random.default_rng(2))))
    for name, change in bad.items():
        args[name] = change(args[name])
    with pytest.raises(AssertionError):
        f(**args)


def test_a_number_must_be_a_number(modules):
    f = _load(modules["ridge"])
    X, y, w = logistic_data(np.random.default_rng(3))
    f(X=X, y=y, w=w, lambda_=0.5)
    with pytest.raises(AssertionError):
        f(X=X, y=y, w=w, lambda_=np.ones(2))


def test_a_symmetric_argument_must_be_symmetric(modules):
    f = _load(modules["Gaussian NLL"])
    rng = np.random.default_rng(4)
    A = rng.standard_normal((3, 3))
    f(S=A @ A.T + 3 * np.eye(3), x=rng.standard_normal(3), m=rng.standard_normal(3))
    with pytest.raises(AssertionError):
        f(S=A + 3 * np.eye(3), x=rng.standard_normal(3), m=rng.standard_normal(3))


def test_result_function_is_the_module_function_with_the_variables_names():
    r = matcalc.grad("np' x + lambda ||x||^2", wrt="x", declare="np: n; x: n; lambda: scalar")
    assert r.variables["np"]["python"] == "np_" and r.variables["lambda"]["python"] == "lambda_"
    f = r.function()
    rng = np.random.default_rng(5)
    a, x = rng.standard_normal(4), rng.standard_normal(4)
    value, grad = f(np_=a, x=x, lambda_=2.0)
    assert np.isclose(value, a @ x + 2.0 * x @ x) and np.allclose(grad, a + 4.0 * x)
    with pytest.raises(AssertionError):
        f(np_=a, x=x[:, None], lambda_=2.0)


def test_result_function_agrees_with_the_numpy_expression():
    r = matcalc.hess("||W2 tanh(W1 x) - y||^2", wrt="W1", declare="W1: n x n; W2: n x n; x: n; y: n")
    rng = np.random.default_rng(6)
    v = {"W1": rng.standard_normal((3, 3)), "W2": rng.standard_normal((3, 3)),
         "x": rng.standard_normal(3), "y": rng.standard_normal(3)}
    _, H = r.function()(**v)
    assert np.allclose(H, eval(r.numpy, {"np": np, **v}))


def test_the_cli_writes_one_module_for_all_the_variables(tmp_path):
    result = CliRunner().invoke(app, ["grad", "||W2 tanh(W1 x) - y||^2", "--wrt", "W1", "--wrt", "W2",
                                      "-f", "python"], prog_name="matcalc")
    assert result.exit_code == 0, result.output
    assert result.output.count("def f_and_grad(") == 1
    path = tmp_path / "mlp.py"
    path.write_text(result.output)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.count("agrees") == 2, done.stdout + done.stderr


def test_a_name_never_calls_a_transpose_by_the_untransposed_name():
    """diff of A x by x in the denominator layout is the Jacobian transposed: f_and_jacT and
    jacT_x, so a square A cannot be mistaken for the Jacobian's layout."""
    from typer.testing import CliRunner

    from matcalc.cli import app

    text = CliRunner().invoke(app, ["diff", "A x", "--wrt", "x", "-f", "python"]).stdout
    assert "def f_and_jacT(" in text and "jacT_x" in text and "Jacobian transposed" in text
    text = CliRunner().invoke(app, ["jac", "A x", "--wrt", "x", "-f", "python"]).stdout
    assert "def f_and_jac(" in text and "jac_x" in text


def test_python_reads_one_expression_and_its_trace_goes_to_standard_error():
    from typer.testing import CliRunner

    from matcalc.cli import app

    out = CliRunner().invoke(app, ["grad", "--wrt", "x", "-f", "python"], input="x' A x\nx' x\n")
    assert out.exit_code == 2 and "one module" in out.output
    out = CliRunner().invoke(app, ["grad", "x' A x", "--wrt", "x", "-f", "python", "--steps"])
    assert out.exit_code == 0 and "def f_and_grad(" in out.stdout and "product" in out.stderr
