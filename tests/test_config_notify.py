"""[[notify]] targets in the configuration (issue 16): what a target needs, clear errors
naming the table and the key, and what the worker gets."""
from __future__ import annotations

from datetime import timedelta

import pytest

from textback.commands.config_cmd import notify_line
from textback.config import ConfigError, parse_config
from textback.worker_settings import notify_targets


def test_a_url_target_and_a_command_target():
    config = parse_config('[[notify]]\nname = "crm"\nurl = "https://crm.example.com/hook"\nsecret = "k"\n'
                          'events = ["call.missed", "text.*"]\nretry_for = "2h"\n'
                          '[[notify]]\nname = "csv"\ncommand = "sh /usr/local/bin/to-csv.sh"\n')
    crm, csv = notify_targets(config)
    assert (crm.name, crm.url, crm.secret, crm.events, crm.retry_for, crm.timeout) == \
        ("crm", "https://crm.example.com/hook", "k", ("call.missed", "text.*"), timedelta(hours=2), 10.0)
    assert (csv.command, csv.events, csv.alert_after, csv.retry_first, csv.retry_max) == \
        ("sh /usr/local/bin/to-csv.sh", (), 5, 5.0, 600.0)
    assert notify_line(config.notify[0]) == ('[[notify]] crm: url = "https://crm.example.com/hook", call.missed, '
                                             'text.*, signed, retried for 2h, alert after 5 failures')
    assert "k" not in notify_line(config.notify[0]).replace("hook", "")


@pytest.mark.parametrize("toml,message", [
    ('[[notify]]\nurl = "https://x.example/h"\nsecret = "k"',
     'textback.toml: [[notify]] #1 needs a name, like name = "crm" (textback status shows it)'),
    ('[[notify]]\nname = "a"\nurl = "https://x.example/h"',
     'textback.toml: [[notify]] #1 a url needs a secret = "..." (the receiver checks the signature with it)'),
    ('[[notify]]\nname = "a"',
     'textback.toml: [[notify]] #1 give exactly one of url = "https://..." or command = "/path/to/script"'),
    ('[[notify]]\nname = "a"\nurl = "ftp://x.example/h"\nsecret = "k"',
     'textback.toml: [[notify]] #1 url = "ftp://x.example/h": expected an http(s) URL like '
     '"https://crm.example.com/hooks/textback"'),
    ('[[notify]]\nname = "a"\ncommand = "x"\nevents = ["call.mised"]',
     'textback.toml: [[notify]] #1 events = ["call.mised"]: item 1 ("call.mised"): unknown event type "call.mised": use one of '
     'call.missed, call.logged, text.sent, text.delivered, text.failed, text.expired, reply.received, '
     'contact.opted_out, contact.opted_in, contact.blocked, contact.unblocked, contact.settled, staff.answered, '
     'alert.raised, alert.cleared, or a family like "text.*"'),
    ('[[notify]]\nname = "a"\ncommand = "x"\n[[notify]]\nname = "a"\ncommand = "y"',
     'textback.toml: [[notify]] name = "a" is used twice: each target needs its own name'),
    ('[[notify]]\nname = "a"\ncommand = "x"\nretyr_for = "1h"',
     'textback.toml: [[notify]] #1 unknown key "retyr_for" (did you mean "retry_for"?)'),
])
def test_a_bad_target_is_refused_naming_what_to_fix(toml, message):
    with pytest.raises(ConfigError) as info:
        parse_config(toml)
    assert str(info.value) == message
