"""The canonical ticket and the normalizer that cleans it (plain Python: no Flask, no database)."""
