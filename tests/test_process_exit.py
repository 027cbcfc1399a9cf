"""A finished process exits without a last full garbage collection, after every other exit handler ran, and loses
no buffered TensorBoard event on the way."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return result.stdout


CYCLE = """
    import atexit, gc
    at_start = gc.get_freeze_count()  # 0 on Python 3.11; 3.12 starts with some of its own objects frozen
    {skip}
    atexit.register(lambda: print("later handler sees", gc.get_freeze_count() - at_start, "more frozen objects",
                                  flush=True))

    class Node:
        def __del__(self):
            print("cycle finalised", flush=True)

    first, second = Node(), Node()
    first.other, second.other = second, first
"""


def test_the_freeze_runs_after_the_other_exit_handlers_and_the_shutdown_skips_the_objects_alive_then():
    skipping = run_python(CYCLE.format(skip="from trainlab.process_exit import skip_final_garbage_collection\n"
                                            "    skip_final_garbage_collection()"))
    assert skipping == "later handler sees 0 more frozen objects\n"  # nothing frozen before the later handler ran
    plain = run_python(CYCLE.format(skip=""))
    assert plain.count("cycle finalised") == 2  # without it the shutdown's collection walks every object


def test_an_event_file_nobody_closed_is_flushed_when_the_process_exits(tmp_path):
    run_python(f"""
        from trainlab.process_exit import skip_final_garbage_collection
        skip_final_garbage_collection()
        from trainlab.loggers import buffered_event_writer
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary

        buffered_event_writer.LIVE_SECONDS = 3600.0
        writer = buffered_event_writer.BufferedEventFileWriter({str(tmp_path)!r})
        writer.add_event(Event(step=7, summary=Summary(value=[Summary.Value(tag="x", simple_value=1.0)])))
        cycle = [writer]  # held in a reference cycle: the shutdown frees it no more; the exit handler flushes it
        cycle.append(cycle)
    """)
    (path,) = tmp_path.glob("events.out.tfevents.*")
    assert [event.step for event in EventFileLoader(str(path)).Load() if event.HasField("summary")] == [7]
