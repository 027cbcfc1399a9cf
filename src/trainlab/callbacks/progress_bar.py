"""Lightning's Rich progress bar, whose epoch line says nothing wrong about a run bounded by its steps, and which
does not hold up the end of each stage.

* Lightning writes ``Epoch {e}/{max_epochs - 1}`` whatever ``max_epochs`` is: a run bounded by ``trainer.max_steps``
  alone (``max_epochs: -1``, as experiments B and D train 2,000 steps) showed ``Epoch 4/-2``. There the line reads
  ``Epoch {e}``, as Lightning's TQDM bar writes it; the step bar below it counts the steps.
* A metric logged in the module's own ``on_train_epoch_end`` (``train/acc``, the epoch's running accuracy) is
  logged after this bar's hook (Lightning calls the callbacks' first), so the bar ended a run on the value of the
  epoch before the last (``train/acc: 0.865`` above a final ``train/acc=0.8795``). It takes the metrics once more
  when training ends.
* Since Lightning 2.6.1 the bar redraws from a thread of Lightning's that *sleeps* ``1 / refresh_rate`` seconds
  between redraws, and the end of every stage (fit, validate, test) stops the bar and waits for that thread to
  finish its sleep: on average half an interval, up to a whole one - ~0.2 s at ``refresh_rate: 4`` each time, twice
  a run (its fit, its evaluation). A 100-trial search with the basic launcher spent 41 s of its 135 s waiting so.
  :class:`PromptRefreshThread` waits on the thread's stop event instead, so a stop ends the wait at once; it draws
  what Lightning's thread draws, when Lightning's draws it.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import RichProgressBar
from lightning.pytorch.callbacks.progress import rich_progress

#: Lightning's redraw thread (Lightning >= 2.6.1; before, the bar redrew in the training loop itself and had none)
SleepingRefreshThread: Any = getattr(rich_progress, "_RefreshThread", None)


if SleepingRefreshThread is not None:
    class PromptRefreshThread(SleepingRefreshThread):
        """Lightning's redraw thread (a redraw when the bar asked for one since the last, at most ``refresh_rate``
        times a second), whose wait between redraws ends as soon as it is stopped."""

        def run(self) -> None:
            interval = 1 / self.refresh_per_second
            while not self.done.wait(interval):  # True once stop() is called: no sleep left to wait out
                if self.refresh_cond:
                    with self.live._lock:
                        if not self.done.is_set():  # the bar stopped while this thread waited for the lock
                            self.live.refresh()
                    self.refresh_cond = False
else:
    PromptRefreshThread = None


class ProgressBar(RichProgressBar):
    """``RichProgressBar`` (same arguments) with ``Epoch e`` instead of ``Epoch e/-2`` where no epoch bounds the run,
    the last epoch's metrics at the end, and a redraw thread that a stop does not wait for (module docstring)."""

    def _get_train_description(self, current_epoch: int) -> str:
        max_epochs = self.trainer.max_epochs
        if max_epochs is not None and max_epochs >= 0:
            return super()._get_train_description(current_epoch)
        # unbounded (-1): only max_steps or max_time stops the run; padded to the validation bar's text, as Lightning's
        return f"{f'Epoch {current_epoch}':{len(self.validation_description)}}"

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        """The last epoch's values of the metrics the module logs at its epoch's end (module docstring)."""
        self._update_metrics(trainer, pl_module)
        self.refresh()

    def _init_progress(self, trainer: Any) -> None:
        super()._init_progress(trainer)
        live = getattr(self.progress, "live", None)
        sleeping = getattr(live, "_refresh_thread", None)
        if PromptRefreshThread is None or type(sleeping) is not SleepingRefreshThread:
            return  # no bar, an older Lightning, or this bar's thread already replaced
        prompt = PromptRefreshThread(live, live.refresh_per_second)
        prompt.refresh_cond = sleeping.refresh_cond
        sleeping.stop()  # it leaves at the end of its current sleep without drawing: its loop checks the event first
        live._refresh_thread = prompt
        prompt.start()
