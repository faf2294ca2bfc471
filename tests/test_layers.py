"""The module list is the pipeline: each module imports only from the layers below it.

Read from the source with ast, lazy imports inside functions included (imports under
`if TYPE_CHECKING:` are for type hints and do not count). A new module gets a layer here.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "matcalc"

LAYERS = [
    ["ir", "lalr", "_parse_table"],                           # data; the parser's runtime and tables
    ["algebra", "printers.common", "printers.texwidth", "latex_input"],  # canonical form; what printers share
    ["printers.text", "printers.latex", "printers.numpy", "parse", "to_sympy"],
    ["printers.python"],                                      # a module around the numpy printer's code
    ["readings", "rules", "simplify"],                        # how names read; differentiation; identities
    ["shapes"],                                               # typing: syntax -> IR
    ["derive"],                                               # engine -> identify -> layout -> simplify
    ["trace"],                                                # the chain-rule trace as data
    ["printers.steps", "printers.head", "report"],                             # presentation of traces and tables
    ["matcalc"],                                              # the Python API
    ["render", "check"],                                      # Rich for a terminal; the numeric oracle
    ["exact", "codegen"],                                     # check --exact (SymPy); runnable code and its domains
    ["cli", "printers"],                                      # wiring
    ["__main__"],
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
THIRD_PARTY = {"lark": set(), "typer": {"cli"}, "rich": {"render"}, "numpy": {"check", "exact"},
               "sympy": {"to_sympy", "exact"}}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__").removesuffix("__init__") or "matcalc"
        yield name, path


MODULES = dict(_modules())


def _type_checking(node) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test)


def imports(name: str, path: pathlib.Path):
    """(matcalc modules, top-level third-party packages) that a module imports."""
    package = name.rsplit(".", 1)[0] if "." in name else ""
    ours, theirs = set(), set()
    skip = {id(n) for node in ast.walk(ast.parse(path.read_text())) if _type_checking(node)
            for n in ast.walk(node)}
    for node in ast.walk(ast.parse(path.read_text())):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".") if package else []
            base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:  # `from . import x`: a module, or a name of the package
                for a in node.names:
                    module = ".".join(base + [a.name])
                    ours.add(module if module in MODULES else (".".join(base) or "matcalc"))
            else:
                ours.add(target or "matcalc")
        elif isinstance(node, ast.ImportFrom):
            theirs.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            theirs |= {a.name.split(".")[0] for a in node.names}
    return ours, theirs




@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_from_below(name):
    assert name in RANK, f"{name} has no layer in tests/test_layers.py"
    ours, theirs = imports(name, MODULES[name])
    for target in ours:
        assert target in RANK, f"{name} imports {target}, which has no layer"
        assert RANK[target] < RANK[name], f"{name} (layer {RANK[name]}) imports {target} (layer {RANK[target]})"
    for package, allowed in THIRD_PARTY.items():
        if package in theirs:
            assert name in allowed, f"only {sorted(allowed) or 'nothing'} may import {package}, not {name}"


def test_ir_imports_nothing_from_matcalc():
    assert imports("ir", MODULES["ir"])[0] == set()
