"""store.plain_toml reads what tomllib reads, or declines: never a different answer."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from store.location import read_store_settings
from store.plain_toml import loads_plain

EXAMPLE = Path(__file__).parent.parent / "textback" / "textback.example.toml"

PLAIN = [
    EXAMPLE.read_text(encoding="utf-8"),
    '[store]\nurl = "sqlite:////var/lib/textback/textback.db"\nspool_dir = "/var/spool/textback"\n',
    "[store]\r\nurl = 'sqlite:////x.db'  # literal\r\n",
    '# only a comment\n\n[a]\nb = 1\nc = -2\nd = +0\ne = true\nf = false\ng = ["x", \'y\', 3,]\nh = []\n',
    '[lines."+12125550100"]\nname = "Front # desk"\n[ a . b ]\nx = "1"\n[a]\ny = "2"\n',
    '[[followups.steps]]\nafter = "1d"\n[[followups.steps]]\nafter = "3d"\n[followups]\nenabled = true\n',
    'key = "value"\n[t]\n',
    '[store]\nurl = "sqlite:////tmp/\u00e9t\u00e9.db"\n',
]

DECLINED = [
    '[store]\nurl = "sqlite:////a\\tb.db"\n',              # an escape
    '[store]\nurl = """sqlite:////a.db"""\n',              # multi-line string
    'store.url = "sqlite:////a.db"\n',                     # dotted key
    '"store" = 1\n',                                       # quoted key
    '[store]\nurl = "a"\nurl = "b"\n',                     # a key twice
    '[store]\n[store]\n',                                  # a table twice
    '[a]\nb = 1\n[a.b]\n',                                 # a value used as a table
    '[[a]]\n[a]\n',                                        # an array used as a table
    '[a]\n[[a]]\n',
    '[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n',         # valid, but declined: tomllib's job
    'x = 1.5\n', 'x = 1_000\n', 'x = 0x1f\n', 'x = 007\n', 'x = 1979-05-27\n', 'x = 07:32:00\n',
    'x = {a = 1}\n', 'x = [[1], [2]]\n', 'x = [\n  "a",\n]\n', 'x =\n', 'x = "unclosed\n',
    'x = "a" "b"\n', 'x = truex\n', '[a\n', '[a]]\n', 'x = 1 # ok\n\x01\n', '\ufeffx = 1\n',
    'x = "a"\ry = 1\n', '[a.]\n', '[]\n',
]


@pytest.mark.parametrize("text", PLAIN, ids=range(len(PLAIN)))
def test_plain_documents_read_as_tomllib_reads_them(text):
    assert loads_plain(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", DECLINED, ids=range(len(DECLINED)))
def test_anything_else_is_left_to_tomllib(text):
    assert loads_plain(text) is None


def test_the_config_example_is_plain_so_the_hook_never_imports_tomllib():
    from textback.commands.config_cmd import example_text

    text = example_text()
    assert loads_plain(text) == tomllib.loads(text)


@pytest.mark.parametrize("body, url, warned", [
    ('[store]\nurl = "sqlite:////srv/a.db"\n', "sqlite:////srv/a.db", False),
    ('[store]\nurl = "sqlite:////srv/a\\u00e9.db"\n', "sqlite:////srv/a\u00e9.db", False),   # tomllib's turn
    ('[store]\nurl = "sqlite:////srv/a.db"\n[x]\ny = 1979-13-45\n', "sqlite:////var/lib/textback/textback.db", True),
    ('[store]\nurl = "mysql://a"\n', "sqlite:////var/lib/textback/textback.db", True),
])
def test_the_hooks_read_is_the_same_whichever_reader_answers(tmp_path, body, url, warned):
    path = tmp_path / "textback.toml"
    path.write_text(body, encoding="utf-8")
    settings = read_store_settings(str(path))
    assert settings.url == url and bool(settings.warning) is warned
