"""Several modems in a shop's configuration, as the fleet tests write them: [[modem]]
entries (name, port, the shop's lines its SIM answers), most often the front desk's modem
on the shop's line and the service modem on a line of its own. No tests of its own."""
from __future__ import annotations

FRONT_DESK_LINE = "+12125550100"      # the shop's line callers dial (SHOP_LINE of the worker tests)
SERVICE_LINE = "+12125550111"
VAN_LINE = "+12125550122"


def modem_entry(name: str, port: str, *lines: str, pin: str | None = None) -> str:
    """One [[modem]] table as a shop writes it in textback.toml."""
    text = f'\n[[modem]]\nname = "{name}"\nport = "{port}"\n'
    if pin is not None:
        text += f'pin = "{pin}"\n'
    quoted = ", ".join(f'"{line}"' for line in lines)
    return text + f"lines = [{quoted}]\n"


def two_modems(front_port: str = "/dev/textback-modem", service_port: str = "/dev/textback-modem-service", *,
               front: str = "front-desk", service: str = "service") -> str:
    """The two-modem shop: `front` on the shop's line, `service` on the service line."""
    return modem_entry(front, front_port, FRONT_DESK_LINE) + modem_entry(service, service_port, SERVICE_LINE)
