"""A DDP rank leaves its process group in an exit handler, before the interpreter's teardown
(``trainlab.distributed.process_group_exit``): a gloo group left to the teardown now and then aborted a rank that
had finished (``terminate called without an active exception``, exit status -6)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TRAIN_PY, train_command

EXIT_SCRIPT = """
import atexit, sys
import torch.distributed as dist
from trainlab.distributed import process_group_exit

runs = []
leave = process_group_exit.leave_process_group
process_group_exit.leave_process_group = lambda: (runs.append(1), leave())  # counted
# registered first, so it runs after every handler registered below (as train.py's own, trainlab.process_exit)
atexit.register(lambda: print(f"left {len(runs)} times; joined in the last exit handler: {dist.is_initialized()}"))
dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
for _ in range(int(sys.argv[1])):
    process_group_exit.leave_process_group_at_exit()
print("joined:", dist.is_initialized())
"""


@pytest.mark.parametrize(("calls", "left", "joined_at_the_end"), [(0, 0, True), (1, 1, False), (3, 1, False)])
def test_the_group_is_left_once_in_an_exit_handler_before_the_earlier_ones(calls, left, joined_at_the_end):
    result = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, str(calls)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["joined: True",
                                          f"left {left} times; joined in the last exit handler: {joined_at_the_end}"]


def test_leaving_without_a_group_does_nothing():
    import torch.distributed as dist

    from trainlab.distributed.process_group_exit import leave_process_group

    assert not dist.is_initialized()
    leave_process_group()
    assert not dist.is_initialized()


@pytest.mark.parametrize("launched_by", ["trainlab", "torchrun"])
def test_a_ranks_ddp_strategy_has_its_group_left_at_exit(monkeypatch, launched_by):
    from trainlab.distributed import process_group_exit
    from trainlab.distributed.process_world import ddp_strategy

    registered = []
    monkeypatch.setattr(process_group_exit, "leave_process_group_at_exit", lambda: registered.append(launched_by))
    strategy = ddp_strategy("cpu", launched_by)
    assert strategy.process_group_backend == "gloo"
    assert registered == [launched_by]


# train.py run as torchrun runs it, with one exit handler registered before any of train.py's: so it runs last, and
# it says which of the process's threads are still alive then (Linux names them in /proc/self/task/<id>/comm)
LAST_EXIT_HANDLER_SAYS_THREADS = """
import atexit, os, runpy, sys

def threads_left():
    names = sorted(open(f"/proc/self/task/{task}/comm").read().strip() for task in os.listdir("/proc/self/task"))
    # one write for the whole line: the two ranks share torchrun's stderr, and print's separate newline interleaved
    os.write(2, f"rank {os.environ['RANK']} threads at the last exit handler: {names}\\n".encode())

atexit.register(threads_left)
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow  # ~15 s: torchrun, 2 ranks of train.py
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="thread names are read from Linux's /proc")
def test_torchrun_ranks_have_no_gloo_thread_left_when_their_last_exit_handler_runs(tmp_path, data_dir):
    """Before the fix both ranks still ran gloo_tcp_loop and two pt_gloo_runloop threads there."""
    wrapper = tmp_path / "last_exit_handler.py"
    wrapper.write_text(LAST_EXIT_HANDLER_SAYS_THREADS)
    args = train_command(["trainer=ddp", "debug=limit"], tmp_path, data_dir)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", str(wrapper),
                             str(TRAIN_PY), *args], cwd=ROOT, capture_output=True, text=True, timeout=280,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    said = dict(re.findall(r"rank (\d) threads at the last exit handler: (\[.*?\])", output))
    assert sorted(said) == ["0", "1"], output[-3000:]
    for rank, threads in said.items():
        assert "gloo" not in threads, f"rank {rank}: {threads}"
