"""keras-ov's layers import only downward, and no two modules import each other.

The order, lowest first: ``engine`` -> ``ops`` -> ``autodiff`` -> ``backend`` ->
``_activation``/``cli``/``__init__``/``__main__``.  A module may import modules of
its own layer or of a lower one; the modules of the package must form no import
cycle.  Imports inside functions count like any other (a lazy import hides a
cycle, it does not remove it), and each one must carry a comment, on its line or
the line above (or inside its parentheses), naming the cycle or the cost it avoids.

The imports are read with ``ast``; nothing is imported.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "keras_ov"

LAYERS = {"engine": 0, "ops": 1, "autodiff": 2, "backend": 3}
TOP = 4  # keras_ov/__init__.py, _activation.py, cli.py, __main__.py


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module):
    parts = module.split(".")
    if len(parts) == 1:
        return TOP  # the package's own __init__
    if parts[1] in LAYERS:
        return LAYERS[parts[1]]
    return TOP


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(name):
    """The package module a dotted import name refers to (a submodule if one exists)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


class Import:
    def __init__(self, path, node, target, inside_function):
        self.path = path
        self.line = node.lineno
        self.end_line = node.end_lineno
        self.target = target
        self.inside_function = inside_function

    def __repr__(self):
        return f"{self.path.relative_to(ROOT)}:{self.line} -> {self.target}"


def imports_of(path):
    """Every import in a module: (Import, external module name or None)."""
    tree = ast.parse(path.read_text(), str(path))
    me = module_name(path)
    is_package = path.name == "__init__.py"
    found = []

    def visit(node, inside_function):
        for child in ast.iter_child_nodes(node):
            inner = inside_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(path, child, alias.name, inside_function))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = me.split(".") if is_package else me.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    stem = ".".join(base + ([child.module] if child.module else []))
                else:
                    stem = child.module
                for alias in child.names:
                    # `from pkg import module` names a submodule; `from mod import f` a module.
                    full = f"{stem}.{alias.name}"
                    found.append(
                        Import(
                            path, child, full if resolve(full) == full else stem, inside_function
                        )
                    )
            visit(child, inner)

    visit(tree, False)
    return found


ALL_IMPORTS = [imp for path in MODULES.values() for imp in imports_of(path)]
INTERNAL = [imp for imp in ALL_IMPORTS if imp.target.split(".")[0] == "keras_ov"]


def test_the_package_is_found():
    assert "keras_ov.ops.registry" in MODULES and "keras_ov.engine.execute" in MODULES
    assert INTERNAL


def test_imports_go_only_downward():
    upward = []
    for imp in INTERNAL:
        source = module_name(imp.path)
        target = resolve(imp.target)
        assert target is not None, f"{imp}: no such module in keras_ov"
        if layer_of(target) > layer_of(source):
            upward.append(imp)
    assert not upward, "imports that go up a layer:\n" + "\n".join(map(repr, upward))


def graph():
    edges = {}
    for imp in INTERNAL:
        source, target = module_name(imp.path), resolve(imp.target)
        if target != source:
            edges.setdefault(source, set()).add(target)
    return edges


def find_cycles(edges):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def strongconnect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return components


def test_no_import_cycles():
    cycles = find_cycles(graph())
    assert not cycles, f"modules that import each other (directly or around a circle): {cycles}"


def test_the_cycle_finder_finds_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def has_comment(lines, imp):
    """A comment on one of the import's lines (``ruff format`` moves a comment
    of a wrapped ``from ... import (`` inside the parentheses) or on the line
    above it."""
    here = lines[imp.line - 1 : imp.end_line]
    above = lines[imp.line - 2].strip() if imp.line >= 2 else ""
    return any("#" in line for line in here) or above.startswith("#")


@pytest.mark.parametrize("path", sorted(MODULES.values()), ids=lambda p: module_name(p))
def test_imports_inside_functions_say_why(path):
    lines = path.read_text().splitlines()
    silent = [
        imp for imp in imports_of(path) if imp.inside_function and not has_comment(lines, imp)
    ]
    assert not silent, (
        "imports inside functions need a comment (on the line or the one above) naming "
        "the cycle or cost they avoid:\n" + "\n".join(map(repr, silent))
    )


def loaded_with(module):
    """The package modules that importing ``module`` loads (module-level imports)."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        for imp in imports_of(MODULES[m]):
            target = resolve(imp.target) if imp.target.startswith("keras_ov") else None
            if target and not imp.inside_function:
                todo.append(target)
    return seen


@pytest.mark.parametrize("module", sorted(loaded_with("keras_ov.ops")))
def test_the_ops_package_does_not_import_keras(module):
    """Keras imports ``keras_ov.backend`` as its backend, which fills its
    namespaces from the ops registry: a module-level keras import in a module
    that ``keras_ov.ops`` loads runs that half-way through ``keras_ov.ops``,
    and the backend misses every op registered after it.  (``control_flow``
    and ``rnn`` use ``keras.src.tree``: ``keras_ov.ops`` does not load them.)"""
    eager = [
        imp
        for imp in imports_of(MODULES[module])
        if not imp.inside_function and imp.target.split(".")[0] == "keras"
    ]
    assert not eager, "module-level keras imports:\n" + "\n".join(map(repr, eager))
