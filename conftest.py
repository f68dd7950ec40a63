"""Root conftest: loads the harness's pytest plugin for every test folder."""

pytest_plugins = ["fixtures.pytest_plugin"]
