"""Files written atomically (trainlab/atomic_files.py) get the permissions a plain ``open()`` would give them."""

from __future__ import annotations

import os
import stat

from trainlab.atomic_files import write_atomically


def test_atomic_writes_give_files_the_permissions_open_would_not_owner_only(tmp_path):
    """mkstemp creates 0o600 files: a summary or checkpoint written through it must still get 0o666 less the umask
    (readable by the group on a shared machine), and a rewrite keeps the mode the user gave the file."""
    previous = os.umask(0o022)
    try:
        write_atomically(tmp_path / "summary.csv", lambda handle: handle.write(b"a,b\n"))
        assert stat.S_IMODE((tmp_path / "summary.csv").stat().st_mode) == 0o644
        os.umask(0o027)
        write_atomically(tmp_path / "last.ckpt", lambda handle: handle.write(b"x"))
        assert stat.S_IMODE((tmp_path / "last.ckpt").stat().st_mode) == 0o640
        (tmp_path / "summary.csv").chmod(0o664)
        write_atomically(tmp_path / "summary.csv", lambda handle: handle.write(b"a,b\n1,2\n"))
        assert stat.S_IMODE((tmp_path / "summary.csv").stat().st_mode) == 0o664
        assert (tmp_path / "summary.csv").read_bytes() == b"a,b\n1,2\n"
    finally:
        os.umask(previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt", "summary.csv"]
