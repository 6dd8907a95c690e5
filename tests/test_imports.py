"""The project's layering, read from its imports (`ast`): no module imports
in a circle, `models` imports neither `pipeline` nor `tuning`, and the
engine (`pipeline.core`) and the data plumbing (`pipeline.data`) import no
task (`docs/architecture.md` section 1). Imports inside functions count
too: a lazy import is still a dependency."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("models", "pipeline", "tuning", "bench")


def modules():
    """`{dotted name: path}` of every module of the project's packages."""
    out = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    out[dotted.removesuffix(".__init__")] = path
    return out


def imports(path, name, known):
    """The project modules that the module `name` at `path` imports."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `from a.b import f` -> a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph():
    known = modules()
    return {name: imports(path, name, known) for name, path in known.items()}


def cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == "open":
                return stack[stack.index(child):] + [child]
            if child not in state:
                found = visit(child, stack)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_no_module_imports_in_a_circle(graph):
    assert cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("layer,forbidden", [
    ("models", ("pipeline", "tuning", "bench")),
    # the registry imports the package `pipeline.tasks` (to find the folders), no task
    ("pipeline.core", ("pipeline.tasks.", "tuning", "bench")),
    ("pipeline.data", ("pipeline.tasks.", "tuning", "bench")),
    ("pipeline", ("bench",)),
])
def test_layers_import_only_downwards(graph, layer, forbidden):
    wrong = sorted((name, target) for name, targets in graph.items()
                   if name == layer or name.startswith(layer + ".")
                   for target in targets
                   if any(target == f or target.startswith(f if f.endswith(".") else f + ".")
                          for f in forbidden))
    assert wrong == []
