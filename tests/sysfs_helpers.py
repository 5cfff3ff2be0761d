"""A fake /sys tree in a tmp folder, laid out as the kernel lays out USB network sticks.

The one mock of the HiLink tests (tests/test_hilink.py, tests/test_modem_test_cmd.py):
USB hardware cannot exist on a test machine, so sysfs is built, and everything read
from it goes through the same code as on a Raspberry Pi (modem/device/hilink.py).
"""
from __future__ import annotations

import os
from pathlib import Path

HILINK_LINE = ("a Huawei HiLink stick (network interface eth1, no AT port): it cannot be driven by AT commands; "
               "switch it to stick mode (usb_modeswitch / firmware) or use a modem with an AT port")


def usb_net(sysfs: Path, name: str, *, usb: str, vendor: str, product: str, driver: str,
            ttys: tuple[str, ...] = ()) -> None:
    """A USB device `usb` (e.g. 1-1.2) whose interface 0 is network interface `name`, with
    ttyUSB ports on the interfaces after it, as usb-serial (the option driver) makes them."""
    device = sysfs / "devices" / "platform" / "usb1" / usb
    interface = device / f"{usb}:1.0"
    (interface / "net" / name).mkdir(parents=True)
    (device / "idVendor").write_text(vendor + "\n")
    (device / "idProduct").write_text(product + "\n")
    drivers = sysfs / "bus" / "usb" / "drivers" / driver
    drivers.mkdir(parents=True, exist_ok=True)
    (interface / "driver").symlink_to(os.path.relpath(drivers, interface))
    (interface / "net" / name / "device").symlink_to("../..")
    for number, tty in enumerate(ttys, start=1):
        (device / f"{usb}:1.{number}" / tty).mkdir(parents=True)
    net = sysfs / "class" / "net"
    net.mkdir(parents=True, exist_ok=True)
    (net / name).symlink_to(os.path.relpath(interface / "net" / name, net))


def virtual(sysfs: Path, name: str) -> None:
    target = sysfs / "devices" / "virtual" / "net" / name
    target.mkdir(parents=True)
    net = sysfs / "class" / "net"
    net.mkdir(parents=True, exist_ok=True)
    (net / name).symlink_to(os.path.relpath(target, net))
