"""The configuration as the worker and the rules see it (modem/settings.py)."""
from __future__ import annotations

from store.rules.plan import profile_for_line
from textback.config import parse_config
from textback.worker_settings import rules_settings

CONFIG = '''
[business]
name = "Brightside Plumbing"
country = "US"
timezone = "America/New_York"
callback_number = "(212) 555-0100"

[lines."+12125550199"]
name = ""
template = "Hi, this is {business} emergency line. We'll call you right back."

[lines."+12125550188"]
name = "Brightside Heating"
'''


def test_an_empty_line_name_falls_back_to_the_business_name():
    settings = rules_settings(parse_config(CONFIG))
    emergency = profile_for_line(settings, "+12125550199")
    assert emergency.business == "Brightside Plumbing"
    assert emergency.open_template.startswith("Hi, this is {business} emergency line")
    # Unset per-line templates keep the business's own.
    heating = profile_for_line(settings, "+12125550188")
    assert heating.business == "Brightside Heating"
    assert heating.open_template == settings.profile.open_template
