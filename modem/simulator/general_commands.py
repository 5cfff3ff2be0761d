"""The simulated modem's general commands: V.250 basics and 27.007 (identity, SIM, network).

Registered in the handler table (handlers.py) on import; SMS commands are in sms_commands.py.
"""
from __future__ import annotations

from modem.simulator.handlers import command, int_arg
from modem.simulator.state import AtError


# -- basic commands ------------------------------------------------------------------
@command("AT")
def _at(proc, suffix, args, raw):
    return []


@command("Z")
def _reset(proc, suffix, args, raw):
    proc.state.reset_settings()
    return []


@command("&F")
def _factory_defaults(proc, suffix, args, raw):
    proc.state.reset_settings()
    proc.state.factory_reset_since_power_up = True     # the SIM7600G-H quirk (profiles.py)
    return []


@command("E")
def _echo(proc, suffix, args, raw):
    value = raw or "0"
    if value not in ("0", "1"):
        raise AtError("plain")
    proc.state.echo = value == "1"
    return []


@command("V")
def _verbose(proc, suffix, args, raw):
    # Numeric result codes (ATV0) are not simulated; refuse rather than pretend.
    if (raw or "0") != "1":
        raise AtError("plain")
    return []


@command("Q", "&C", "&D", "&K", "&W", "X")
def _accepted(proc, suffix, args, raw):
    return []


@command("I")
def _identify(proc, suffix, args, raw):
    p = proc.state.profile
    return list(p.ati_lines) or [p.manufacturer, p.model, f"Revision: {p.revision}"]


# -- 27.007 general commands -----------------------------------------------------------
def _identity(getter):
    def handler(proc, suffix, args, raw):
        if suffix == "=?":
            return []
        if suffix:
            raise AtError("CME", 50)
        return [getter(proc.state)]
    return handler


command("+CGMI", "+GMI")(_identity(lambda s: s.profile.manufacturer))
command("+CGMM", "+GMM")(_identity(lambda s: s.profile.model))
command("+CGMR", "+GMR")(_identity(lambda s: s.profile.revision))
command("+CGSN", "+GSN")(_identity(lambda s: s.profile.imei))


@command("+CIMI")
def _cimi(proc, suffix, args, raw):
    proc.state.require_sim()
    return _identity(lambda s: s.profile.imsi)(proc, suffix, args, raw)


@command("+CLAC")
def _clac(proc, suffix, args, raw):
    if not proc.state.profile.clac_supported:
        raise AtError("CME", 100)
    if suffix == "=?":
        return []
    return list(proc.state.profile.commands)


