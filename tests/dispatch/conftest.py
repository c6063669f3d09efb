"""The console's fixtures serve the call-entry hint's tests too."""
from tests.console.conftest import operators  # noqa: F401  (a fixture, used by name)
