"""The one thing pyproject.toml cannot say: ship the checkout's tests/e2e as `fixtures/_suite/tests/e2e`.

The suite's modules import each other as `tests.e2e...`; `stackcheck-e2e` (fixtures.suite) puts
`fixtures/_suite` first on pytest's path. Everything else (metadata, dependencies, entry points,
package data) is in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

SUITE = "fixtures._suite.tests.e2e"

setup(
    packages=[
        *find_namespace_packages(include=["fixtures", "fixtures.*", "twin", "twin.*"], exclude=["*.__pycache__"]),
        SUITE,
        *(f"{SUITE}.{name}" for name in find_packages("tests/e2e")),
    ],
    package_dir={SUITE: "tests/e2e"},
)
