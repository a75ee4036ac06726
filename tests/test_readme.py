"""The README's main-job command works from a clone: every meshlens step of it exits 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import REPO


def _main_job_steps() -> tuple[dict[str, str], list[str]]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)\n```", text, re.S)
    assert block, "README.md has no sh block"
    env: dict[str, str] = {}
    steps = []
    for part in block.group(1).split(" && "):
        part = part.strip()
        assignment = re.fullmatch(r"([A-Z_]+)=(\S+)", part)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
        elif part.startswith(".venv/bin/meshlens "):
            steps.append(part.removeprefix(".venv/bin/meshlens "))
    return env, steps


def test_readme_main_job_runs() -> None:
    env, steps = _main_job_steps()
    assert len(steps) >= 3
    for step in steps:
        command = f"{sys.executable} -m meshlens.cli {step}"
        proc = subprocess.run(command, shell=True, cwd=REPO, env={**os.environ, **env}, capture_output=True,  # noqa: S602
                              text=True, timeout=120)
        assert proc.returncode == 0, (step, proc.stderr[-500:])
        assert proc.stdout.strip()
