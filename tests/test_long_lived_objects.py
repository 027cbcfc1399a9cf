"""``sweep_objects_frozen``: objects alive at its start are skipped by the collector, and handed back at its end."""

from __future__ import annotations

import gc
import weakref

from trainlab.stacked.long_lived_objects import freeze_now, sweep_objects_frozen


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_frozen_while_inside_and_collected_after():
    old = Node()
    old_ref = weakref.ref(old)
    with sweep_objects_frozen():
        assert gc.get_freeze_count() > 0
        del old
        gc.collect()
        assert old_ref() is not None  # frozen: the collector does not look at it
        young = Node()
        young_ref = weakref.ref(young)
        del young
        gc.collect()
        assert young_ref() is None  # created inside: collected as usual
        later = Node()
        later_ref = weakref.ref(later)
        freeze_now()
        del later
        gc.collect()
        assert later_ref() is not None
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old_ref() is None and later_ref() is None
