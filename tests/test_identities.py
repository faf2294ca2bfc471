"""Every row of tests/identities.py through the Python API, against finite differences.

For each row, matcalc.diff gives the derivative; its ``numpy`` form is evaluated on
random inputs and compared with central differences of the row's hand-written f, laid
out as SPEC §3 says. The table's own closed-form answers are checked the same way,
without matcalc, so that a wrong row cannot blame matcalc.
"""

import itertools
import os
import re
import sys
import zlib

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITIES, python_name  # noqa: E402

STEP = 1e-5            # first derivatives: central differences, relative where |x| > 1
HESSIAN_STEP = 1e-4    # second derivatives: four-point differences
RTOL = 1e-5
HESSIAN_RTOL = 1e-4
DEFAULT_DIMS = {"n": 3, "m": 4, "p": 2, "q": 5}
COMMANDS = ("diff", "grad", "jac", "hess")
LAYOUTS = ("denominator", "numerator")
GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω",
}
SPELLED = {letter: name for name, letter in GREEK.items()}


# ---------------------------------------------------------------- declarations

DECLARATION = re.compile(r"^\s*([^\s:=]+)\s*:\s*(.*?)\s*$")


def declarations(row):
    """{name: (shape or None, symmetric)} from the where clause and declare=.

    A shape is a tuple of dimension names and integers; () is a scalar; None means
    'declared symmetric only, shape inferred'. Definitions (NAME = EXPR) are skipped.
    """
    parts = list(row.declare)
    if " where " in row.expr:
        parts += row.expr.split(" where ", 1)[1].split(";")
    declared = {}
    for part in parts:
        match = DECLARATION.match(part)
        if match:
            name, text = match.groups()
            symmetric = text.endswith("symmetric")
            if symmetric:
                text = text[: -len("symmetric")].strip()
            declared[name] = (parse_shape(text), symmetric)
    return declared


def parse_shape(text):
    if not text:
        return None
    if text == "scalar":
        return ()
    if text.startswith("R^"):
        text = text[2:].strip("{}")
    dims = re.split(r"\s*,\s*|\s*×\s*|\s+x\s+", text.strip("()").strip())
    return tuple(int(d) if d.isdigit() else d for d in dims)


def aliases(name):
    """The spellings a name may take in matcalc's output: λ and lambda are one letter."""
    return [name] + [a for a in (GREEK.get(name), SPELLED.get(name)) if a]


def lookup(variables, name):
    return next((a for a in aliases(name) if a in variables), None)


def is_symmetric(row, name):
    declared = declarations(row).get(name)
    return bool(declared and declared[1])


# ---------------------------------------------------------------- random inputs

def dimension_sizes(row, shapes):
    """A distinct size for every dimension name: the row's dims, else n=3, m=4, p=2, q=5."""
    sizes = dict(row.dims)
    for shape in shapes.values():
        for d in shape:
            if isinstance(d, str) and d not in sizes:
                used = set(sizes.values())
                default = DEFAULT_DIMS.get(d)
                sizes[d] = (default if default is not None and default not in used
                            else next(k for k in itertools.count(2) if k not in used))
    return sizes


def dim_size(token, sizes):
    """The size a result dimension stands for: an int, a name, or a product like 'm*n'."""
    if isinstance(token, int):
        return token
    text = str(token).strip()
    if text.isdigit():
        return int(text)
    if text in sizes:
        return sizes[text]
    product = 1
    for factor in filter(None, re.split(r"[\s*·×()]+", text)):
        base, _, power = factor.partition("^")
        size = int(base) if base.isdigit() else sizes.get(base)
        if size is None:
            return None
        product *= size ** (int(power) if power.isdigit() else 1)
    return product


def random_value(row, name, shape, symmetric, rng):
    z = rng.standard_normal(shape)
    if shape == ():
        return float(np.exp(z) if name in row.positive else z)
    if name in row.positive:
        return np.exp(z)
    if len(shape) == 2 and shape[0] == shape[1]:
        k = shape[0]
        if name in row.spd:
            return z @ z.T + k * np.eye(k)
        if name in row.invertible:
            return z + k * np.eye(k)
        if symmetric or name in row.symmetric:
            return (z + z.T) / 2
    return z


