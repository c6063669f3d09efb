"""The worker moves what start-up built out of the collector's sight, and keeps no garbage there."""
from __future__ import annotations

import gc

from gateway.worker import freeze_start_up


def test_start_up_is_frozen_after_garbage_is_collected():
    class Cycle:
        pass

    garbage = Cycle()
    garbage.self = garbage
    alive = Cycle()
    alive.self = alive
    del garbage
    try:
        assert freeze_start_up() == gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        gc.unfreeze()
        kinds = [o for o in gc.get_objects() if type(o) is Cycle]
        assert kinds == [alive] and frozen >= len(kinds)
    finally:
        gc.unfreeze()
