"""Gateway configuration: environment variables (and `.env`) plus the city profile.

Nothing here runs at import; `load_settings` is called from `create_app` and the CLI.
"""
from config.settings import ApiKey, Settings, load_settings

__all__ = ["ApiKey", "Settings", "load_settings"]
