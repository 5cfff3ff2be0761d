"""The shipped systemd units pass `systemd-analyze verify` (Debian's systemd package), and
the udev rule is well-formed, sources every id it matches and keeps ModemManager away."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from textback.install.plan import UNITS, programs, sources

SYSTEMD = sources() / "systemd"


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("needs systemd-analyze (apt-get install systemd)")
    # The one change: ExecStart names /usr/local/bin/textback, the link `textback install`
    # makes; verify checks that the program exists, so the copies name its target here.
    for unit in UNITS:
        text = (SYSTEMD / unit).read_text()
        (tmp_path / unit).write_text(text.replace("/usr/local/bin/textback", str(programs() / "textback")))
    result = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / u) for u in UNITS]],
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_units_name_only_documentation_install_writes():
    for unit in UNITS:
        for line in (SYSTEMD / unit).read_text().splitlines():
            if line.startswith("Documentation="):
                assert line.split("=", 1)[1] in ("file:///usr/share/doc/textback/README.md",
                                                 "file:///usr/share/doc/textback/asterisk/README.md"), unit


RULE_KEY = re.compile(r'(?:[A-Z_]+(?:\{[^}]+\})?)\s*(?:==|!=|\+=|=)\s*"[^"]*"')


def _rules() -> list[str]:
    return [line for line in (SYSTEMD / "99-textback-modem.rules").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_udev_rule_lines_are_well_formed():
    for line in _rules():
        rest = RULE_KEY.sub("", line)
        assert set(rest) <= {",", " "}, f"unparsed text {rest.strip()!r} in: {line}"


def test_udev_rule_names_modems_not_bare_usb_serial_adapters():
    lines = _rules()
    text = "\n".join(lines)
    named = [line for line in lines if 'SYMLINK+="textback-modem"' in line]
    assert named
    for line in named:
        # by vendor and product and interface (Huawei: by the AT interface's class)
        assert 'ATTRS{idVendor}==' in line and ("ENV{ID_USB_INTERFACE_NUM}==" in line
                                                or "ENV{TEXTBACK_HUAWEI_AT}==" in line), line
    assert '"1a86"' not in text and '"10c4"' not in text      # CH340, CP2102: commented out
    for vendor in ("2c7c", "1e0e", "12d1", "19d2"):
        ignore = [line for line in lines if f'"{vendor}"' in line and 'ENV{ID_MM_DEVICE_IGNORE}="1"' in line]
        assert ignore, f"ModemManager is not kept off vendor {vendor}"


def test_every_modem_line_cites_its_source():
    blocks = (SYSTEMD / "99-textback-modem.rules").read_text().split("\n\n")
    for block in blocks:
        if 'SYMLINK+="textback-modem"' in block and not block.lstrip().startswith("# SIM800"):
            assert "Source:" in block, block


def test_the_template_runs_one_modems_worker_with_the_single_units_settings():
    """textback-worker@NAME is textback-worker.service with --modem NAME: same user, restart,
    watchdog and hardening (a setting added to one and not the other fails here)."""
    def settings(unit: str) -> list[str]:
        return [line for line in (SYSTEMD / unit).read_text().splitlines()
                if line and not line.startswith(("#", "Description=", "ExecStart=", "DeviceAllow=/dev/"))]

    assert settings("textback-worker@.service") == settings("textback-worker.service")
    text = (SYSTEMD / "textback-worker@.service").read_text()
    assert "ExecStart=/usr/local/bin/textback worker --modem %i\n" in text
    assert "Description=textback worker for modem %i " in text


def test_an_instance_of_the_template_passes_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("needs systemd-analyze (apt-get install systemd)")
    text = (SYSTEMD / "textback-worker@.service").read_text()
    instance = tmp_path / "textback-worker@front-desk.service"
    instance.write_text(text.replace("/usr/local/bin/textback", str(programs() / "textback")))
    result = subprocess.run(["systemd-analyze", "verify", str(instance)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
