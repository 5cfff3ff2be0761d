"""A Huawei stick in HiLink mode: a USB network card with a web page, and no AT port at all.

The E3372 sold today usually comes with HiLink firmware (E3372h-153, -320, E8372...): the
kernel sees a network interface (cdc_ether or rndis_host) and no tty, so nothing here can
send a text through it, and "no modem at /dev/textback-modem" would hide why. We look for
it in sysfs: a network interface whose USB device has Huawei's vendor id (12d1) and no
tty (ttyUSB*, ttyACM*) among its interfaces. In stick mode the same stick shows ttyUSB
ports (and often a huawei_cdc_ncm interface next to them): that one works.

`sysfs` is a parameter (and TEXTBACK_SYSFS, read by the commands) only so that tests can
build a fake tree: USB hardware cannot exist on a test machine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HUAWEI_VENDOR = "12d1"
# Drivers of the network interface a HiLink firmware presents (it is a router on a stick).
NETWORK_DRIVERS = frozenset({"cdc_ether", "rndis_host", "cdc_ncm", "huawei_cdc_ncm"})
SYSFS_ENV = "TEXTBACK_SYSFS"


@dataclass(frozen=True)
class HiLinkStick:
    interface: str          # eth1, usb0, enx0c5b8f279a64...
    product_id: str         # idProduct, e.g. 14dc (E3372 HiLink)
    driver: str

    def problem(self) -> str:
        """The one line doctor and `textback modem test` print."""
        return (f"a Huawei HiLink stick (network interface {self.interface}, no AT port): it cannot be driven "
                "by AT commands; switch it to stick mode (usb_modeswitch / firmware) or use a modem with an "
                "AT port")


def sysfs_root() -> str:
    return os.environ.get(SYSFS_ENV) or "/sys"


def hilink_sticks(sysfs: str | None = None) -> list[HiLinkStick]:
    """Every HiLink stick plugged in, by interface name; [] when none (or no sysfs)."""
    net = Path(sysfs or sysfs_root()) / "class" / "net"
    try:
        names = sorted(os.listdir(net))
    except OSError:
        return []
    found = []
    for name in names:
        interface = net / name / "device"
        try:
            interface = interface.resolve(strict=True)
            driver = (interface / "driver").resolve(strict=True).name
        except OSError:
            continue            # a virtual interface (lo, a bridge) has no device
        usb_device = interface.parent       # the interface's parent holds idVendor
        vendor, product = _read(usb_device / "idVendor"), _read(usb_device / "idProduct")
        if vendor != HUAWEI_VENDOR or driver not in NETWORK_DRIVERS or _has_tty(usb_device):
            continue
        found.append(HiLinkStick(interface=name, product_id=product or "?", driver=driver))
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip().lower()
    except OSError:
        return None


def _has_tty(usb_device: Path) -> bool:
    """A tty on any interface of the device: usb-serial puts ttyUSBn in the interface's
    folder, cdc_acm puts it under tty/ttyACMn."""
    patterns = ("*/ttyUSB*", "*/tty/tty*", "*/ttyACM*")
    return any(next(usb_device.glob(pattern), None) is not None for pattern in patterns)
