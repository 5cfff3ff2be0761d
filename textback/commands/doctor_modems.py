"""`textback doctor`'s checks of each modem and of the worker that drives it.

With the one [modem]: its port, SIM and network, and the worker service, as before.
With several ([[modem]] entries, one worker each): the same checks for each modem, each
named after its modem, and one "worker for modem NAME" check each, whose fix names the
template unit (textback-worker@NAME).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from store.records import WorkerStatus
from textback.commands.doctor_access import port_free
from textback.commands.doctor_probes import FAIL, OK, SKIP, WARN, Check, flag_check, probe_modem
from textback.commands.status_cmd import worker_alive
from textback.commands.status_fleet import unit
from textback.config import ModemConfig
from textback.output import as_row


def modem_checks(modem: ModemConfig, status: WorkerStatus | None, now: datetime, timeout: float,
                 several: bool) -> list[Check]:
    """The modem's checks and its worker's; `several`: each check names the modem."""
    service = unit(modem.name if several else "")
    beat = as_row(status) if status else {}     # the heartbeat as a row: optional fields by name
    checks: list[Check]
    if worker_alive(status, now):
        # The worker holds the port: asking it ourselves would steal the worker's replies.
        registration = beat.get("registration") or "unknown"
        checks = [Check("modem answers AT", OK if beat.get("modem_alive") else FAIL,
                        f"{beat.get('modem_port')} (reported by the running worker)",
                        "" if beat.get("modem_alive") else f"journalctl -u {service} says why"),
                  Check("registered on the network", OK if registration in ("home", "roaming") else FAIL,
                        registration, "" if registration in ("home", "roaming") else
                        "check the antenna and that the SIM is active"),
                  Check("SIM ready / SMSC set", SKIP, "not asked: the worker holds the port",
                        "stop the worker and run doctor again to check them"), *fitness_checks(status)]
        worker = Check("worker service running", OK, f"pid {beat.get('pid')}, last beat {beat['beat_at']:%H:%M:%S} UTC")
    else:
        checks = [port_free(modem.port), *probe_modem(modem.port, modem.baudrate, timeout, modem.model)]
        detail = ("no heartbeat ever" if not beat else
                  f"stopped cleanly at {beat['stopped_at']:%Y-%m-%d %H:%M:%S} UTC" if beat.get("stopped_at") else
                  f"last heartbeat {beat['beat_at']:%Y-%m-%d %H:%M:%S} UTC")
        if not several:
            worker = Check("worker service running", FAIL, detail,
                           "systemctl enable --now textback-worker; journalctl -u textback-worker")
        else:
            worker = Check("worker service running", FAIL, f"not running ({detail})",
                           f"sudo systemctl enable --now {service}" if not beat else
                           f"sudo systemctl start {service}; journalctl -u {service} says why it stopped")
    if not several:
        return [*checks, worker]
    return ([replace(c, name=f"modem {modem.name}: {c.name}") for c in checks]
            + [replace(worker, name=f"worker for modem {modem.name}")])


def fitness_checks(status: WorkerStatus | None) -> list[Check]:
    """Which modem the worker found and whose set-up it used, and one line for each thing
    it found cannot work (registered on 2G only, SMS over LTE not provisioned)."""
    if status is None or not status.modem_model:
        return []
    checks = [Check("modem model and set-up", OK, status.modem_model)]
    for flag in status.modem_flags:
        # Texts that cannot go at all fail the check; a 2G registration still sends, for now.
        checks.append(flag_check(flag, FAIL if flag.startswith("SMS over LTE") else WARN))
    if not status.modem_flags:
        checks.append(Check("modem fit for today's networks", OK, "not on 2G only; no SMS over LTE trouble seen"))
    return checks
