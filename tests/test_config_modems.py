"""Several modems: [[modem]] entries in the configuration, and `textback worker --modem NAME`."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from modem_fleet import FRONT_DESK_LINE, SERVICE_LINE, modem_entry

from textback.cli import main
from textback.config import ConfigError, parse_config
from textback.worker_settings import worker_settings

BUSINESS = '[business]\nname = "Brightside Plumbing"\ncallback_number = "(212) 555-0100"\n'
TWO = (BUSINESS + modem_entry("front-desk", "/dev/ttyUSB2", FRONT_DESK_LINE)
       + modem_entry("service", "/dev/ttyUSB6", SERVICE_LINE, "+12125550112", pin="1234"))


def test_two_modems_each_with_its_name_port_and_lines():
    config = parse_config(TWO)
    assert [(m.name, m.port, m.lines) for m in config.modems()] == [
        ("front-desk", "/dev/ttyUSB2", ("+12125550100",)),
        ("service", "/dev/ttyUSB6", ("+12125550111", "+12125550112"))]
    assert config.modem.name == "front-desk"          # the first entry stands for [modem]
    settings = worker_settings(config, modem_name="service")
    assert (settings.modem_name, settings.modem_port, settings.modem_options["pin"]) == ("service", "/dev/ttyUSB6",
                                                                                       "1234")
    assert settings.modem_lines == (("front-desk", ("+12125550100",)),
                                    ("service", ("+12125550111", "+12125550112")))


def test_the_one_modem_table_still_works_and_names_no_modem():
    config = parse_config(BUSINESS + '[modem]\nport = "/dev/ttyUSB2"\n')
    settings = worker_settings(config)
    assert (settings.modem_name, settings.modem_port, settings.modem_lines) == (None, "/dev/ttyUSB2", ())
    with pytest.raises(ConfigError, match='one \\[modem\\] without a name: add name = "front"'):
        config.modem_named("front")


@pytest.mark.parametrize("entries, message", [
    ('[[modem]]\nport = "/dev/a"\n', '[[modem]] #1 needs a name, like name = "front-desk"'),
    ('[[modem]]\nname = "Front Desk"\n', '[[modem]] #1 name = "Front Desk": expected a short name of lower-case'),
    ('[[modem]]\nname = "a"\nport = "/dev/a"\n[[modem]]\nname = "a"\nport = "/dev/b"\nlines = ["+12125550101"]\n',
     '[[modem]] #2 name "a" is also in [[modem]] "a": each modem needs its own'),
    ('[[modem]]\nname = "a"\nport = "/dev/a"\n[[modem]]\nname = "b"\nport = "/dev/a"\nlines = ["+12125550101"]\n',
     '[[modem]] #2 port "/dev/a" is also in [[modem]] "a"'),
    ('[[modem]]\nname = "a"\nport = "/dev/a"\nlines = ["+12125550101"]\n'
     '[[modem]]\nname = "b"\nport = "/dev/b"\nlines = ["+12125550101"]\n',
     '[[modem]] #2 line "+12125550101" is also in [[modem]] "a"'),
    ('[[modem]]\nname = "a"\nport = "/dev/a"\n[[modem]]\nname = "b"\nport = "/dev/b"\n',
     "[[modem]] a, b list no lines: give each its lines"),
    ('[[modem]]\nname = "a"\nport = "/dev/a"\nlines = ["555"]\n', "[[modem]] #1 lines"),
    ('[[modem]]\nname = "a"\nprot = "/dev/a"\n', '[[modem]] #1 unknown key "prot" (did you mean "port"?)'),
])
def test_a_wrong_modem_entry_is_refused_naming_it(entries, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(BUSINESS + entries)
    assert message in str(caught.value)


def test_a_worker_must_be_told_which_of_several_modems_it_drives(tmp_path):
    path = tmp_path / "textback.toml"
    path.write_text(TWO + f'[store]\nurl = "sqlite:///{tmp_path}/t.db"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "worker"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{path} has 2 modems (front-desk, service): run one worker for each, e.g. textback worker "
            "--modem front-desk (systemd: textback-worker@front-desk)") in result.output
    result = CliRunner().invoke(main, ["--config", str(path), "worker", "--modem", "back-office"])
    assert result.exit_code == 1
    assert f'{path} has no modem named "back-office": it has front-desk, service' in result.output


def test_config_check_and_doctor_take_several_modems_without_asking_which(tmp_path):
    """The shop's rules are every worker's: checking them needs no --modem."""
    path = tmp_path / "textback.toml"
    path.write_text(TWO + f'[store]\nurl = "sqlite:///{tmp_path}/t.db"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    assert "Traceback" not in result.output and "has 2 modems" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_readmes_several_shops_configuration_is_valid():
    """README's "Several modems, several shops" box config parses as it is printed."""
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Several modems, several shops"):]
    block = section[section.index("```toml\n") + len("```toml\n"):]
    config = parse_config(block[:block.index("```")])
    assert [(m.name, m.port) for m in config.modems()] == [("front-desk", "/dev/textback-modem-front-desk"),
                                                           ("service", "/dev/textback-modem-service")]
    assert config.store.url.startswith("postgresql://")


