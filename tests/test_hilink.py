"""A Huawei HiLink stick (a network card, no AT port) is named in `doctor`, not left as "no device".

The ONE thing mocked here is sysfs: a fake /sys tree built in tmp_path, laid out as the
kernel lays it out (class/net/IF -> devices/.../USB interface, its driver link, the USB
device's idVendor/idProduct, ttyUSBn folders for a stick-mode stick), because USB
hardware cannot exist on a test machine. Everything else is real: the command runs
through click, and the store is a real SQLite file.
"""
from __future__ import annotations

import pytest
from cli_helpers import make_site, run
from sysfs_helpers import HILINK_LINE, usb_net, virtual

from modem.device.errors import ModemSetupError
from modem.device.hilink import SYSFS_ENV, HiLinkStick, hilink_sticks
from modem.device.modem import Modem


def test_a_hilink_stick_is_found_and_the_others_are_not(tmp_path):
    sysfs = tmp_path / "sys"
    virtual(sysfs, "lo")
    usb_net(sysfs, "eth0", usb="1-1.1", vendor="0bda", product="8153", driver="cdc_ether")  # a USB Ethernet
    usb_net(sysfs, "eth1", usb="1-1.2", vendor="12d1", product="14dc", driver="cdc_ether")  # E3372 HiLink
    # An E3372 in stick mode: the same vendor, a network interface too, and its AT ports.
    usb_net(sysfs, "wwan0", usb="1-1.3", vendor="12d1", product="1506", driver="huawei_cdc_ncm",
            ttys=("ttyUSB0", "ttyUSB1", "ttyUSB2"))
    found = hilink_sticks(str(sysfs))
    assert found == [HiLinkStick(interface="eth1", product_id="14dc", driver="cdc_ether")]
    assert found[0].problem() == HILINK_LINE


def test_no_sysfs_finds_nothing(tmp_path):
    assert hilink_sticks(str(tmp_path / "nowhere")) == []


def test_doctor_says_it_in_one_line(tmp_path, monkeypatch):
    sysfs = tmp_path / "sys"
    usb_net(sysfs, "eth1", usb="1-1", vendor="12d1", product="14dc", driver="rndis_host")
    monkeypatch.setenv(SYSFS_ENV, str(sysfs))
    site = make_site(tmp_path, extra='[modem]\nport = "/dev/textback-no-such-modem"\n')
    result = run(site, "doctor", "--agi-bin", str(tmp_path), "--asterisk-etc", str(tmp_path),
                 "--modem-timeout", "0.1")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines.count(f"[FAIL] modem has an AT port: {HILINK_LINE}") == 1
    at = lines.index(f"[FAIL] modem has an AT port: {HILINK_LINE}")
    assert lines[at + 1].startswith("[skip] modem port not held by another program: no device")


def test_the_worker_is_told_too(tmp_path, monkeypatch):
    # The worker logs the Modem's open error as it is ("modem not available: ..."): the
    # same line, not "is the modem plugged in?" for a stick that is plugged in.
    usb_net(tmp_path / "sys", "eth1", usb="1-1", vendor="12d1", product="14dc", driver="cdc_ether")
    monkeypatch.setenv(SYSFS_ENV, str(tmp_path / "sys"))
    with pytest.raises(ModemSetupError) as raised:
        Modem.open("/dev/textback-no-such-modem")
    assert raised.value.text == f"no modem at /dev/textback-no-such-modem: {HILINK_LINE}"
