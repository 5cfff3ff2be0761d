"""`textback config check` and `textback config example`, driven through the real CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from textback import config as cfg
from textback.cli import main

GOOD = """
[business]
name = "Example Plumbing"
callback_number = "(212) 555-0100"
[staff]
numbers = ["+12125550123"]
"""


@pytest.fixture(autouse=True)
def _no_site_config(monkeypatch, tmp_path):
    monkeypatch.delenv(cfg.ENV_VAR, raising=False)
    # resolve_path reads the default from store.location, where it lives.
    monkeypatch.setattr("store.location.DEFAULT_PATH", str(tmp_path / "etc" / "textback.toml"))


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def write(tmp_path, text, name="textback.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_clean_failure(result, *needles):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for needle in needles:
        assert needle in result.output


def test_the_untouched_example_is_refused_naming_each_key(tmp_path):
    # Issue 14: it passed as OK and would have texted as "Example Plumbing & Heating".
    result = run("--config", write(tmp_path, run("config", "example").output), "config", "check")
    assert result.exit_code == 1
    assert ('error: [business] name is still the example\'s "Example Plumbing & Heating": set name to your '
            "business's name") in result.output
    assert "error: [business] callback_number is still the example's \"(201) 555-0100\"" in result.output
    assert "error: [business] own_numbers still holds the example's +12015550100" in result.output
    assert "NOT OK: 3 errors" in result.output and "OK: the configuration is valid" not in result.output


def test_an_empty_name_is_an_error(tmp_path):
    result = run("config", "check", "--config", write(tmp_path, GOOD.replace('"Example Plumbing"', '""')))
    assert result.exit_code == 1 and "error: [business] name is empty" in result.output


def test_a_template_that_loses_a_sentence_or_renders_empty_is_an_error(tmp_path):
    lost = run("config", "check", "--config", write(tmp_path, GOOD + '[textback]\ntemplate = '
                                                    '"Hi, this is {business}. Book online: {booking_link}"\n'))
    assert lost.exit_code == 1
    assert ('error: first text, business hours: uses {booking_link} but [business] booking_link is empty: '
            'the sentence "Book online: {booking_link}" would be left out') in lost.output
    empty = run("config", "check", "--config", write(tmp_path, GOOD + '[textback]\ntemplate = "{booking_link}"\n'))
    assert empty.exit_code == 1
    assert ("error: first text, business hours: renders EMPTY: uses {booking_link} but [business] booking_link "
            "is empty") in empty.output
    help_text = run("config", "check", "--config", write(tmp_path, GOOD.replace('callback_number = "(212) 555-0100"\n', '')))
    assert help_text.exit_code == 1
    assert "HELP reply: uses {callback_number} but [business] callback_number is empty" in help_text.output


def test_the_example_passes_the_check_once_it_is_the_shops(tmp_path):
    example = run("config", "example")
    assert example.exit_code == 0 and "[business]" in example.output
    text = (example.output.replace('"Example Plumbing & Heating"', '"Example Plumbing & Heating Co"')
            .replace("(201) 555-0100", "(212) 555-0100").replace("+12015550100", "+12125550100"))
    path = write(tmp_path, text)
    result = run("--config", path, "config", "check")
    assert result.exit_code == 0, result.output
    assert "Configuration: " + path in result.output
    assert "first text, business hours [GSM-7," in result.output
    assert "Hi, this is Example Plumbing & Heating Co. Sorry we missed your call!" in result.output
    assert "OK: the configuration is valid" in result.output
    # the shipped texts are plain: no text in the example draws a warning of its own
    assert "    warning:" not in result.output


def test_check_takes_config_on_the_subcommand_too(tmp_path):
    result = run("config", "check", "--config", write(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert 'name = "Example Plumbing"' in result.output
    assert "OK: the configuration is valid (0 warnings)." in result.output


def test_check_reads_the_environment(tmp_path):
    result = run("config", "check", env={cfg.ENV_VAR: write(tmp_path, GOOD)})
    assert result.exit_code == 0 and "Example Plumbing" in result.output


def test_no_file_shows_the_defaults_and_asks_for_a_name():
    result = run("config", "check")
    assert result.exit_code == 1, result.output      # issue 14: an empty name is an error now
    assert "showing the built-in defaults" in result.output
    assert "[business] name is empty" in result.output


def test_a_wrong_value_fails_naming_the_key(tmp_path):
    result = run("config", "check", "--config", write(tmp_path, '[quiet_hours]\nstart = "25:00"'))
    assert_clean_failure(result, 'error: ', '[quiet_hours] start = "25:00": expected HH:MM')


def test_an_unknown_key_suggests_the_right_one(tmp_path):
    result = run("config", "check", "--config", write(tmp_path, '[textback]\ndealy = "45s"'))
    assert_clean_failure(result, 'unknown key "dealy" (did you mean "delay"?)')


def test_a_missing_named_file_is_a_clear_error(tmp_path):
    missing = str(tmp_path / "nope.toml")
    result = run("--config", missing, "config", "check")
    assert_clean_failure(result, f"{missing}: no such file", "textback config example")


def test_bad_templates_draw_warnings(tmp_path):
    path = write(tmp_path, GOOD + """
