"""The schema version this code writes (standard library only, for the lean AGI path).

Bump it together with a new step in store/migrations.py (a test checks they agree).
"""
SCHEMA_VERSION = 12
