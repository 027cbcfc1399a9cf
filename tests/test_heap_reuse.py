"""``reuse_freed_heap_memory``: when glibc's thresholds are set, and that freed tensor memory is then reused."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from trainlab.heap_reuse import heap_reuse_wanted

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# a training step's pattern: several 6 MB tensors alive at once, all freed at the end of the step; each step's
# tensors a little larger than the last step's, so that glibc's default (dynamic) mmap threshold, which only rises to
# the size of the largest block freed so far, never covers them and every step maps - and faults in - new pages.
# Prints whether the thresholds were set (two calls) and the page faults of 20 such steps.
PAGE_FAULTS = """
import resource, sys, torch
from trainlab.heap_reuse import reuse_freed_heap_memory
print(reuse_freed_heap_memory(), reuse_freed_heap_memory())
def steps(first, count):
    for step in range(first, first + count):
        alive = [torch.empty(1_500_000 + 1_024 * step).fill_(1.0) for _ in range(4)]
        del alive
steps(0, 10)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
steps(10, 20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def run_probe(env: dict[str, str]) -> tuple[str, int]:
    result = subprocess.run([sys.executable, "-c", PAGE_FAULTS], capture_output=True, text=True, check=True,
                            env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", **env,
                                 "PYTHONPATH": ":".join(sys.path)})
    applied, faults = result.stdout.split("\n")[:2]
    return applied, int(faults)


@pytest.mark.parametrize(("env", "reason"), [
    ({"TRAINLAB_HEAP_REUSE": "0"}, "TRAINLAB_HEAP_REUSE=0"),
    ({"MALLOC_MMAP_THRESHOLD_": "131072"}, "MALLOC_MMAP_THRESHOLD_ set by the user"),
    ({"MALLOC_TRIM_THRESHOLD_": "0"}, "MALLOC_TRIM_THRESHOLD_ set by the user"),
    ({"LD_PRELOAD": "/usr/lib/libjemalloc.so.2"}, "another allocator is preloaded"),
])
def test_the_user_s_allocator_settings_win(monkeypatch, env, reason):
    for name in ("TRAINLAB_HEAP_REUSE", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert heap_reuse_wanted() == (False, reason)


@pytest.mark.slow  # ~3 s on 2 cores (make test-slow; the default run stays within ~4 min)
@pytest.mark.skipif(not GLIBC, reason="mallopt thresholds exist in glibc only")
def test_freed_tensors_are_reused_without_page_faults():
    applied, faults = run_probe({})
    assert applied == "True True"  # set once, the second call answers the same
    assert faults < 1000, f"{faults} page faults in 20 steps that touch 24 MB (5,900 pages) each"


@pytest.mark.skipif(not GLIBC, reason="mallopt thresholds exist in glibc only")
@pytest.mark.slow  # ~4 s on 2 cores (make test-slow; the default run stays ~4 min)
def test_switched_off_each_step_touches_new_pages():
    applied, faults = run_probe({"TRAINLAB_HEAP_REUSE": "0"})
    assert applied == "False False"
    assert faults > 20 * 1000, f"only {faults} page faults: glibc's defaults no longer return the memory"


@pytest.mark.parametrize(("value", "wanted"), [("off", False), ("FALSE", False), ("no", False), ("1", True),
                                               ("On", True), ("yes", True), ("", True)])
def test_the_switch_takes_the_usual_spellings_of_on_and_off(monkeypatch, value, wanted):
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRAINLAB_HEAP_REUSE", value)
    if wanted:
        assert heap_reuse_wanted()[0] is GLIBC
    else:
        assert heap_reuse_wanted() == (False, f"TRAINLAB_HEAP_REUSE={value}")


def test_a_switch_that_is_neither_on_nor_off_refuses_the_run_before_it_writes(train_in_process, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINLAB_HEAP_REUSE", "of")  # before: a typo for "off" left it on, silently
    for command in (["debug=limit", f"hydra.run.dir={tmp_path / 'run'}"],
                    ["-m", "optimizer=sgd,adam", "debug=limit", f"hydra.sweep.dir={tmp_path / 'sweep'}"]):
        result = train_in_process(*command)
        assert result.returncode == 2, result.stderr[-2000:]
        assert result.stderr.splitlines()[-1] == ("error: TRAINLAB_HEAP_REUSE=of is invalid; allowed: 0, false, off, "
                                                  "no (off), or 1, true, on, yes (on, the default)")
    assert not (tmp_path / "run").exists() and not (tmp_path / "sweep").exists()
