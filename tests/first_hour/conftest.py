"""Fixtures for the first-hour tests (README, serve, simulate, docs/api.md): real `python -m gateway …` processes,
stopped by their own handles."""
from __future__ import annotations

import pytest

from tests.durability.support import Processes


@pytest.fixture
def procs(tmp_path):
    """Gateway processes of this test, all stopped at its end."""
    processes = Processes(tmp_path)
    yield processes
    processes.stop_all()
