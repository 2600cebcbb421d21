"""The layers a reader sees in the tree (base < content < workflows < permissions < config)
stay true: imports go downwards, at the top of modules.

The layers themselves are checked by import-linter (`lint-imports`, a contract in
pyproject.toml, run by ./scripts/test) on every import, function-level ones included. This
test adds what import-linter does not see: an import hidden inside a function, which is how
a cycle is usually dodged. The only ones allowed are in an AppConfig.ready(), where Django
asks apps to connect their signals.
"""

import ast
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
PACKAGES = CONFIG["root_packages"]


def function_level_imports(root=ROOT, packages=PACKAGES):
    """(file, line, statement, in a ready()) of every import of a project module inside a function."""

    def ours(module: str) -> bool:
        return any(module == name or module.startswith(f"{name}.") for name in packages)

    found = []
    for package in packages:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Import):
                        modules = [alias.name for alias in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        modules = [node.module]
                    else:
                        continue
                    if any(ours(module) for module in modules):
                        ready = function.name == "ready" and path.name == "apps.py"
                        found.append((str(path.relative_to(root)), node.lineno, ast.unparse(node), ready))
    return found


def test_the_layers_are_declared_for_every_app_in_the_tree():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"config"}
    assert set(PACKAGES) == apps
    (contract,) = CONFIG["contracts"]
    assert contract["type"] == "layers" and contract["layers"][-1] == "base"


def test_no_project_module_is_imported_inside_a_function_except_to_connect_signals():
    hidden = [f"{path}:{line} {statement}" for path, line, statement, ready in function_level_imports() if not ready]
    assert hidden == [], "imports inside functions (move them to the top of the module, or fix the layering):\n" + (
        "\n".join(hidden)
    )


def test_the_check_finds_an_import_hidden_in_a_function(tmp_path):
    """The scan itself works: an import dodging a cycle is reported, a ready() one is allowed,
    a third-party import inside a function is none of its business."""
    for package, files in {
        "base": {"apps.py": "def ready():\n    from base import signals\n"},
        "content": {"models.py": "def f():\n    from base.models import AuditEvent\n    import json\n"},
    }.items():
        (tmp_path / package).mkdir()
        for name, text in files.items():
            (tmp_path / package / name).write_text(text, encoding="utf-8")
    found = {(path, ready) for path, _line, _statement, ready in function_level_imports(tmp_path, ["base", "content"])}
    assert found == {("base/apps.py", True), ("content/models.py", False)}
