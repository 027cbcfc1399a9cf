"""A DDP job killed outright (SIGKILL: its ranks die with it) left its scratch directory - ``job.json`` and the
ranks' marks - in the temporary directory for good; the next DDP job removes those of jobs whose process is gone."""

from __future__ import annotations

import os
import subprocess
import sys

from trainlab.distributed.rank_processes import SCRATCH_PREFIX, remove_scratch_of_dead_jobs


def test_the_scratch_of_a_dead_job_is_removed_and_a_live_or_unnamed_ones_kept(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(ended.stdout)  # a process that has ended (its pid free, unless reused at once)
    dead = tmp_path / f"{SCRATCH_PREFIX}{dead_pid}-abc"
    live = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-def"
    older = tmp_path / f"{SCRATCH_PREFIX}xyz123"  # an older version's name: no process id to check
    for scratch in (dead, live, older):
        scratch.mkdir()
        (scratch / "job.json").write_text("{}")
    remove_scratch_of_dead_jobs(tmp_path)
    assert not dead.exists()
    assert live.is_dir() and older.is_dir()
