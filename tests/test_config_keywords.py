"""[keywords]: a shop's own opt-out / opt-in / help words, loaded, refused when they cannot
work, warned about in `config check`, and reaching the worker's settings."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from store.rules.keywords import Keyword, ShopKeywords, classify
from textback import config as cfg
from textback.cli import main
from textback.worker_settings import worker_settings

SPANISH = """
[business]
name = "Example Plumbing"
callback_number = "(212) 555-0100"
[keywords]
opt_out = ["ALTO", "PARAR", "BASTA", "CANCELAR"]
opt_in = ["EMPEZAR"]
help = ["AYUDA"]
"""


@pytest.fixture(autouse=True)
def _no_site_config(monkeypatch, tmp_path):
    monkeypatch.delenv(cfg.ENV_VAR, raising=False)
    monkeypatch.setattr("store.location.DEFAULT_PATH", str(tmp_path / "etc" / "textback.toml"))


def test_the_shops_words_reach_the_worker_and_classify_its_texts():
    settings = worker_settings(cfg.parse_config(SPANISH))
    assert settings.keywords == ShopKeywords(opt_out=("ALTO", "PARAR", "BASTA", "CANCELAR"),
                                             opt_in=("EMPEZAR",), help=("AYUDA",))
    assert classify("Gracias. ALTO", settings.keywords) is Keyword.OPT_OUT
    assert classify("ayuda", settings.keywords) is Keyword.HELP
    assert worker_settings(cfg.Config()).keywords == ShopKeywords()


@pytest.mark.parametrize("toml, message", [
    ('[keywords]\nopt_out = "ALTO"', 'textback.toml: [keywords] opt_out = "ALTO": expected a list like ["..."], got text'),
    ('[keywords]\nopt_out = ["!!"]', ('textback.toml: [keywords] opt_out = ["!!"]: item 1 ("!!"): '
                                      'expected a word with letters in it, like "ALTO"')),
    ('[keywords]\nopt_out = ["alto"]\nopt_in = ["Alto"]',
     'textback.toml: [keywords] "Alto" is in both opt_out and opt_in: a keyword can mean one thing only'),
    ('[keywords]\nstop = ["alto"]', 'textback.toml: [keywords] unknown key "stop" (allowed: opt_out, opt_in, help)'),
])
def test_bad_keywords_are_refused_naming_the_key(toml, message):
    with pytest.raises(cfg.ConfigError) as caught:
        cfg.parse_config(toml)
    assert str(caught.value) == message


def test_config_check_lists_the_words_and_warns_about_ones_that_cannot_work(tmp_path):
    path = tmp_path / "textback.toml"
    path.write_text(SPANISH.replace('opt_in = ["EMPEZAR"]', 'opt_in = ["EMPEZAR", "STOP", "please stop"]'))
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert '  opt_out = ["ALTO", "PARAR", "BASTA", "CANCELAR"]' in result.output
    assert ('warning: [keywords] opt_in "STOP" is a built-in opt-out word: an opt-out always wins; '
            'remove it from opt_in') in result.output
    assert ('warning: [keywords] opt_in "please stop" reads as an opt-out (it contains one): it would opt '
            'the customer out; choose another word') in result.output
    assert "(3 warnings)" in result.output   # the third: no staff numbers
