"""Running `regjistri …` (as `python -m bot …`) in its own process, as an operator does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command_env(**values: str) -> dict[str, str]:
    """This environment without the bot's settings, plus `values`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))
    }
    # This checkout's code even when the interpreter has another copy installed (a shared
    # virtualenv): a test must exercise the code beside it.
    path = [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    return env | {"PYTHONPATH": os.pathsep.join(path)} | values


def regjistri(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command to its end (60 s at most) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=command_env(**env),
        cwd=cwd,
        timeout=60,
        check=False,
    )
