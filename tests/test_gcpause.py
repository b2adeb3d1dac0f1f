"""The collector pause is re-entrant, thread-safe and restores what it found; the YAML scalar
cache never confuses values that differ in quoting or tag."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import pytest

from segcfg.errors import InputError
from segcfg.gcpause import gc_paused, without_gc
from segcfg.yamlsrc import parse_yaml_text


def test_nested_pauses_restore_an_enabled_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer call is still running
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_exception_inside_still_restores() -> None:
    @without_gc
    def boom() -> None:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        boom()
    assert gc.isenabled()


def test_worker_threads_leave_the_collector_alone() -> None:
    seen: list[bool] = []

    def work() -> None:
        with gc_paused():
            seen.append(gc.isenabled())

    with gc_paused():  # even while the main thread has it paused, workers do not touch it
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not gc.isenabled()
    assert seen == [False] * 4
    assert gc.isenabled()
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[4:] == [True] * 4  # a worker never pauses it itself
    assert gc.isenabled()


def test_scalar_cache_keeps_quoting_and_tags_apart() -> None:
    doc = parse_yaml_text("a: '1'\nb: 1\nc: yes\nd: 'yes'\ne: !!str 2\nf: 2\n", "t.yaml")
    assert doc.data == {"a": "1", "b": 1, "c": True, "d": "yes", "e": "2", "f": 2}
    for _ in range(2):  # errors are never cached as values
        with pytest.raises(InputError) as exc:
            parse_yaml_text("a: 1\nb: !!int nope\n", "t.yaml")
        assert exc.value.diagnostics[0].location.line == 2


_NO_WALK_AFTER_PAUSE = """
import gc, threading
from segcfg.gcpause import without_gc

assert threading.active_count() == 1
gc.collect()
threshold = gc.get_threshold()[0]
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info) if phase == "start" else None)

@without_gc
def build():
    return [[i] for i in range(50 * threshold)]

kept = build()
more = [[i] for i in range(threshold // 2)]  # fewer than one generation's worth
assert len(kept) == 50 * threshold and len(more) == threshold // 2
print(len(collections))
"""


def test_what_a_pause_built_sets_off_no_collection_afterwards() -> None:
    # A fresh interpreter: single-threaded for sure, whatever other tests left running.
    out = subprocess.run(
        [sys.executable, "-c", _NO_WALK_AFTER_PAUSE], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0"  # nothing walks the 50 generations' worth it built


def test_cycles_made_during_a_pause_are_still_collected() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    import weakref

    @without_gc
    def make() -> weakref.ref[Node]:
        return weakref.ref(Node())

    ref = make()
    assert ref() is not None  # a cycle: reference counting alone cannot free it
    gc.collect()
    assert ref() is None


def test_with_other_threads_running_young_collections_still_free_cycles() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    import weakref

    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        with gc_paused():
            ref = weakref.ref(Node())
        assert ref() is not None
        junk = [[i] for i in range(20 * gc.get_threshold()[0])]  # young collections run
        assert ref() is None and junk
    finally:
        stop.set()
        worker.join()


def test_objects_someone_else_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gc_paused():
            _ = [[i] for i in range(1000)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
