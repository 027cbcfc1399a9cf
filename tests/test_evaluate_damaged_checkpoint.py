"""A checkpoint whose stored tensors were overwritten on disk is refused in one line naming the damaged entry.

``torch.load`` does not check the CRC-32 each entry of the archive was written with: a ``last.ckpt`` with a run of
bytes overwritten (``0x41``) loaded, ``trainlab evaluate`` printed ``| val | 858.4227 | 0.1000 |`` and exited 0, and a
resume (``ckpt_path=last``) trained on from the garbage weights.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch

from trainlab.checkpoint_check import check_checkpoint
from trainlab.checkpoint_read import read_checkpoint
from trainlab.errors import CheckpointError

MARK = torch.full((256,), 7.25)  # bytes found again in the file, to overwrite this tensor's data only


def damaged_checkpoint(path: Path) -> str:
    """A Lightning-shaped checkpoint in ``path`` whose tensor's stored bytes were then overwritten with ``A``; returns
    the archive entry that holds them."""
    torch.save({"state_dict": {"net.weight": MARK.clone()}, "pytorch-lightning_version": "2.5.0"}, path)
    data = bytearray(path.read_bytes())
    start = bytes(data).index(MARK.numpy().tobytes())
    data[start:start + 512] = b"A" * 512
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        damaged = archive.testzip()
    assert damaged is not None and damaged.endswith("/data/0")
    return damaged


def test_a_checkpoint_whose_tensor_fails_its_crc_is_refused_naming_the_file_and_entry(tmp_path):
    path = tmp_path / "last.ckpt"
    entry = damaged_checkpoint(path)
    with pytest.raises(CheckpointError) as refused:
        read_checkpoint(path, f"--ckpt {path}")
    assert str(refused.value) == (
        f"--ckpt {path} is a damaged checkpoint: its entry {entry} does not match the CRC it was written with (the "
        "file was changed or corrupted after it was saved); --ckpt takes a checkpoint that a trainlab run wrote "
        "(<run dir>/checkpoints/last.ckpt)")


def test_a_resume_from_a_damaged_checkpoint_is_refused_before_the_model_is_built(tmp_path, make_cfg):
    """``train.py ckpt_path=...`` goes through :func:`check_checkpoint`, the same reading."""
    path = tmp_path / "last.ckpt"
    entry = damaged_checkpoint(path)
    with pytest.raises(CheckpointError, match=rf"^ckpt_path=last \({path}\) is a damaged checkpoint: its entry "
                                              rf"{entry} does not match the CRC"):
        check_checkpoint(path, make_cfg(), purpose="resume", name="ckpt_path=last")


def test_an_intact_checkpoint_still_reads(tmp_path):
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": {"net.weight": MARK.clone()}, "pytorch-lightning_version": "2.5.0"}, path)
    assert torch.equal(read_checkpoint(path, "--ckpt last")["state_dict"]["net.weight"], MARK)
