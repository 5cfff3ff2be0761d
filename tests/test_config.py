"""textback/config.py: loading, defaults, clear errors, and the AGI hook's lenient read."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields, replace
from datetime import time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from textback import config as cfg
from textback.config import Config, ConfigError, load_config, parse_config, read_store_settings

EXAMPLE = resources.files("textback").joinpath("textback.example.toml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_site_config(monkeypatch, tmp_path):
    # Never read this machine's /etc/textback or the caller's environment.
    monkeypatch.delenv(cfg.ENV_VAR, raising=False)
    # resolve_path reads the default from store.location, where it lives.
    monkeypatch.setattr("store.location.DEFAULT_PATH", str(tmp_path / "etc" / "textback.toml"))


def write(tmp_path, text: str, name: str = "textback.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---- defaults and the example ----

def test_missing_default_file_gives_built_in_defaults():
    config = load_config(None)
    assert config == Config()
    assert config.source == "built-in defaults"
    assert config.textback.delay == timedelta(seconds=30)
    assert config.quiet_hours.start == time(21) and config.quiet_hours.end == time(8)
    assert config.allowed_regions() == ("US",)
    assert [s.after or s.at for s in config.followups.steps] == [timedelta(hours=2), time(9)]


def test_the_example_is_the_defaults_plus_a_business_identity(tmp_path):
    example = load_config(write(tmp_path, EXAMPLE))
    identity = dict(name=example.business.name, callback_number=example.business.callback_number,
                    own_numbers=example.business.own_numbers)
    assert example.business.name  # the example shows what to fill in
    expected = replace(Config(), business=replace(Config().business, **identity), source=example.source)
    assert example == expected


def _section_classes():
    """(TOML section, dataclass) for every section the schema has, nested ones included."""
    out = []

    def walk(prefix, cls):
        for f in fields(cls):
            for kind in ("table", "tables", "keyed"):
                if kind in f.metadata:
                    out.append((f"{prefix}{f.name}", f.metadata[kind]))
                    walk(f"{prefix}{f.name}.", f.metadata[kind])
    walk("", Config)
    return out


@pytest.mark.parametrize("section,cls", _section_classes(), ids=lambda x: x if isinstance(x, str) else "")
def test_example_documents_every_key(section, cls):
    # The section's block runs from its header to the next header (commented ones count:
    # [lines."..."] is shown commented out, since no line overrides exist by default).
    header = re.compile(r"^#?\s*\[\[?" + re.escape(section).replace(r"\.", r"\.\"?") + r"[\]\.\"]", re.M)
    start = header.search(EXAMPLE)
    assert start, f"example has no [{section}] block"
    block = EXAMPLE[start.end():]
    nxt = re.search(r"^#?\s*\[(?!\[?" + re.escape(section) + r")", block, re.M)
    block = block[: nxt.start()] if nxt else block
    nested = {f.name for f in fields(cls) if {"table", "tables", "keyed"} & set(f.metadata)}
    for key in set(cfg.section_keys(cls)) - nested:   # nested tables have their own block
        assert re.search(rf"^#?\s*{key}\s*=", block, re.M), f"[{section}] {key} is not in the example"


def test_every_plain_key_in_the_example_states_its_default():
    current = None
    comment_seen = False
    for line in EXAMPLE.splitlines():
        if line.startswith("["):
            current, comment_seen = line, False
            continue
        if line.startswith("#"):
            comment_seen = comment_seen or "default:" in line
            continue
        m = re.match(r"(\w+)\s*=", line)
        if m and not current.startswith("[[followups.steps]]"):   # the steps block states its default once
            assert comment_seen or "default:" in line, f"{current} {m[1]} has no '# default:' comment"
            comment_seen = False


def test_example_never_shows_a_placeholder_the_check_would_reject():
    for name in re.findall(r"\{(\w+)\}", EXAMPLE):
        assert name in cfg.MESSAGE_PLACEHOLDERS + cfg.FORWARD_PLACEHOLDERS


# ---- errors name file, section, key and what is allowed ----

@pytest.mark.parametrize("toml,message", [
    ('[quiet_hours]\nstart = "25:00"', 'textback.toml: [quiet_hours] start = "25:00": expected HH:MM'),
    ('[textback]\ndealy = "30s"', 'textback.toml: [textback] unknown key "dealy" (did you mean "delay"?)'),
    ('[quiet_hour]\nstart = "21:00"', 'textback.toml: unknown section [quiet_hour] (did you mean "quiet_hours"?)'),
    ('[guard]\nhourly_cap = "30"', '[guard] hourly_cap = "30": expected a whole number from 1 to 10000, got text'),
    ('[followups]\nenabled = "yes"', '[followups] enabled = "yes": expected true or false, got text'),
    ('[modem]\npin = 1234', 'write the PIN in quotes'),
    ('[modem]\ncnmi = "2,2,0,1,0"', "the second value (mt) must be 1"),
    ('[modem]\ncnmi = "2,1,0,0,0"', "delivery_reports = true needs ds"),
    ('[modem]\nbaudrate = 115201', "expected one of 9600"),
    ('[textback]\ndelay = "3h"', '[textback] delay = "3h": expected a duration from 0s to 1h'),
    ('[textback]\ndelay = "30 seconds"', 'expected a duration like "30s"'),
    ('[textback]\ndelay = 30', 'expected a duration like "30s"'),
    ('[textback]\nstale_after = "1m"\ndelay = "5m"', "stale_after (1m) must be longer than delay (5m)"),
    ('[textback]\ntext_on = ["NOANSWER", "ANSWER"]', 'text_on = ["NOANSWER", "ANSWER"]: item 2 ("ANSWER"): expected one of'),
    ('[textback]\nemoji = "strip"', 'expected one of "keep", "replace"'),
    ('[textback]\ntemplate = "Hi {business"', "unbalanced { or }"),
    ('[textback]\ntemplate = "Hi {0}"', "placeholders are plain names"),
    ('[business]\ntimezone = "Mars/Olympus"', 'expected an IANA time zone'),
    ('[business]\ncountry = "USA"', 'expected a two-letter ISO country code'),
    ('[business.hours]\nmon = "18:00-08:00"', "closing must be after opening"),
    ('[business.hours]\nmon = "08:00-12:00,11:00-17:00"', "must be in order and not overlap"),
    ('[business.hours]\nmonday = "closed"', '[business.hours] unknown key "monday" (did you mean "mon"?)'),
    ('[staff]\nnumbers = ["2125550123"]', 'item 1 ("2125550123"): expected an international number like +12125550123'),
    ('[store]\nurl = "mysql://x"', 'expected "sqlite:////absolute/path.db"'),
    ('[log]\nlevel = "verbose"', 'expected one of "debug", "info", "warning", "error"'),
    ('[[followups.steps]]\nafter = "2h"\nat = "09:00"\ntemplate = "x"', '[[followups.steps]] #1 give exactly one of'),
    ('[[followups.steps]]\nafter = "2h"', "[[followups.steps]] #1 template must not be empty"),
    ('[followups]\nsteps = "2h"', "write each one as a [[followups.steps]] table"),
    ('[lines."+12125550199"]\nnmae = "x"', '[lines."+12125550199"] unknown key "nmae" (did you mean "name"?)'),
    ('name = "Bob\'s"', 'name = "Bob\'s" is outside any section: put it under [business]'),
    ('textback = 3', "textback = 3: expected a section [textback]"),
    ('[business\nname = "x"', "textback.toml: not valid TOML"),
])
def test_bad_values_are_clear_errors(toml, message):
    with pytest.raises(ConfigError) as err:
        parse_config(toml)
    assert message in str(err.value)


def test_unknown_key_without_a_close_match_lists_what_is_allowed():
    with pytest.raises(ConfigError, match=r'unknown key "zzz" \(allowed: start, end\)'):
        parse_config('[quiet_hours]\nzzz = 1')


def test_missing_named_file_is_an_error(tmp_path):
    path = str(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=re.escape(path) + ": no such file"):
        load_config(path)


def test_missing_file_named_by_environment_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(cfg.ENV_VAR, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="no such file"):
        load_config(None)


def test_environment_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(cfg.ENV_VAR, write(tmp_path, '[business]\nname = "Env Shop"'))
    assert load_config(None).business.name == "Env Shop"
    assert load_config(write(tmp_path, '[business]\nname = "Flag Shop"', "b.toml")).business.name == "Flag Shop"


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[business]\nname = "Café"'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(str(path))


def test_a_directory_is_not_a_config(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(str(tmp_path))


# ---- values ----

def test_values_parse_into_their_types(tmp_path):
    config = load_config(write(tmp_path, """
