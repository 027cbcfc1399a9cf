"""``trainlab report`` writes its figures, summary and TensorBoard images without importing torch: torch's
``SummaryWriter`` imported it for the images alone (~1.9 s of a 3.6 s report; trainlab/report/tensorboard_images.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tb_events import load_run

from tests.test_report_output_dir import make_sweep


def test_a_report_imports_no_torch_and_its_images_are_the_pngs(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")
    code = textwrap.dedent(f"""
        import json, sys
        from trainlab.cli import main
        status = main(["report", {str(sweep)!r}])
        print(json.dumps({{"status": status, "torch": "torch" in sys.modules}}))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": 0, "torch": False}
    report = sweep / "report"
    run = load_run(report)
    assert sorted(run.Tags()["images"]) == ["report/overlay_train_loss", "report/overlay_val_acc"]
    for stem in ("overlay_train_loss", "overlay_val_acc"):
        (image,) = run.Images(f"report/{stem}")
        png = (report / f"{stem}.png").read_bytes()
        assert image.encoded_image_string == png  # the file's very bytes
        assert image.step == 0 and image.width > 500 and image.height > 300
