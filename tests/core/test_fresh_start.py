"""A fresh data directory with DEBUG off starts without warnings a street's IT person
would take for a fault."""

import os
import subprocess
import sys


def test_a_fresh_data_dir_starts_without_a_static_directory_warning(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        GRIDGOV_DATA_DIR=str(tmp_path / "fresh"),
        GRIDGOV_DEBUG="0",
        GRIDGOV_SECRET_KEY="x" * 60,
        DJANGO_SETTINGS_MODULE="gridgov.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "from gridgov.wsgi import application"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No directory at" not in result.stderr, result.stderr
