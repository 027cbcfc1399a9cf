"""The progress bar's redraw thread ends as soon as the bar stops (Lightning's slept out its interval first: ~0.2 s at
the end of every fit, validation and test, 41 s of a 100-trial search with the basic launcher)."""

from __future__ import annotations

import io
import re
import threading

import lightning as L
import pytest
from lightning.pytorch.demos.boring_classes import BoringModel

from trainlab.callbacks.progress_bar import ProgressBar, PromptRefreshThread, SleepingRefreshThread

pytestmark = pytest.mark.skipif(PromptRefreshThread is None, reason="this Lightning has no redraw thread of its own")


class FakeLive:
    """What the thread uses of Rich's Live: its lock and refresh()."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.redraws = 0
        self.redrawn = threading.Event()

    def refresh(self) -> None:
        self.redraws += 1
        self.redrawn.set()


def test_a_stopped_redraw_thread_ends_without_waiting_out_its_interval():
    live = FakeLive()
    thread = PromptRefreshThread(live, 0.001)  # a redraw every 1,000 s: Lightning's thread would sleep that long
    thread.start()
    thread.stop()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert live.redraws == 0


def test_the_redraw_thread_draws_when_the_bar_asked_and_only_then():
    live = FakeLive()
    thread = PromptRefreshThread(live, 100)
    assert isinstance(thread, SleepingRefreshThread)  # what Lightning's soft_refresh checks before it asks
    thread.start()
    try:
        thread.refresh_cond = True  # what the bar's soft_refresh sets after an update
        assert live.redrawn.wait(timeout=60)
        threading.Event().wait(0.1)  # ten more intervals without a request
        assert live.redraws == 1
        assert thread.refresh_cond is False
    finally:
        thread.stop()
        thread.join(timeout=60)
    assert not thread.is_alive()


class ThreadProbe(L.Callback):
    """The bar's redraw thread as each training batch sees it."""

    def __init__(self, bar: ProgressBar) -> None:
        self.bar = bar
        self.threads: list[threading.Thread] = []

    def on_train_batch_end(self, *args, **kwargs) -> None:
        self.threads.append(self.bar.progress.live._refresh_thread)

    def on_test_batch_end(self, *args, **kwargs) -> None:
        self.threads.append(self.bar.progress.live._refresh_thread)


def test_the_bar_of_a_fit_redraws_from_the_prompt_thread_and_a_stop_ends_it(tmp_path):
    bar = ProgressBar(refresh_rate=4)
    probe = ThreadProbe(bar)
    trainer = L.Trainer(max_steps=3, limit_val_batches=1, callbacks=[bar, probe], logger=False,
                        enable_checkpointing=False, default_root_dir=tmp_path, accelerator="cpu")
    trainer.fit(BoringModel())
    assert len(probe.threads) == 3 and len(set(probe.threads)) == 1
    assert type(probe.threads[0]) is PromptRefreshThread
    assert not probe.threads[0].is_alive()  # stopped and joined at the end of the fit
    trainer.test(BoringModel(), verbose=False)  # a new stage, a new bar: its thread replaced as well
    assert len(probe.threads) == 3 + 64 and type(probe.threads[-1]) is PromptRefreshThread
    assert probe.threads[-1] is not probe.threads[0] and not probe.threads[-1].is_alive()


class EpochEndMetric(BoringModel):
    """Logs, as trainlab's classifier logs ``train/acc``, a value in its own ``on_train_epoch_end``: the epoch's
    number plus 0.5."""

    def on_train_epoch_end(self) -> None:
        self.log("train/acc", self.current_epoch + 0.5, prog_bar=True)


def test_the_bar_ends_a_run_on_the_last_epochs_value_of_an_epoch_end_metric(tmp_path):
    """It ended on the epoch before the last's (``train/acc: 0.865`` above a final ``train/acc=0.8795``): the module's
    ``on_train_epoch_end`` runs after the callbacks'."""
    screen = io.StringIO()
    bar = ProgressBar(console_kwargs={"file": screen, "force_terminal": True, "width": 300})
    trainer = L.Trainer(max_epochs=3, limit_train_batches=2, limit_val_batches=0, callbacks=[bar], logger=False,
                        enable_checkpointing=False, enable_model_summary=False, default_root_dir=tmp_path)
    trainer.fit(EpochEndMetric())
    shown = re.findall(r"train/acc: ([0-9.]+)", screen.getvalue())
    assert shown and float(shown[-1]) == 2.5, shown
