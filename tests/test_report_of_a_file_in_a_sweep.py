"""``trainlab report`` given a file of a sweep - its multirun.yaml or summary.csv, tab-completed one name too far, or
a file of one of its jobs - names the sweep and the command that reports it; it said only "... is a file, not a sweep
directory" (trainlab/report/sweep_runs.py load_sweep)."""

from __future__ import annotations

from tests.test_report_output_dir import make_sweep
from trainlab.cli import main
from trainlab.printed_trainlab import trainlab_command


def test_report_of_a_file_in_a_sweep_names_the_sweep_to_report(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "my sweep")
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    (sweep / "summary.csv").write_text("job,status\n")
    for file in ("multirun.yaml", "summary.csv", "1_optimizer=adam/status.json"):
        assert main(["report", str(sweep / file)]) == 2
        assert capsys.readouterr().err == (f"error: {sweep / file} is a file, not a sweep directory (a file of the "
                                           f"sweep {sweep}: {trainlab_command('report', sweep)})\n")
    assert not (sweep / "report").exists()
    (tmp_path / "notes.txt").write_text("")  # in no sweep: no sweep named
    assert main(["report", str(tmp_path / "notes.txt")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'notes.txt'} is a file, not a sweep directory\n"