@command("+CFUN")
def _cfun(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return [f"+CFUN: {state.cfun}"]
    if suffix == "=?":
        return ["+CFUN: (0,1,4),(0,1)"]
    if suffix == "=":
        state.cfun = int_arg(args, 0, allowed=(0, 1, 4))
        return []
    raise AtError("CME", 50)


@command("+CMEE")
def _cmee(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return [f"+CMEE: {state.cmee}"]
    if suffix == "=?":
        return ["+CMEE: (0-2)"]
    if suffix == "=":
        state.cmee = int_arg(args, 0, default=0, allowed=(0, 1, 2))
        return []
    state.cmee = 0
    return []


@command("+CPIN")
def _cpin(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return ["+CPIN: SIM PIN" if state.sim_locked else "+CPIN: READY"]
    if suffix == "=?":
        return []
    if suffix != "=" or not args or not args[0]:
        raise AtError("CME", 50)
    if not state.sim_locked:
        # 27.007: entering a PIN when none is asked for is "operation not allowed".
        raise AtError("CME", 3)
    if args[0] != state.pin:
        raise AtError("CME", 16)
    state.sim_locked = False
    return []


@command("+CSQ")
def _csq(proc, suffix, args, raw):
    if suffix == "=?":
        return ["+CSQ: (0-31,99),(0-7,99)"]
    return [f"+CSQ: {proc.state.rssi},99"]


@command("+CREG")
def _creg(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return ["+CREG: (0-2)"]
    if suffix == "=":
        state.creg_mode = int_arg(args, 0, default=0, allowed=(0, 1, 2))
        return []
    if suffix == "?":
        return [state.creg_line(include_mode=True)]
    raise AtError("CME", 50)


@command("+COPS")
def _cops(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return [f'+COPS: (2,"{state.profile.operator}","TestNet","00101"),,(0-4),(0-2)']
    if suffix == "=":
        mode = int_arg(args, 0, allowed=(0, 1, 2, 3, 4))
        if mode == 3:
            state.cops_format = int_arg(args, 1, default=0, allowed=(0, 1, 2))
        return []
    if suffix == "?":
        if not state.registered:
            return ["+COPS: 0"]
        name = {0: state.profile.operator, 1: "TestNet", 2: "00101"}[state.cops_format]
        act = "" if state.act is None else f",{state.act}"
        return [f'+COPS: 0,{state.cops_format},"{name}"{act}']
    raise AtError("CME", 50)


def _flag(attr: str, label: str):
    def handler(proc, suffix, args, raw):
        if suffix == "?":
            extra = ",1" if label == "+CLIP" else ""
            return [f"{label}: {int(getattr(proc.state, attr))}{extra}"]
        if suffix == "=?":
            return [f"{label}: (0,1)"]
        if suffix == "=":
            setattr(proc.state, attr, int_arg(args, 0, default=0, allowed=(0, 1)))
            return []
        raise AtError("CME", 50)
    return handler


command("+CLIP")(_flag("clip", "+CLIP"))
command("+CRC")(_flag("crc", "+CRC"))
command("+CVHU")(_flag("cvhu", "+CVHU"))


@command("+CPAS")
def _cpas(proc, suffix, args, raw):
    return ["+CPAS: 0"]


@command("+CBC")
def _cbc(proc, suffix, args, raw):
    return ["+CBC: 0,100"]


@command("+CGATT")
def _cgatt(proc, suffix, args, raw):
    if suffix == "?":
        return [f"+CGATT: {int(proc.state.registered)}"]
    return []


@command("+CNUM")
def _cnum(proc, suffix, args, raw):
    proc.state.require_sim()
    return []


# Vendor commands the profiles list: accepted, with a plausible read answer.
@command("+DDET", "+CSCLK", "^CURC", "^USSDMODE", "^DTMF", "+QINDCFG", "+CNMP", "+CPSI", "+CNSMOD")
def _vendor(proc, suffix, args, raw):
    return []


@command("+QCFG")
def _qcfg(proc, suffix, args, raw):
    """Quectel's AT+QCFG: "ims" as the profile says (setting it takes a restart to register,
    so the VoLTE state stays), "nwscanmode" 0 (automatic); other settings just OK."""
    state = proc.state
    what = args[0].lower() if suffix == "=" and args else ""
    if what == "ims":
        if state.ims is None:
            raise AtError("CME", 50)
        if len(args) == 1:
            return [f'+QCFG: "ims",{state.ims[0]},{state.ims[1]}']
        state.ims = (int_arg(args, 1, allowed=(0, 1, 2)), state.ims[1])
        return []
    if what == "nwscanmode" and len(args) == 1:
        return ['+QCFG: "nwscanmode",0']
    return []


@command("+CGSMS")
def _cgsms(proc, suffix, args, raw):
    state = proc.state
    if state.cgsms is None:
        raise AtError("unsupported")
    if suffix == "?":
        return [f"+CGSMS: {state.cgsms}"]
    if suffix == "=?":
        return ["+CGSMS: (0-3)"]
    if suffix == "=":
        state.cgsms = int_arg(args, 0, default=1, allowed=(0, 1, 2, 3))
        return []
    raise AtError("CME", 50)


@command("^SYSINFO")
def _sysinfo(proc, suffix, args, raw):
    srv = 2 if proc.state.registered else 0
    return [f"^SYSINFO:{srv},{srv},0,3,1,,5"]


@command("+QCCID")
def _qccid(proc, suffix, args, raw):
    return ["+QCCID: 89001012012341234012"]
