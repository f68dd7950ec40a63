"""Every e2e test reads and fails the same way: a report title (`@allure.title`, naming each parametrized
argument in braces), every parameter typed (a fixture with the type its fixture returns) and `-> None`, and
one way to fail: `fixtures.posture.verdict.fail` or `fail_on`, never a module's own `fail` nor a direct
`pytest.fail`, and never inside a loop (a check collects a finding per route, origin, function or token and
fails once with all of them). Read from the source with `ast`, like test_e2e_fixture_requests.py, so a new
e2e file is covered at once."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
E2E = ROOT / "tests" / "e2e"
PLUGIN = ROOT / "fixtures" / "pytest_plugin.py"
# pytest's own fixtures the e2e suite requests.
BUILTIN_FIXTURES = {
    "pytestconfig": "pytest.Config",
    "request": "pytest.FixtureRequest",
    "tmp_path": "Path",
    "tmp_path_factory": "pytest.TempPathFactory",
    "monkeypatch": "pytest.MonkeyPatch",
}
GENERATORS = {"Iterator", "Generator", "Iterable", "AsyncIterator", "AsyncGenerator"}
# Calls that end a check: inside a `for` they stop it at the first bad item.
FAILING = {"fail", "fail_on", "aws_errors_fail"}


def _dotted(node: ast.expr) -> str:
    """`pytest.mark.parametrize` for the expression naming it ('' for anything else)."""
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    if isinstance(node, ast.Attribute):
        outer = _dotted(node.value)
        return f"{outer}.{node.attr}" if outer else ""
    return node.id if isinstance(node, ast.Name) else ""


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _fixture_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name a `@pytest.fixture` function is requested by, or None for any other function."""
    for decorator in node.decorator_list:
        if _dotted(decorator) == "pytest.fixture":
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        return str(keyword.value.value)
            return node.name
    return None


def _yielded(annotation: ast.expr) -> str:
    """The fixture's value type: X for Iterator[X] or Generator[X, ...], else the annotation itself."""
    if isinstance(annotation, ast.Subscript) and _dotted(annotation.value).split(".")[-1] in GENERATORS:
        inner = annotation.slice
        return ast.unparse(inner.elts[0] if isinstance(inner, ast.Tuple) else inner)
    return ast.unparse(annotation)


def fixture_types(source: str) -> dict[str, str]:
    """Fixture name -> the type of its value, for every module-level fixture with a return annotation."""
    types = {}
    for node in _functions(ast.parse(source)):
        name = _fixture_name(node)
        if name is not None and node.returns is not None:
            types[name] = _yielded(node.returns)
    return types


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    a = node.args
    return [*a.posonlyargs, *a.args, *([a.vararg] if a.vararg else []), *a.kwonlyargs, *([a.kwarg] if a.kwarg else [])]


def _signature_problems(node: ast.FunctionDef | ast.AsyncFunctionDef, known: dict[str, str], what: str) -> list[str]:
    problems = []
    for arg in _parameters(node):
        if arg.annotation is None:
            problems.append(f"{what} {node.name}: parameter {arg.arg} has no type")
        elif arg.arg in known and ast.unparse(arg.annotation) != known[arg.arg]:
            problems.append(
                f"{what} {node.name}: parameter {arg.arg} is typed {ast.unparse(arg.annotation)}, "
                f"but the fixture is {known[arg.arg]}"
            )
    if node.returns is None:
        problems.append(f"{what} {node.name}: no return type")
    return problems