[business]
name = "Zoë's Bakery"
country = "gb"
timezone = "Europe/London"
own_numbers = ["+44 7700 900123", "0207 946 0000"]
[business.hours]
mon = "08:00-12:00,13:00-17:30"
sun = "closed"
[textback]
delay = "1m30s"
dedupe_window = "2d"
text_on = ["noanswer", "BUSY"]
[quiet_hours]
start = 22:00:00
end = "07:30"
[guard]
allowed_regions = ["GB", "ie"]
[modem]
pin = "0042"
smsc = "+44 7700 900000"
[staff]
numbers = ["+44 7700 900124"]
"""))
    assert config.business.country == "GB"
    assert config.business.own_numbers == ("+447700900123", "02079460000")
    assert config.business.hours.mon == ((time(8), time(12)), (time(13), time(17, 30)))
    assert config.business.hours.sun == ()
    assert config.textback.delay == timedelta(seconds=90)
    assert config.textback.dedupe_window == timedelta(days=2)
    assert config.textback.text_on == ("NOANSWER", "BUSY")
    assert config.quiet_hours.start == time(22) and config.quiet_hours.end == time(7, 30)
    assert config.allowed_regions() == ("GB", "IE")
    assert config.modem.pin == "0042" and config.modem.smsc == "+447700900000"
    assert config.staff.numbers == ("+447700900124",)
    assert config.business.tz == ZoneInfo("Europe/London")


def test_duration_round_trip():
    for text in ("30s", "90m", "2h", "1h30m", "24h", "0s"):
        td = cfg.parse_duration(text)
        assert cfg.parse_duration(cfg.format_duration(td)) == td
    assert cfg.format_duration(timedelta(minutes=90)) == "1h30m"


def test_per_line_overrides(tmp_path):
    config = parse_config("""
