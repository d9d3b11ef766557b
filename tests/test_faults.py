"""Faults never change a number and never leave a partial result: a full disk, two controllers in one folder."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import time

import pytest
from workflow_runs import SMOKE, snakemake_cmd, snakemake_env

from ftgeom.provenance import DiskFull, atomic_path, write_json


def _left(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    """A writer that hits ENOSPC (as torch.save or safetensors would) inside an atomic write."""
    target = tmp_path / "metrics.json"

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("pathlib.Path.write_text", full)
    with pytest.raises(DiskFull) as err:
        write_json(target, {"a": 1})
    assert str(target) in str(err.value) and "\n" not in str(err.value) and "no space left" in str(err.value)
    assert _left(tmp_path) == [], "neither the result nor a temp file is left"


def test_a_really_full_tmpfs(tmp_path):
    """The same on a real 64 KiB tmpfs (root only: mounting needs it)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()[:80]}")
    try:
        with pytest.raises(DiskFull) as err:
            with atomic_path(mount / "weights.bin") as tmp:
                tmp.write_bytes(b"\0" * (1 << 20))
        assert str(mount / "weights.bin") in str(err.value)
        assert _left(mount) == []
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_second_controller_in_the_same_folder_stops_and_changes_nothing(tmp_path):
    first = subprocess.Popen(snakemake_cmd(tmp_path, "all", "--cores", "1", "--configfile", str(SMOKE)),
                             env=snakemake_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        locks = tmp_path / ".snakemake" / "locks"
        deadline = time.monotonic() + 120
        while not (locks.exists() and any(locks.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert locks.exists() and any(locks.iterdir()), "the first controller holds the folder's lock"
        os.killpg(first.pid, signal.SIGSTOP)  # frozen: nothing changes in the folder but what the second does
        before = sorted(str(p) for p in tmp_path.rglob("*") if ".snakemake" not in p.parts)
        second = subprocess.run(snakemake_cmd(tmp_path, "all", "--cores", "1", "--configfile", str(SMOKE)),
                                env=snakemake_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        after = sorted(str(p) for p in tmp_path.rglob("*") if ".snakemake" not in p.parts)
        assert second.returncode != 0 and "cannot be locked" in second.stdout, second.stdout[-2000:]
        assert after == before, "the second controller changed nothing"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
