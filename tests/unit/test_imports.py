"""The import rules of issue 14 (item 4), read from the source with ast (no module is imported):
no import cycle among module-level imports, and every import inside a function or class says why
it is there (`# cycle: a -> b -> a`, `# lazy: ...` or `# optional: ...`)."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REASONS = ("cycle:", "lazy", "optional")


def modules(root):
    """{dotted module name: path} of the package under root."""
    found = {}
    for d, _, files in os.walk(os.path.join(root, "zookeeper_py")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(d, f)
                name = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                found[name[:-len(".__init__")] if name.endswith(".__init__") else name] = path
    return found


def imported(node, mods):
    """The modules of the package an import statement runs. `from pkg import sub` names the
    submodule, not the package's __init__ (which has already started when a submodule runs)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in mods]
    base = node.module or ""
    subs = [base + "." + a.name for a in node.names if base + "." + a.name in mods]
    if len(subs) < len(node.names) and base in mods:
        subs.append(base)
    return subs


def scan(root):
    """(graph of module-level imports, [(path, line, nested import) ...])."""
    mods = modules(root)
    graph, nested = {m: set() for m in mods}, []
    for name, path in mods.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)

        def visit(node, in_def):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)) and not getattr(child, "level", 0):
                    if in_def:
                        nested.append((path, child.lineno))
                    else:
                        graph[name].update(m for m in imported(child, mods) if m != name)
                visit(child, in_def or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))

        visit(tree, False)
    return graph, nested


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def unexplained(nested):
    """Nested imports with no reason: none in a comment on the import's line, nor on the comment
    line above its group of imports (blank lines and a `try:` may sit between)."""
    bad = []
    for path, line in nested:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        i = line - 1
        reason = lines[i] if any(word in lines[i].partition("#")[2] for word in REASONS) else None
        while reason is None and i > 0:
            i -= 1
            text = lines[i].strip()
            if text.startswith("#"):
                reason = text
            elif not (text == "" or text == "try:" or text.startswith(("import ", "from "))):
                break
        if reason is None or not any(word in reason for word in REASONS):
            bad.append("%s:%d" % (os.path.relpath(path, ROOT), line))
    return bad


@pytest.fixture(scope="module")
def tree():
    return scan(ROOT)


def test_no_module_level_import_cycle(tree):
    graph, _ = tree
    assert len(graph) > 100  # the package was found
    assert cycles(graph) == [], "move the shared piece out, or import it in the function with # cycle: ..."


def test_every_function_level_import_says_why(tree):
    _, nested = tree
    assert unexplained(nested) == [], "move these to module level, or say why (# cycle: / # lazy: / # optional:)"


def test_the_checks_see_a_cycle_and_a_bare_import(tmp_path):
    pkg = tmp_path / "zookeeper_py"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from zookeeper_py.b import B\n\nA = 1\n")
    (pkg / "b.py").write_text("from zookeeper_py import a\n\nB = 2\n\n\ndef f():\n    import json\n\n    return json\n")
    (pkg / "c.py").write_text("def g():\n    # cycle: c -> a -> c\n    from zookeeper_py.a import A\n    return A\n")
    graph, nested = scan(str(tmp_path))
    assert cycles(graph) == [["zookeeper_py.a", "zookeeper_py.b"]]
    assert [os.path.basename(p) for p in unexplained(nested)] == ["b.py:7"]