def sample(row, shapes, sizes):
    """Random values for the row's variables, the same on every run (seeded by the row)."""
    rng = np.random.default_rng(zlib.crc32(row.id.encode()))
    return {name: random_value(row, name, tuple(dim_size(d, sizes) for d in shapes[name]),
                               is_symmetric(row, name), rng)
            for name in row.names}


# ---------------------------------------------------------------- finite differences

def vec(a):
    return np.reshape(np.asarray(a, dtype=float), -1, order="F")


def unvec(v, shape):
    return v.reshape(shape, order="F") if shape else float(v[0])


def jacobian(F, X0):
    """J[i, j] = ∂vec(F)_i / ∂vec(X)_j by central differences."""
    v, shape = vec(X0), np.shape(X0)
    columns = []
    for j in range(v.size):
        e = np.zeros(v.size)
        e[j] = STEP * max(1.0, abs(v[j]))
        columns.append((vec(F(unvec(v + e, shape))) - vec(F(unvec(v - e, shape)))) / (2 * e[j]))
    return np.column_stack(columns)


def hessian(F, X0):
    """H[i, j] = ∂²F / ∂vec(X)_i ∂vec(X)_j by four-point differences."""
    v, shape = vec(X0), np.shape(X0)
    f = lambda u: float(F(unvec(u, shape)))  # noqa: E731
    h = HESSIAN_STEP * np.maximum(1.0, np.abs(v))
    H = np.empty((v.size, v.size))
    for i, j in itertools.combinations_with_replacement(range(v.size), 2):
        ei, ej = np.zeros(v.size), np.zeros(v.size)
        ei[i], ej[j] = h[i], h[j]
        H[i, j] = H[j, i] = (f(v + ei + ej) - f(v + ei - ej) - f(v - ei + ej)
                             + f(v - ei - ej)) / (4 * h[i] * h[j])
    return H


def expected_derivative(row, values):
    """The derivative of f at values, laid out as SPEC §3 says for the row's command."""
    X0 = values[row.wrt]
    F = lambda X: np.asarray(row.evaluate(row.f, {**values, row.wrt: X}), dtype=float)  # noqa: E731
    if row.command == "hess":
        H = hessian(F, X0)
        return H[0, 0] if np.ndim(X0) == 0 else H
    J = jacobian(F, X0)
    f_shape, x_shape = np.shape(F(X0)), np.shape(X0)
    if f_shape == () and row.command in ("diff", "grad"):            # ∂f/∂x, ∂f/∂X
        G = J[0].reshape(x_shape, order="F")
        if is_symmetric(row, row.wrt):
            G = (G + G.T) / 2                                          # sym(G)
        if row.command == "grad" or row.layout == "denominator" or G.ndim == 0:
            return G
        return G.T if G.ndim == 2 else G[None, :]                     # numerator: q×p, 1×n
    if row.command == "jac":
        return J                                                       # ∂vec(F)/∂vec(X)'
    if x_shape == ():
        return J[:, 0].reshape(f_shape, order="F")                     # ∂Y/∂s: the shape of Y
    if len(f_shape) == 1 and len(x_shape) == 1:
        return J.T if row.layout == "denominator" else J               # n×m or m×n
    return J                                                           # vec form


# ---------------------------------------------------------------- comparison

def assert_close(actual, expected, rtol, label):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (
        f"{label}: value of shape {actual.shape}, expected {expected.shape}")
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    error = float(np.max(np.abs(actual - expected), initial=0.0))
    assert error <= rtol * scale, (
        f"{label}: max error {error:.3g} > {rtol:g} × {scale:.3g}\n"
        f"expected\n{expected}\ngot\n{actual}")


