"""An optimizer's list argument reaches it as a Python list, so its checkpoints hold no OmegaConf object.

``betas: [0.9, 0.99]`` reached the optimizer as an OmegaConf ``ListConfig``; an optimizer that keeps it as given in
its ``param_groups`` (the Lion or AdaBelief of one's own that a researcher copies) made ``last.ckpt`` hold it
pickled, and every resume and ``trainlab evaluate`` refused the checkpoint the run had just written: ``holds pickled
Python objects (omegaconf.listconfig.ListConfig) ... not written by trainlab``.
"""

from __future__ import annotations

import torch

from trainlab.checkpoint_read import read_checkpoint
from trainlab.train import train

RUN = ["data.train_size=100", "data.val_size=100", "data.batch_size=50", "model.net.hidden_sizes=[16]",
       "trainer.max_epochs=1", "optimizer=torch_sgd",
       "optimizer._target_=optimizer_keeping_its_arguments.SGDKeepingBetas", "~optimizer.nesterov",
       "+optimizer.betas=[0.8,0.99]"]


def test_a_list_argument_of_the_optimizer_is_a_list_and_its_checkpoint_resumes(make_cfg, tmp_path):
    run_dir = tmp_path / "run"
    train(make_cfg(*RUN, output_dir=run_dir))
    checkpoint = read_checkpoint(run_dir / "checkpoints" / "last.ckpt", "ckpt_path=last")  # refused before
    (group,) = checkpoint["optimizer_states"][0]["param_groups"]
    assert group["betas"] == [0.8, 0.99] and type(group["betas"]) is list
    train(make_cfg(*RUN, "trainer.max_epochs=2", "ckpt_path=last", output_dir=run_dir))
    resumed = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["epoch"] == 1


def test_the_checks_before_the_run_build_the_optimizer_as_the_run_does(make_cfg):
    """The first-step check and the stacking probe built it with a ListConfig: an optimizer that checks its betas
    was refused ("betas must be a tuple or a list, got ListConfig") where the run would train it."""
    from trainlab.optimizer_requirements import check_first_step
    from trainlab.stacked.grouping import optimizer_problem

    cfg = make_cfg(*RUN[:-3], "optimizer._target_=optimizer_keeping_its_arguments.SGDWantingSequenceBetas",
                   "~optimizer.nesterov", "+optimizer.betas=[0.8,0.99]")
    check_first_step(cfg)  # raises if refused
    assert optimizer_problem(cfg) is None
