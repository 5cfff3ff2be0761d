"""textback: the command line and configuration loading (the one home that may import agi, modem and store)."""