def _title_problems(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    titles = [d for d in node.decorator_list if _dotted(d) == "allure.title" and isinstance(d, ast.Call)]
    if not titles:
        return [f"test {node.name}: no @allure.title"]
    title = titles[0].args[0] if titles[0].args else None
    text = title.value if isinstance(title, ast.Constant) and isinstance(title.value, str) else None
    problems = []
    for decorator in node.decorator_list:
        if _dotted(decorator) != "pytest.mark.parametrize" or not isinstance(decorator, ast.Call):
            continue
        names = decorator.args[0] if decorator.args else None
        if text is None or not isinstance(names, ast.Constant) or not isinstance(names.value, str):
            continue
        for name in (n.strip() for n in names.value.split(",")):
            if "{" + name + "}" not in text:
                problems.append(f"test {node.name}: its title does not name the parameter {{{name}}}")
    return problems


def _failing_calls_in_loops(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    problems = []
    for loop in (n for n in ast.walk(node) if isinstance(n, ast.For | ast.AsyncFor)):
        for call in (n for stmt in loop.body for n in ast.walk(stmt) if isinstance(n, ast.Call)):
            if _dotted(call.func).split(".")[-1] in FAILING:
                problems.append(
                    f"test {node.name}: {_dotted(call.func)}() inside a for loop (line {call.lineno}) stops at the "
                    "first bad item: collect a finding per item and fail_on(findings) once after the loop"
                )
    return problems


def uniformity_problems(source: str, known: dict[str, str], *, tests: bool = True) -> list[str]:
    """What in an e2e module breaks the rules above. `known`: fixture name -> type from the plugin and the
    conftest (the module's own fixtures are added here); `tests`: the module holds tests (not a conftest)."""
    tree = ast.parse(source)
    known = {**known, **fixture_types(source)}
    anywhere: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "fail":
            anywhere.append((node.lineno, "defines its own fail()"))
        elif isinstance(node, ast.Call) and _dotted(node.func) == "pytest.fail":
            anywhere.append((node.lineno, "calls pytest.fail directly"))
        elif isinstance(node, ast.ImportFrom) and node.module == "pytest" and any(a.name == "fail" for a in node.names):
            anywhere.append((node.lineno, "imports fail from pytest"))
    problems = [f"line {line}: {what}: use fixtures.posture.verdict.fail" for line, what in sorted(anywhere)]
    for node in _functions(tree):
        if _fixture_name(node) is not None:
            problems += _signature_problems(node, known, "fixture")
        elif tests and node.name.startswith("test_"):
            problems += _title_problems(node)
            problems += _signature_problems(node, known, "test")
            if node.returns is not None and ast.unparse(node.returns) != "None":
                problems.append(f"test {node.name}: returns {ast.unparse(node.returns)}, not None")
            problems += _failing_calls_in_loops(node)
    return problems


def test_detects_each_kind_of_problem() -> None:
    source = """
import allure, pytest
from pytest import fail

def fail(message):
    pytest.fail(message, pytrace=False)

@pytest.fixture
def routes(env_config):
    return []

@pytest.mark.parametrize("kind", ["a"])
@allure.title("A check")
def test_a(kind: str, env_config: Any, routes: list[str]):
    for route in routes:
        fail_on([route])

def test_b(api_client: ApiClient) -> int:
    return 1
"""
    problems = uniformity_problems(source, {"env_config": "EnvConfig", "api_client": "ApiClient"})
    assert problems == [
        "line 3: imports fail from pytest: use fixtures.posture.verdict.fail",
        "line 5: defines its own fail(): use fixtures.posture.verdict.fail",
        "line 6: calls pytest.fail directly: use fixtures.posture.verdict.fail",
        "fixture routes: parameter env_config has no type",
        "fixture routes: no return type",
        "test test_a: its title does not name the parameter {kind}",
        "test test_a: parameter env_config is typed Any, but the fixture is EnvConfig",
        "test test_a: no return type",
        "test test_a: fail_on() inside a for loop (line 16) stops at the first bad item: collect a finding per "
        "item and fail_on(findings) once after the loop",
        "test test_b: no @allure.title",
        "test test_b: returns int, not None",
    ]


def test_accepts_a_uniform_module() -> None:
    source = """
from collections.abc import Iterator
import allure, pytest
from fixtures.posture.verdict import fail, fail_on

@pytest.fixture(scope="module", name="client")
def _client(env_config: EnvConfig) -> Iterator[ApiClient]:
    yield ApiClient(env_config)

@allure.title("Route {key} answers")
@pytest.mark.parametrize("key", ["GET /a"])
def test_a(key: str, client: ApiClient, env_config: EnvConfig) -> None:
    findings = [route for route in env_config.routes if route != key]
    if not findings:
        fail("no route")
    fail_on(findings)
"""
    assert uniformity_problems(source, {"env_config": "EnvConfig"}) == []


def test_reads_fixture_types_through_generators() -> None:
    source = (
        "@pytest.fixture\ndef a() -> Iterator[ApiClient]: ...\n"
        "@pytest.fixture\ndef b() -> Generator[str, None, None]: ...\n"
        "@pytest.fixture(scope='session')\ndef c() -> dict[str, Any]: ...\n"
        "def helper() -> int: ...\n"
    )
    assert fixture_types(source) == {"a": "ApiClient", "b": "str", "c": "dict[str, Any]"}


def test_every_e2e_test_is_uniform() -> None:
    conftest = E2E / "conftest.py"
    known = {**BUILTIN_FIXTURES, **fixture_types(PLUGIN.read_text()), **fixture_types(conftest.read_text())}
    problems = [
        f"{path.relative_to(E2E)}: {problem}"
        for path in sorted(E2E.rglob("*.py"))
        for problem in uniformity_problems(path.read_text(), known, tests=path.name.startswith("test_"))
    ]
    assert not problems, "e2e tests that break the suite's conventions:\n" + "\n".join(problems)