[textback]
template = "Thanks for calling 🙂 We'll text you soon, {caller_name}!"
after_hours_template = "Hi from {business}. We’re closed — back {opens_at}."
[followups]
opt_out_line = ""
max_messages = 2
[[followups.steps]]
after = "2h"
template = "{business} here. Still need help?"
[[followups.steps]]
at = "07:00"
template = "Morning from {business}!"
""" + '[lines."+12125550199"]\nname = "Example Drains"\ntemplate = "' + "A very long text. " * 20 + '"\n')
    result = run("config", "check", "--config", path)
    assert result.exit_code == 0, result.output     # warnings are allowed
    out = result.output
    assert 'does not name the business ("Example Plumbing")' in out
    assert "contains emoji: sent as UCS-2" in out
    assert "because of: ’ (U+2019 RIGHT SINGLE QUOTATION MARK), — (U+2014 EM DASH)" in out
    assert "has no opt-out line" in out
    assert "3 SMS parts (each one is billed)" in out
    assert 'first text for line "+12125550199", business hours' in out
    assert "2 steps but max_messages = 2" in out
    assert '[[followups.steps]] #2 at = "07:00" falls in quiet hours' in out


def test_quiet_hours_step_is_flagged(tmp_path):
    path = write(tmp_path, GOOD + '[[followups.steps]]\nat = "07:00"\ntemplate = "Morning from {business}!"\n')
    result = run("config", "check", "--config", path)
    assert result.exit_code == 0
    assert '[[followups.steps]] #1 at = "07:00" falls in quiet hours (21:00-08:00)' in result.output


def test_emoji_replace_makes_the_text_gsm7(tmp_path):
    path = write(tmp_path, GOOD + '[textback]\nemoji = "replace"\n'
                 'template = "Hi, it’s {business} 🙂 Sorry we missed you!"\n')
    result = run("config", "check", "--config", path)
    assert result.exit_code == 0
    assert "Hi, it's Example Plumbing :) Sorry we missed you!" in result.output
    assert "first text, business hours [GSM-7," in result.output


def test_pin_is_not_printed(tmp_path):
    result = run("config", "check", "--config", write(tmp_path, GOOD + '[modem]\npin = "4321"\n'))
    assert result.exit_code == 0
    assert "4321" not in result.output and 'pin = "****"' in result.output


def test_booking_link_placeholder_without_a_link(tmp_path):
    path = write(tmp_path, GOOD + '[textback]\ntemplate = "Hi, this is {business}. Book at {booking_link}"\n')
    result = run("config", "check", "--config", path)
    assert "uses {booking_link} but [business] booking_link is empty" in result.output


def test_an_unknown_placeholder_is_refused_naming_the_key(tmp_path):
    # The worker could not fill {agent}: such a file must not load, or no text would go out.
    path = write(tmp_path, GOOD + '[textback]\ntemplate = "Hi from {business}. Ask for {agent}."\n')
    result = run("config", "check", "--config", path)
    assert_clean_failure(result, "[textback] template", "unknown placeholder {agent}", "{business}")


def test_previews_are_the_texts_the_worker_sends(tmp_path):
    # A follow-up that already ends with the opt-out line gets it once, as the rules add it;
    # an empty booking link drops its sentence rather than showing a made-up link.
    path = write(tmp_path, GOOD + """
[followups]
max_messages = 2
[[followups.steps]]
after = "2h"
template = "Still need a hand from {business}? Book at {booking_link}. Reply STOP to opt out."
""")
    out = run("config", "check", "--config", path).output
    preview = out.split("follow-up 1 (after 2h)")[1].split("\n")[1].strip()
    assert preview == "Still need a hand from Example Plumbing? Reply STOP to opt out."
    assert "booking_link is empty" in out


def test_an_own_number_the_guard_cannot_read_is_a_warning(tmp_path):
    path = write(tmp_path, GOOD.replace('[staff]', '[lines."+15551234567"]\nname = "Old line"\n[staff]'))
    result = run("config", "check", "--config", path)
    assert result.exit_code == 0, result.output
    assert "own number '+15551234567' is not a valid number for US" in result.output


def test_modem_lines_left_at_the_examples_numbers_are_an_error(tmp_path):
    """The example's commented [[modem]] entries, uncommented as they are: every real call is to
    another line, so no modem would ever text a caller. config check passed it as OK."""
    modems = ('[[modem]]\nname = "front-desk"\nport = "/dev/textback-modem"\nlines = ["+12015550100"]\n'
              '[[modem]]\nname = "service"\nport = "/dev/textback-modem-2"\nlines = ["+12125550111", "+12015550111"]\n')
    result = run("config", "check", "--config", write(tmp_path, GOOD + modems))
    assert result.exit_code == 1
    assert result.output.splitlines()[-3:] == [
        "error: [[modem]] front-desk lines still holds the example's +12015550100: list the business lines "
        "(the numbers callers dial) this SIM texts for",
        "error: [[modem]] service lines still holds the example's +12015550111: list the business lines "
        "(the numbers callers dial) this SIM texts for",
        "NOT OK: 2 errors to fix before a caller is texted (0 warnings)."]
