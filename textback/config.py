"""textback's settings: one TOML file parsed into frozen dataclasses. Import them from here.

Two modules, one job each, behind this one name:
  - textback/config_schema.py: the sections and keys (dataclasses whose field metadata
    names each key's parser, textback/config_parsers.py) and the built-in defaults;
  - textback/config_loading.py: reading a file into them (parse_config, load_config), every
    refusal a ConfigError naming file, section and key.
The AGI hook does not import this: it reads only [store] through store/location.py
(`read_store_settings`, re-exported here for the CLI).
"""
from __future__ import annotations

from store.location import (
    DEFAULT_PATH,
    DEFAULT_SPOOL_DIR,
    DEFAULT_STORE_URL,
    ENV_VAR,
    FileProblem,
    StoreSettings,
    read_store_settings,
    read_text,
    resolve_path,
)
from store.rules.schedule import WEEKDAYS, FollowUpStep, QuietHours
from textback.config_loading import load_config, parse_config

# Part of this module's API since before the parsers moved out: callers import them from here.
from textback.config_parsers import (
    BAUDRATES,
    format_duration,
    format_hours,
    parse_clock,
    parse_duration,
    template_placeholders,
)
from textback.config_schema import (
    DEFAULT_STEPS,
    FOLLOW_UP_KEYS,
    FORWARD_PLACEHOLDERS,
    MESSAGE_PLACEHOLDERS,
    MODEM_MODELS,
    QUIET_KEYS,
    BusinessConfig,
    BusinessHours,
    Config,
    ConfigError,
    FollowupsConfig,
    GuardConfig,
    KeywordsConfig,
    LineConfig,
    LogConfig,
    ModemConfig,
    NotifyConfig,
    SendingConfig,
    StaffConfig,
    StoreConfig,
    TextbackConfig,
    section_keys,
)

__all__ = [
    "BAUDRATES", "DEFAULT_PATH", "DEFAULT_SPOOL_DIR", "DEFAULT_STEPS", "DEFAULT_STORE_URL", "ENV_VAR",
    "FOLLOW_UP_KEYS", "FORWARD_PLACEHOLDERS", "MESSAGE_PLACEHOLDERS", "MODEM_MODELS", "QUIET_KEYS", "WEEKDAYS",
    "BusinessConfig", "BusinessHours", "Config", "ConfigError", "FileProblem", "FollowUpStep", "FollowupsConfig",
    "GuardConfig", "KeywordsConfig", "LineConfig", "LogConfig", "ModemConfig", "NotifyConfig", "QuietHours",
    "SendingConfig", "StaffConfig", "StoreConfig", "StoreSettings", "TextbackConfig",
    "format_duration", "format_hours", "load_config", "parse_clock", "parse_config", "parse_duration",
    "read_store_settings", "read_text", "resolve_path", "section_keys", "template_placeholders",
]
