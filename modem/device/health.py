"""What the modem says about itself: signal, registration, operator, memory use.

Used by `textback status`/`doctor` and the worker's periodic log line. A query the
modem refuses leaves its field empty; only a lost modem raises (ModemLost).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from modem.device.errors import ModemError, ModemHealth, ModemLost

if TYPE_CHECKING:
    from modem.device.modem import Modem

# 27.007 §7.2 +CREG <stat>
_REGISTRATION = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming"}


def signal_dbm(rssi: int) -> int | None:
    """27.007 §8.5 +CSQ <rssi>: 0 = -113 dBm or less, 31 = -51 dBm or more, 99 unknown."""
    if not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


def read_health(modem: "Modem") -> ModemHealth:
    problems: list[str] = []

    def ask(at: str) -> list[str]:
        try:
            return modem.command(at)
        except ModemLost:
            raise
        except ModemError as exc:
            problems.append(f"{at}: {exc.text}")
            return []

    if not modem.is_alive():
        raise ModemLost(f"modem on {modem.port} is gone", command="health")
    dbm = None
    for line in ask("AT+CSQ"):
        match = re.match(r"^\+CSQ:\s*(\d+)", line)
        if match:
            dbm = signal_dbm(int(match.group(1)))
    registration, registered = "unknown", False
    for line in ask("AT+CREG?"):
        numbers = re.findall(r"\d+", line.split(":", 1)[-1]) if line.startswith("+CREG:") else []
        if len(numbers) >= 2:
            stat = int(numbers[1])
            registration = _REGISTRATION.get(stat, f"state {stat}")
            registered = stat in (1, 5)
    operator = None
    for line in ask("AT+COPS?"):
        match = re.match(r'^\+COPS:\s*\d+\s*,\s*\d+\s*,\s*"([^"]*)"', line)
        if match:
            operator = match.group(1)
    storage: dict[str, tuple[int, int]] = {}
    with modem._lock:
        for memory in modem.memories + modem.report_memories:
            try:
                counts = modem.select_memory(memory)
            except ModemLost:
                raise
            except ModemError as exc:
                problems.append(f"memory {memory}: {exc.text}")
                continue
            if counts is not None:
                storage[memory] = counts
    return ModemHealth(port=modem.port, alive=modem.is_alive(), manufacturer=modem.manufacturer,
                       model=modem.model, signal_dbm=dbm, registered=registered,
                       registration=registration, operator=operator, storage=storage,
                       problem="; ".join(problems) or None)