def test_takeover_after_is_off_unless_set():
    from datetime import timedelta

    assert worker_settings(parse_config(TWO), modem_name="front-desk").takeover_after is None
    taking = parse_config(TWO + '[sending]\ntakeover_after = "30m"\n')
    assert worker_settings(taking, modem_name="service").takeover_after == timedelta(minutes=30)
    with pytest.raises(ConfigError, match="takeover_after"):
        parse_config(TWO + '[sending]\ntakeover_after = "30 days"\n')


def test_config_check_shows_every_modem_entry_not_only_the_first(tmp_path):
    """With two [[modem]] entries, `config check` lists both (the first alone read as the only modem)."""
    path = tmp_path / "textback.toml"
    path.write_text(TWO + f'[store]\nurl = "sqlite:///{tmp_path}/t.db"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    report = result.output.splitlines()
    start = report.index("[[modem]]")
    assert report[start:start + 24] == [
        "[[modem]]", '  name = "front-desk"', '  lines = ["+12125550100"]', '  port = "/dev/ttyUSB2"',
        "  baudrate = 115200", '  pin = ""', '  smsc = ""', "  flow_control = false", '  cnmi = "auto"',
        '  model = "auto"', "  delivery_reports = true", '  sweep_interval = "1m"',
        "[[modem]]", '  name = "service"', '  lines = ["+12125550111", "+12125550112"]', '  port = "/dev/ttyUSB6"',
        "  baudrate = 115200", '  pin = "****"', '  smsc = ""', "  flow_control = false", '  cnmi = "auto"',
        '  model = "auto"', "  delivery_reports = true", '  sweep_interval = "1m"']
    assert report[start + 24] == "[store]" and "[modem]" not in report


def test_a_modem_table_beside_modem_entries_is_named_not_a_bare_toml_error(tmp_path):
    """The example's [modem] with its commented [[modem]] lines uncommented (what its comment
    invites) is a TOML error; the shop is told which line to delete, not "Cannot overwrite a value"."""
    path = tmp_path / "textback.toml"
    path.write_text(BUSINESS + '[modem]\nbaudrate = 115200\n' + TWO[len(BUSINESS):], encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    assert (result.exit_code, result.output) == (1, (
        f"error: {path}: not valid TOML: the [modem] table (line 4) and [[modem]] entries cannot be mixed: "
        "with several modems delete the [modem] line and write each modem as [[modem]] with its name, port "
        "and lines (a key such as pin or baudrate goes into each [[modem]] that needs it)\n"))
    path.write_text(TWO + 'name = "again"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    assert (result.exit_code, result.output) == (1, (
        f"error: {path}: not valid TOML: Cannot overwrite a value (at line 15, column 15): a key written "
        "twice in one section (or a section written twice)\n"))