[business]
name = "Example Plumbing"
callback_number = "(212) 555-0100"
[lines."+12125550199"]
name = "Example Drains"
callback_number = "(212) 555-0199"
[lines."+12125550198"]
template = "Hi from {business}!"
""")
    assert [(ln.did, ln.name, ln.callback_number, ln.template) for ln in config.lines] == [
        ("+12125550199", "Example Drains", "(212) 555-0199", None),
        ("+12125550198", None, None, "Hi from {business}!")]


def test_business_hours():
    hours = parse_config('[business.hours]\nmon = "08:00-12:00,13:00-17:00"\nsat = "closed"').business.hours
    assert hours.spans(0) == ((time(8), time(12)), (time(13), time(17)))
    assert hours.spans(5) == ()
    assert hours.spans(1) == ((time(8), time(18)),)          # the default for a day not given


def test_quiet_hours_span_midnight():
    quiet = Config().quiet_hours
    assert quiet.contains(time(23)) and quiet.contains(time(2)) and quiet.contains(time(21))
    assert not quiet.contains(time(8)) and not quiet.contains(time(12))
    off = parse_config('[quiet_hours]\nstart = "08:00"\nend = "08:00"').quiet_hours
    assert not off.contains(time(8)) and not off.contains(time(3))


def test_template_placeholders():
    assert cfg.template_placeholders("Hi {business}, {{literal}} {caller_name}") == ["business", "caller_name"]


# ---- the AGI hook's lenient read ----

def test_store_settings_default_when_no_file():
    assert read_store_settings(None) == (cfg.StoreConfig().url, cfg.StoreConfig().spool_dir, "")


def test_store_settings_from_file(tmp_path):
    path = write(tmp_path, '[store]\nurl = "sqlite:////tmp/x.db"\nspool_dir = "/tmp/spool"')
    assert read_store_settings(path) == ("sqlite:////tmp/x.db", "/tmp/spool", "")


def test_store_settings_survive_a_broken_other_section(tmp_path):
    # A typo elsewhere must not send the call to the wrong database.
    path = write(tmp_path, '[store]\nurl = "postgresql://textback@db/textback"\n[textback]\ndealy = "x"')
    assert read_store_settings(path).url == "postgresql://textback@db/textback"


@pytest.mark.parametrize("text", ['[store\nurl = "x"', '[store]\nurl = "mysql://x"', 'store = 5',
                                  '[store]\nspool_dir = ""'])
def test_store_settings_never_raise(tmp_path, text):
    path = write(tmp_path, text)
    url, spool, warning = read_store_settings(path)
    assert (url, spool) == (cfg.StoreConfig().url, cfg.StoreConfig().spool_dir)
    assert path in warning and "textback config check" in warning


def test_store_settings_with_missing_named_file(tmp_path):
    settings = read_store_settings(str(tmp_path / "gone.toml"))
    assert settings.url == cfg.StoreConfig().url and "no such file" in settings.warning


def test_config_is_a_leaf_module():
    # Loaded by every command: nothing heavy, and of ours only store.location (stdlib
    # only), which owns the config file's place and the one default store location, and
    # its plain TOML reader; the status vocabulary (store.facts) and the rules' own
    # follow-up step and quiet hours (store.rules.schedule) it parses into, stdlib only.
    code = ("import sys, textback.config; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('phonenumbers','click','peewee','gsmmodem','serial','store','modem','agi','asterisk')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ("['store', 'store.facts', 'store.location', 'store.plain_toml', 'store.rules', "
                           "'store.rules.schedule']")