def evaluate_numpy(text, values):
    """Evaluate a `numpy` form with nothing but np and the variables (SPEC §4)."""
    namespace = {"np": np, "__builtins__": {}}
    for name, value in values.items():
        for alias in aliases(name):
            namespace[python_name(alias)] = value
    try:
        return eval(text, namespace)
    except Exception as exc:  # the message should show the text, not just the error
        pytest.fail(f"numpy form {text!r} failed: {exc!r}")


def check_variables(row, variables, declared):
    for name in row.names:
        key = lookup(variables, name)
        assert key is not None, f"variables lack {name!r}: {sorted(variables)}"
        shape, symmetric = declared.get(name, (None, False))
        if shape is not None:
            got = [str(d) for d in variables[key]["shape"]]
            assert got == [str(d) for d in shape], f"shape of {name}: {got}, declared {shape}"
        if symmetric:
            assert variables[key]["symmetric"] is True, f"{name} was declared symmetric"


def check_result(row, numpy, shape, variables):
    """The checks shared by the API and the CLI: variables, shape, and the numbers."""
    declared = declarations(row)
    check_variables(row, variables, declared)
    shapes = {}
    for name in row.names:
        declared_shape = declared.get(name, (None, False))[0]
        reported = variables[lookup(variables, name)]["shape"]
        shapes[name] = declared_shape if declared_shape is not None else tuple(
            int(d) if str(d).isdigit() else d for d in reported)
    sizes = dimension_sizes(row, shapes)
    values = sample(row, shapes, sizes)
    expected = np.asarray(expected_derivative(row, values), dtype=float)
    actual = np.asarray(evaluate_numpy(numpy, values), dtype=float)
    acceptable = [expected.shape]
    if row.layout == "numerator" and expected.ndim == 2 and expected.shape[0] == 1:
        acceptable.append(expected.shape[1:])   # ∂f/∂x as a 1×n row or as a 1-D array
        if actual.ndim == 1:
            expected = expected[0]
    reported = tuple(dim_size(d, sizes) for d in shape)
    assert reported in acceptable, (
        f"result shape {shape} means {reported}, expected {acceptable[0]} (sizes {sizes})")
    rtol = HESSIAN_RTOL if row.command == "hess" else RTOL
    assert_close(actual, expected, rtol, f"{row.command} d/d{row.wrt} [{row.layout}] of {numpy!r}")


# ---------------------------------------------------------------- the tests

def ids(rows):
    return [row.id for row in rows]


def diff(row):
    import matcalc  # not importable yet: every row fails, which is the point
    return matcalc.diff(row.expr, wrt=row.wrt, kind=row.command, layout=row.layout,
                        declare=list(row.declare))


@pytest.mark.parametrize("row", IDENTITIES, ids=ids(IDENTITIES))
def test_identity(row):
    if row.error:
        import matcalc
        with pytest.raises(matcalc.MatcalcError):
            diff(row)
        return
    result = diff(row)
    check_result(row, result.numpy, result.shape, result.variables)


REFERENCE = [row for row in IDENTITIES if row.answer is not None]


@pytest.mark.parametrize("row", REFERENCE, ids=ids(REFERENCE))
def test_reference_answer(row):
    """The source's closed form agrees with f: the row itself is right."""
    declared = declarations(row)
    shapes = {name: declared[name][0] for name in row.names}
    values = sample(row, shapes, dimension_sizes(row, shapes))
    rtol = HESSIAN_RTOL if row.command == "hess" else RTOL
    assert_close(row.evaluate(row.answer, values), expected_derivative(row, values), rtol,
                 f"answer of {row.id}")


def test_table_is_well_formed():
    assert len(IDENTITIES) >= 120
    for row in IDENTITIES:
        assert row.source and row.command in COMMANDS and row.layout in LAYOUTS, row.id
        sizes = list(row.dims.values())
        assert len(set(sizes)) == len(sizes) and min(sizes, default=2) >= 2, row.id
        if row.error:
            assert row.f is None, row.id
            continue
        assert row.f is not None and row.wrt in row.names, row.id
        if row.answer is not None:   # answers need every shape declared
            declared = declarations(row)
            assert all(declared.get(n, (None,))[0] is not None for n in row.names), row.id
