"""Puts ``tests/`` on the import path (pytest's rootdir conftest rule), so every suite shares
``fakes``: the test tenant's policy, its requests and the small helpers that post through it."""
