"""A small filesystem the tests can fill: a real tmpfs (CI runs as root), or a skip that
says why. Filling writes a filler file until the kernel answers ENOSPC; freeing deletes it."""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest


class SmallDisk:
    def __init__(self, path: Path, size_kb: int):
        self.path = path
        self.size_kb = size_kb
        self.filler = path / ".filler"
        self.mounted = False

    def mount(self) -> SmallDisk:
        self.path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            pytest.skip("a full disk needs a small tmpfs, and mount needs root (CI runs as root)")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_kb}k,mode=0777", "tmpfs",
                               str(self.path)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"mount refused a tmpfs here ({done.stderr.strip() or done.returncode})")
        self.mounted = True
        return self

    def fill(self) -> int:
        """Take every free block; returns the bytes taken."""
        taken = 0
        chunk = b"\0" * 65536
        with open(self.filler, "ab", buffering=0) as f:
            while True:
                try:
                    taken += f.write(chunk if taken % (1 << 20) < (1 << 20) - 65536 else chunk[:4096])
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    if len(chunk) == 1:
                        break
                    chunk = chunk[:len(chunk) // 8 or 1]
        return taken

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
            self.mounted = False
