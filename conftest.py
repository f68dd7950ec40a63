"""Root conftest. The harness's pytest plugin is not listed here: it comes from the package's pytest11 entry
point (`fixtures.pytest_plugin`), which `make setup` installs (`pip install -e .[dev]`), so the checkout and
an installed harness load it the same one way."""
