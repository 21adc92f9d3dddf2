"""The fake exchange's CLI writes its generated key with mode 0600, never through a symlink."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kalshi_testing.__main__ import write_private_key

PEM = b"-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_file_is_0600(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    write_private_key(path, PEM)
    assert path.read_bytes() == PEM
    assert _mode(path) == 0o600


def test_an_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(b"old contents that are longer than the key itself" * 10)
    os.chmod(path, 0o644)
    write_private_key(path, PEM)
    assert path.read_bytes() == PEM
    assert _mode(path) == 0o600


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"precious")
    link = tmp_path / "key.pem"
    link.symlink_to(target)
    with pytest.raises(OSError, match="symlink"):
        write_private_key(link, PEM)
    assert target.read_bytes() == b"precious"


def test_the_cli_refuses_a_symlinked_key_out(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"precious")
    link = tmp_path / "key.pem"
    link.symlink_to(target)
    done = subprocess.run(
        [sys.executable, "-m", "kalshi_testing", "--port", "0", "--key-out", str(link)],
        capture_output=True,
        timeout=60,
        text=True,
    )
    assert done.returncode == 2
    assert "symlink" in done.stderr
    assert "BEGIN" not in done.stdout + done.stderr
    assert target.read_bytes() == b"precious"


def test_the_cli_tightens_an_existing_key_out(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(b"stale")
    os.chmod(path, 0o644)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kalshi_testing", "--port", "0", "--key-out", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # printed once the key is written and the server is up
        assert "fake Kalshi exchange at" in first
        assert _mode(path) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
