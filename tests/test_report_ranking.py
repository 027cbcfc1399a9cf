"""The search report's grid of best trials follows the search's direction (trainlab.report)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from trainlab.report.build import draw  # noqa: E402
from trainlab.report.sweep_runs import JobRun, optimized_metric, search_minimizes  # noqa: E402


def trials(objectives: list[float]) -> list[JobRun]:
    curve = ([1, 2], [0.5, 0.6])
    return [JobRun(name=f"{n}_x", path=Path(f"/x/{n}"), params={"optimizer.lr": "0.01"}, status="completed",
                   metrics={}, objective=value, scalars={"val/acc": curve, "train/acc": curve})
            for n, value in enumerate(objectives)]


def panel_titles(figure) -> list[str]:
    return [ax.get_title().splitlines()[0] for ax in figure.axes if ax.get_title()]


def test_a_minimised_search_shows_its_lowest_objectives_first_and_a_maximised_one_its_highest(tmp_path):
    jobs = trials([2.259, 2.127, 2.301])
    lowest = draw(jobs, [], "hparams_search/random", minimize=True)["top20_trials"]
    # each panel names its trial (the job directory's number), the title the trials there are
    assert panel_titles(lowest) == ["#1 trial 1: objective 2.127", "#2 trial 0: objective 2.259",
                                    "#3 trial 2: objective 2.301"]
    assert lowest._suptitle.get_text() == "I: random search, the 3 best trials (lowest objective first)"
    highest = draw(jobs, [], "hparams_search/random")["top20_trials"]
    assert panel_titles(highest)[0] == "#1 trial 2: objective 2.301"
    (tmp_path / "optimization_results.yaml").write_text("direction: minimize\n")
    assert search_minimizes(tmp_path) and not search_minimizes(tmp_path / "grid")


def test_the_grid_names_the_metric_the_search_optimised_read_from_the_jobs_config(tmp_path):
    jobs = trials([2.259, 2.127])
    job_dir = tmp_path / "0_x" / ".hydra"
    job_dir.mkdir(parents=True)
    (job_dir / "config.yaml").write_text("seed: 0\noptimized_metric: val/loss\n")
    jobs[0].path = tmp_path / "0_x"
    assert optimized_metric(jobs) == "val/loss"
    figure = draw(jobs, [], "hparams_search/random", minimize=True, metric=optimized_metric(jobs))["top20_trials"]
    assert panel_titles(figure) == ["#1 trial 1: val/loss 2.127", "#2 trial 0: val/loss 2.259"]
    assert figure._suptitle.get_text() == "I: random search, the 2 best trials (lowest val/loss first)"
    assert figure._supylabel.get_text() == "accuracy"
    (job_dir / "config.yaml").write_text("optimized_metric: null\n")
    assert optimized_metric(jobs) is None
    assert optimized_metric(trials([0.5])) is None  # no .hydra/config.yaml: the panels say "objective"


def test_the_grid_is_titled_by_the_sampler_and_the_summary_shows_the_objective(tmp_path):
    """hparams_search=random hydra/sweeper/optuna_sampler=gp was titled 'random search'; a search that minimised
    val/loss had neither its objective nor val/loss in summary.md."""
    from trainlab.report.build import summary_markdown
    from trainlab.report.sweep_runs import sampler_choice

    jobs = trials([2.259, 2.127])
    (tmp_path / "0_x" / ".hydra").mkdir(parents=True)
    (tmp_path / "0_x" / ".hydra" / "hydra.yaml").write_text(
        "hydra:\n  runtime:\n    choices:\n      hparams_search: random\n      hydra/sweeper/optuna_sampler: gp\n")
    jobs[0].path = tmp_path / "0_x"
    assert sampler_choice(jobs) == "gp" and sampler_choice(trials([1.0])) is None
    figure = draw(jobs, [], "hparams_search/random", minimize=True)["top20_trials"]
    assert figure._suptitle.get_text() == "I: GP search, the 2 best trials (lowest objective first)"
    jobs[0].metrics, jobs[1].metrics = {"val/loss": 2.259}, {"val/loss": 2.127}
    table = summary_markdown(jobs, [], "hparams_search/random", "val/loss").splitlines()
    assert table[4:7] == ["| job | status | objective (val/loss) | val/loss |", "|---|---|---|---|",
                          "| 0 | completed | 2.2590 | 2.2590 |"]
