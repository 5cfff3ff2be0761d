"""Users and groups of the system being installed: this machine's, or a staged root's
(`--root DIR` reads DIR/etc/passwd and DIR/etc/group, whose ids are what the files there
must be owned by). Local accounts only: textback's and Asterisk's are system accounts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


class Accounts:
    def __init__(self, root: str = "/"):
        self.etc = Path(root) / "etc"

    def _rows(self, name: str) -> list[list[str]]:
        try:
            text = (self.etc / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]

    def user(self, name: str) -> Account | None:
        for row in self._rows("passwd"):
            if len(row) >= 4 and row[0] == name:
                return Account(name, int(row[2]), int(row[3]))
        return None

    def gid(self, name: str) -> int | None:
        for row in self._rows("group"):
            if len(row) >= 3 and row[0] == name:
                return int(row[2])
        return None

    def members(self, group: str) -> set[str]:
        for row in self._rows("group"):
            if len(row) >= 4 and row[0] == group:
                return {m for m in row[3].split(",") if m}
        return set()

    def group_ids(self, user: str) -> set[int]:
        """What initgroups() gives `user`: its primary group and every group listing it."""
        account = self.user(user)
        ids = {account.gid} if account else set()
        for row in self._rows("group"):
            if len(row) >= 4 and user in row[3].split(","):
                ids.add(int(row[2]))
        return ids

    def user_name(self, uid: int) -> str:
        for row in self._rows("passwd"):
            if len(row) >= 3 and row[2] == str(uid):
                return row[0]
        return str(uid)

    def group_name(self, gid: int) -> str:
        for row in self._rows("group"):
            if len(row) >= 3 and row[2] == str(gid):
                return row[0]
        return str(gid)
