"""The report of a grid sweep killed (or still running) before some of its jobs began names those jobs from its
multirun.yaml: ``optimizer=sgd,adam,momentum`` killed during job 1 said "1 job ... 1 not ended" and named
momentum nowhere (trainlab/report/sweep_runs.py jobs_not_started)."""

from __future__ import annotations

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main

MULTIRUN_YAML = """hydra:
  sweeper:
    _target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper
    max_batch_size: null
    params: {params}
  overrides:
    task:
    - optimizer=sgd,adam,momentum
    - debug=limit
"""


def test_jobs_the_multirun_yaml_lists_without_a_directory_are_named_as_not_started(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep")  # jobs 0 (sgd) and 1 (adam) ended
    (sweep / "multirun.yaml").write_text(MULTIRUN_YAML.format(params="null"))
    assert main(["report", str(sweep)]) == 0
    said = ("job 2 (optimizer=momentum) of the sweep's multirun.yaml has not started: the sweep still runs - report "
            "it again when it is over - or was killed or stopped before (finish it with its command and "
            "resume_sweep=true)")
    assert capsys.readouterr().err == f"warning: {sweep}: {said}\n"
    summary = (sweep / "report" / "summary.md").read_text()
    assert "2 jobs: 2 completed, 0 diverged, 0 failed, 0 interrupted; 1 not started\n" in summary
    assert summary.endswith(f"\nNot started: {said}.\n")

    # every job it lists started: none named
    (sweep / "multirun.yaml").write_text(MULTIRUN_YAML.format(params="null").replace(",momentum", ""))
    assert main(["report", str(sweep)]) == 0
    assert "not started" not in capsys.readouterr().err + (sweep / "report" / "summary.md").read_text()
