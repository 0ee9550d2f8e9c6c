"""Nothing in Signalbox evaluates user-supplied code or expressions: no eval/exec, no
unpickling, no unsafe YAML, no shell, no templates compiled from strings. Checked on the
syntax tree of every Python file of the project (not the virtualenv), so a string or a
comment that merely names one of these is no finding."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SKIP_DIRS = {".venv", ".cache", ".git", "node_modules", "__pycache__", "static"}

BANNED_NAMES = {
    "eval": "eval() runs arbitrary code",
    "exec": "exec() runs arbitrary code",
    "compile": "compile() prepares arbitrary code",
    "__import__": "__import__() loads a module by a runtime name",
}
BANNED_ATTRIBUTES = {
    ("pickle", "loads"): "unpickling runs code chosen by whoever wrote the bytes",
    ("pickle", "load"): "unpickling runs code chosen by whoever wrote the bytes",
    ("marshal", "loads"): "marshal data can carry code objects",
    ("shelve", "open"): "shelve unpickles",
    ("os", "system"): "a shell command line",
    ("os", "popen"): "a shell command line",
    ("subprocess", "getoutput"): "a shell command line",
    ("subprocess", "getstatusoutput"): "a shell command line",
}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


def _project_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*.py"):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            files.append(path)
    return sorted(files)


def _dotted(node: ast.expr) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _problem(call: ast.Call) -> str | None:
    name = _dotted(call.func)
    if not name:
        return None
    if len(name) == 1 and name[0] in BANNED_NAMES:
        return BANNED_NAMES[name[0]]
    if name[-2:] in BANNED_ATTRIBUTES:
        return BANNED_ATTRIBUTES[name[-2:]]
    if name[-2:] in {("yaml", "load"), ("yaml", "load_all"), ("yaml", "unsafe_load"), ("yaml", "full_load")}:
        loader = _keyword(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
        if loader is None or _dotted(loader)[-1:] not in {(n,) for n in SAFE_YAML_LOADERS}:
            return "yaml.load without SafeLoader builds arbitrary objects"
    shell = _keyword(call, "shell")
    if shell is not None and not (isinstance(shell, ast.Constant) and shell.value is False):
        return "shell=True hands a command line to a shell"
    # A template compiled at run time from anything but a literal could be a user's string.
    literal = bool(call.args) and isinstance(call.args[0], ast.Constant)
    template = name[-1] in {"Template", "from_string"} and name[0] != "string" and not literal
    if template or name[-1] == "Environment":
        return f"{'.'.join(name)}(...) compiles a template from a run-time string"
    return None


def test_no_code_or_expression_evaluation_anywhere_in_the_project():
    files = _project_files()
    assert len(files) > 50, f"found only {len(files)} Python files under {ROOT}: is ROOT right?"
    findings = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                problem = _problem(node)
                if problem:
                    findings.append(f"{path.relative_to(ROOT)}:{node.lineno}: {problem}")
            elif isinstance(node, ast.ImportFrom) and node.module in {"pickle", "marshal", "shelve", "dill"}:
                findings.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports from {node.module}")
    assert not findings, "Code that could evaluate user input:\n" + "\n".join(findings)


def test_the_checker_finds_what_it_looks_for():
    samples = {
        "eval(request.GET['x'])": "eval()",
        "exec(code)": "exec()",
        "pickle.loads(blob)": "unpickling",
        "yaml.load(text)": "yaml.load",
        "yaml.load(text, Loader=yaml.FullLoader)": "yaml.load",
        "subprocess.run(cmd, shell=True)": "shell=True",
        "Template(request.POST['body'])": "compiles a template",
        "engines['django'].from_string(user_text)": "compiles a template",
        "jinja2.Environment().from_string(s)": "compiles a template",
    }
    for source, expected in samples.items():
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        problem = _problem(call)
        assert problem is not None and expected in problem, source
    for safe in (
        "yaml.load(text, Loader=yaml.SafeLoader)",
        "subprocess.run(['ls'])",
        "Template('{{ x }}')",
        "string.Template(s)",
        "json.loads(body)",
        "ast.literal_eval(s)",
    ):
        assert _problem(ast.parse(safe).body[0].value) is None, safe  # type: ignore[attr-defined]
