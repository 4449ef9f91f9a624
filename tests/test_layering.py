"""zoo's modules import one way, from top to bottom, and never in a cycle (README: Layout).

Every module under zoo/ is parsed (AST), with its module-level and function-level imports alike:
an import of a higher layer, or a cycle between two modules, fails naming the files.
"""

import ast
from pathlib import Path

ZOO = Path(__file__).resolve().parents[1] / "zoo"

# lowest first; a module may import its own layer's package and any lower layer
LAYERS = (
    ("zoo._lazy", "zoo._normalization", "zoo.registry", "zoo.validation"),
    ("zoo.data", "zoo.layers", "zoo.export"),
    ("zoo.models",),
    ("zoo.train",),
    ("zoo.transfer",),
    ("zoo.tune",),
    ("zoo.inference",),
    ("zoo", "zoo.cli", "zoo.__main__", "zoo.custom_objects", "zoo._quiet_startup"),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ZOO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_of(module: str):
    """(rank, package) of the longest LAYERS prefix that names `module`."""
    best = None
    for rank, packages in enumerate(LAYERS):
        for package in packages:
            if module == package or module.startswith(package + "."):
                if best is None or len(package) > len(best[1]):
                    best = (rank, package)
    return best


def _imports(path: Path, module: str):
    """The zoo modules `path` imports anywhere in it, resolved (`from zoo.x import y` gives
    zoo.x.y when that is a module, else zoo.x), with their line numbers."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [(f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base,
                      node.lineno) for alias in node.names]
        else:
            continue
        for name, line in names:
            if name == "zoo" or name.startswith("zoo."):
                yield name, line


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ZOO.parent / rel).with_suffix(".py").is_file() or (ZOO.parent / rel / "__init__.py").is_file()


def _graph():
    graph = {}
    for path in sorted(ZOO.rglob("*.py")):
        module = _module_name(path)
        graph[module] = (path, sorted(set(_imports(path, module))))
    return graph


def test_every_module_has_a_layer():
    missing = [m for m in _graph() if _layer_of(m) is None]
    assert not missing, f"modules with no layer in tests/test_layering.py LAYERS: {missing}"


def test_no_upward_imports():
    graph, bad = _graph(), []
    for module, (path, imports) in graph.items():
        rank, package = _layer_of(module)
        for target, line in imports:
            target_rank, target_package = _layer_of(target)
            if target_rank > rank or (target_rank == rank and target_package != package
                                      and rank != len(LAYERS) - 1):
                bad.append(f"{path.relative_to(ZOO.parent)}:{line} imports {target} "
                           f"({target_package} is not below {package})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_import_cycles():
    graph = _graph()
    edges = {m: {t for t, _ in imports if t in graph and t != m}
             for m, (_, imports) in graph.items()}
    # a package's __init__ importing its own submodules is how packages export; not a cycle
    for module in edges:
        edges[module] = {t for t in edges[module]
                         if not (t.startswith(module + ".") and graph[module][0].name == "__init__.py")}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                cycles.append(" -> ".join(str(graph[m][0].relative_to(ZOO.parent)) for m in cycle))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
