"""Start-up (issue 15): the window reaches its first frame without loading PyAV or OpenCV.

Both are only needed once media is decoded or drawn (filmstrips, waveforms, text overlays); importing them
with the window cost a large share of the launch (bench/playback.py measures it). A fresh interpreter is the
only honest check: this test process has loaded both long ago, which is why no earlier test saw it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from studio.app import create_main_window, make_application
from studio.library import Library
app = make_application()
window = create_main_window(Library.open(), start_engine=False)
window.show()
app.processEvents()
print(json.dumps({name: name in sys.modules for name in ("av", "cv2", "torch")}))
window.shutdown()
"""


def test_the_first_frame_loads_neither_pyav_nor_opencv(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KINORA_LIBRARY": str(tmp_path / "lib"),
           "KINORA_CONFIG": str(tmp_path / "cfg")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"av": False, "cv2": False, "torch": False}
