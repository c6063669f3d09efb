"""The console's fixtures serve the hot page's tests too."""
from tests.console.conftest import operators  # noqa: F401  (a fixture, used by name)
