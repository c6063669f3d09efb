"""Times as callers give them (the parsing lives in normalizer/times.py, shared with dedupe's offline tools)."""
from normalizer.times import parse_time, plausible_time

__all__ = ["parse_time", "plausible_time"]
