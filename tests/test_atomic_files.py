"""Files written atomically (trainlab/atomic_files.py) get the permissions a plain ``open()`` would give them."""

from __future__ import annotations

import errno
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


def test_a_file_system_that_refuses_chmod_still_gets_the_file(tmp_path, monkeypatch):
    """vfat or some CIFS mounts refuse chmod (EPERM): keeping the old mode is best effort, the write goes through."""
    target = tmp_path / "status.json"
    target.write_text("{}")
    target.chmod(0o600)

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    write_atomically(target, lambda handle: handle.write(b'{"status": "completed"}'))
    assert target.read_text() == '{"status": "completed"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]


def test_a_looping_link_is_replaced_like_any_target(tmp_path):
    loop = tmp_path / "summary.csv"
    loop.symlink_to(loop)
    write_atomically(loop, lambda handle: handle.write(b"a,b\n"))
    assert not loop.is_symlink() and loop.read_bytes() == b"a,b\n"
