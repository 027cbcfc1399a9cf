"""A Ctrl-C that reaches a DDP rank after its training is over (a second one, close on the first, once the rank has
stopped and saved) no longer costs the job its outcome: it raised a KeyboardInterrupt while the rank wrote its
outcome file - a traceback instead of the stop line and resume command the job's process prints from it."""

from __future__ import annotations

import json
import os
import signal

import trainlab.distributed.rank_process as rank_process
from trainlab.distributed.rank_processes import OUTCOME_FILE

STOPPED = {"kind": "interrupted", "signum": 2, "checkpoint": "/x/checkpoints/last.ckpt", "step": 7}


def test_a_ctrl_c_as_a_rank_writes_its_outcome_leaves_the_outcome_written(tmp_path, monkeypatch):
    payload = tmp_path / "job.json"
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setattr(rank_process, "run", lambda payload_file, rank: (STOPPED, 130))
    dumps = json.dumps

    def signalled_while_writing(value):
        os.kill(os.getpid(), signal.SIGINT)  # taken before the next line: a KeyboardInterrupt under Python's handler
        return dumps(value)

    monkeypatch.setattr(rank_process.json, "dumps", signalled_while_writing)
    before = signal.getsignal(signal.SIGINT)
    try:
        assert rank_process.main(["rank_process.py", str(payload)]) == 130
    finally:
        signal.signal(signal.SIGINT, before)
    assert json.loads((tmp_path / OUTCOME_FILE.format(rank=0)).read_text()) == STOPPED
