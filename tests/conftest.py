"""Puts ``tests/`` on the import path (pytest's rootdir conftest rule), so every suite shares
``fakes``: the test tenant's policy, its requests and the small helpers that post through it."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        default=None,
        help="also save the browser tests' screenshots of the main pages here (docs/screenshots)",
    )
