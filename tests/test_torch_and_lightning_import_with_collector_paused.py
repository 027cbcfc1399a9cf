"""torch and Lightning are imported with the garbage collector paused, then frozen, where a command first needs
them - and the collector comes back as it was, also when the import fails."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, train_command

# counts the collector's full passes (generation 2) while the code after it runs, and prints what it saw as JSON
COUNTING = """
    import gc, json, sys
    full_passes = []
    gc.callbacks.append(lambda phase, info: full_passes.append(1) if phase == "start" and info["generation"] == 2
                        else None)
"""


def run_python(*parts: str) -> dict:
    code = "".join(textwrap.dedent(part) for part in (COUNTING, *parts))
    result = subprocess.run([sys.executable, "-c", code],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # ~5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_the_import_makes_no_full_collection_and_freezes_the_imported_objects():
    seen = run_python("""
        from trainlab.collector_paused_import import import_with_collector_paused
        import_with_collector_paused("lightning")
        print(json.dumps({"full_passes": len(full_passes), "enabled": gc.isenabled(),
                          "frozen": gc.get_freeze_count(), "imported": [m in sys.modules for m in
                                                                       ("torch", "lightning", "torchmetrics")]}))
    """)
    assert seen["full_passes"] == 0
    assert seen["enabled"] is True
    assert seen["frozen"] > 100_000  # torch's, Lightning's and torchmetrics' modules, functions, classes
    assert seen["imported"] == [True, True, True]


@pytest.mark.slow  # ~7 s on 2 cores: a process importing Lightning (make test-slow; the default run keeps the first)
def test_a_collector_disabled_before_stays_disabled_and_a_second_call_does_nothing():
    seen = run_python("""
        gc.disable()
        from trainlab.collector_paused_import import import_with_collector_paused
        import_with_collector_paused("lightning")
        frozen = gc.get_freeze_count()
        gc.unfreeze()
        import_with_collector_paused("lightning")  # imported already: nothing is frozen again
        import_with_collector_paused("torch")
        print(json.dumps({"enabled": gc.isenabled(), "frozen_first": frozen, "frozen_second": gc.get_freeze_count()}))
    """)
    assert seen["enabled"] is False
    assert seen["frozen_first"] > 100_000
    assert seen["frozen_second"] == 0


def test_an_import_that_fails_raises_its_error_and_enables_the_collector_again():
    seen = run_python("""
        sys.modules["lightning"] = None  # what a broken install looks like to the import statement
        from trainlab.collector_paused_import import import_with_collector_paused
        try:
            import_with_collector_paused("lightning")
        except ImportError as error:
            raised = str(error)
        print(json.dumps({"raised": raised, "enabled": gc.isenabled()}))
    """)
    assert "lightning" in seen["raised"]
    assert seen["enabled"] is True


# train.py (a run, a stacked sweep) and `trainlab evaluate`: no full collection while torch, torchmetrics or
# Lightning import their modules (the collector's callback looks at the frames it was called from)
DURING_IMPORTS = """
    import runpy

    HEAVY = ("/torch/", "/torchmetrics/", "/lightning/", "/torchvision/", "/scipy/")
    during_imports = []

    def importing_a_heavy_module(frame):
        while frame is not None:
            if frame.f_code.co_name == "<module>" and any(part in frame.f_code.co_filename for part in HEAVY):
                return True
            frame = frame.f_back
        return False

    def watch(phase, info):
        if phase == "start" and info["generation"] == 2 and importing_a_heavy_module(sys._getframe(1)):
            during_imports.append(1)

    gc.callbacks.append(watch)
"""


@pytest.mark.slow  # ~9 s on 2 cores: a process importing Lightning (make test-slow; the default run keeps the first)
def test_a_plain_import_of_lightning_makes_full_collections_that_the_watch_sees():
    seen = run_python(DURING_IMPORTS, """
        import lightning
        print(json.dumps({"full_passes": len(full_passes), "during_imports": len(during_imports)}))
    """)
    assert seen["full_passes"] > 0  # what the paused import saves; were it 0, the function would have no purpose
    assert seen["during_imports"] > 0  # what the watch below counts, where nothing pauses the collector


@pytest.mark.slow  # ~13 s on 2 cores: a process importing Lightning (make test-slow; the default run keeps the first)
def test_a_run_and_a_stacked_sweep_make_no_full_collection_while_importing_lightning(tmp_path, data_dir):
    for name, args in [("run", ["trainer.max_steps=2", "test=false", "callbacks=none", "logger=none"]),
                       ("sweep", ["-m", "seed=1,2", "hydra/launcher=stacked", "trainer.max_steps=2", "test=false",
                                  "callbacks=none", "logger=none", "optimized_metric=null"])]:
        argv = [str(ROOT / "train.py"), *train_command(args, tmp_path / name, data_dir)]
        seen = run_python(DURING_IMPORTS, f"""
            sys.argv = {argv!r}
            try:
                runpy.run_path(sys.argv[0], run_name="__main__")
            except SystemExit as stop:
                assert not stop.code, stop.code
            print(json.dumps({{"during_imports": len(during_imports), "lightning": "lightning" in sys.modules}}))
        """)
        assert seen == {"during_imports": 0, "lightning": True}, name


@pytest.mark.slow  # ~6 s on 2 cores: a process importing Lightning (make test-slow; the default run keeps the first)
def test_trainlab_evaluate_makes_no_full_collection_while_importing_lightning(tmp_path, train_in_process):
    train_in_process("trainer.max_steps=2", "test=false", "callbacks=default", "logger=none",
                     f"hydra.run.dir={tmp_path / 'run'}")
    seen = run_python(DURING_IMPORTS, f"""
        from trainlab.cli import main
        status = main(["evaluate", {str(tmp_path / 'run')!r}, "--split", "val"])
        assert status == 0, status
        print(json.dumps({{"during_imports": len(during_imports), "lightning": "lightning" in sys.modules}}))
    """)
    assert seen == {"during_imports": 0, "lightning": True}


@pytest.mark.slow  # ~2.5 s on 2 cores (make test-slow; the default run stays within ~4 min)
def test_a_key_refused_on_the_optimizer_class_answers_without_lightning(tmp_path, data_dir):
    """The look-up of a target imports its own module only (the optimizer's: torch), not Lightning besides."""
    argv = [str(ROOT / "train.py"), *train_command(["optimizer.nesterov=true"], tmp_path, data_dir)]
    seen = run_python(DURING_IMPORTS, f"""
        sys.argv = {argv!r}
        try:
            runpy.run_path(sys.argv[0], run_name="__main__")
        except SystemExit as stop:
            code = stop.code
        print(json.dumps({{"code": code, "lightning": "lightning" in sys.modules}}))
    """)
    assert seen == {"code": 2, "lightning": False}
