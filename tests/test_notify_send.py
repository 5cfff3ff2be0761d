"""Handing one event to a target (modem/worker/notify_send.py) and one target's loop
(modem/worker/notify.py), against real peers: an HTTPS server with a certificate nobody
trusts (made with openssl), an HTTP server answering 500, commands that fail, hang or
do not exist; a real SQLite store for the loop."""
from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest
from notify_receiver import Receiver, free_port, signature_ok

from modem.worker.notify import TargetSender
from modem.worker.notify_send import DeliveryFailed, NotifyTarget, deliver, sign
from store import times

BODY = '{"schema": 1, "id": "abc", "type": "alert.raised"}'


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


def _https(receiver: Receiver, key, cert) -> Receiver:
    receiver.start()
    assert isinstance(receiver.server, ThreadingHTTPServer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    return receiver


def test_a_self_signed_certificate_is_refused_with_what_to_do_and_taken_with_its_cafile(certificate):
    key, cert = certificate
    receiver = _https(Receiver(), key, cert)
    url = f"https://127.0.0.1:{receiver.port}/hook"
    try:
        with pytest.raises(DeliveryFailed) as info:
            deliver(NotifyTarget("crm", url=url, secret="k", timeout=5), BODY, "abc", "alert.raised")
        assert info.value.text == ("the TLS certificate of 127.0.0.1 was not accepted (self-signed certificate): "
                                   "give the server a certificate from a CA this machine trusts, or set cafile to "
                                   "the CA that signed it")
        assert receiver.received == []
        deliver(NotifyTarget("crm", url=url, secret="k", timeout=5, cafile=str(cert)), BODY, "abc", "alert.raised")
    finally:
        receiver.stop()
    [got] = receiver.received
    assert got.body == BODY.encode() and got.signed_with("k")


def test_the_signature_binds_the_timestamp():
    body = BODY.encode()
    good = sign("k", 1_800_000_000, body)
    assert good == sign("k", 1_800_000_000, body) and good.startswith("sha256=") and len(good) == 7 + 64
    assert sign("k", 1_800_000_001, body) != good                  # a replay with a fresh timestamp fails
    assert not signature_ok("k", "1800000000", body, good)         # too old for the receiver's window


def test_http_errors_say_what_happened():
    receiver = Receiver(status=500).start()
    try:
        with pytest.raises(DeliveryFailed) as info:
            deliver(NotifyTarget("crm", url=receiver.url, secret="k"), BODY, "abc", "alert.raised")
    finally:
        receiver.stop()
    assert info.value.text == (f"{receiver.url} answered HTTP 500 Internal Server Error: the receiver refused the "
                               "event; its log says why")
    url = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(DeliveryFailed) as info:
        deliver(NotifyTarget("crm", url=url, secret="k"), BODY, "abc", "alert.raised")
    assert info.value.text == f"nothing answers at {url} (connection refused): is the receiver running?"


@pytest.mark.parametrize("command,message", [
    ("sh -c 'echo no room >&2; exit 3'", "the command \"sh -c 'echo no room >&2; exit 3'\" exited with status 3: "
                                         "no room"),
    ("/nonexistent/to-crm", "the command '/nonexistent/to-crm' does not exist: check [[notify]] command"),
    ("sleep 5", "the command 'sleep 5' did not finish within 1 s (it was killed)"),
])
def test_a_command_that_fails_says_how(command, message):
    with pytest.raises(DeliveryFailed) as info:
        deliver(NotifyTarget("csv", command=command, timeout=1), BODY, "abc", "alert.raised")
    assert info.value.text == message


def test_a_command_gets_the_json_on_stdin_and_the_id_in_its_environment(tmp_path):
    out = tmp_path / "got"
    deliver(NotifyTarget("csv", command=f"sh -c 'cat > {out}; echo $TEXTBACK_EVENT_ID >> {out}'"), BODY, "abc",
            "alert.raised")
    assert out.read_text() == BODY + "abc\n"


def test_an_event_refused_past_retry_for_is_given_up_and_the_next_goes(store):
    target = NotifyTarget("crm", url=f"http://127.0.0.1:{free_port()}/hook", secret="k", timeout=1,
                          retry_for=timedelta(minutes=1), retry_first=0.01, retry_max=0.01, alert_after=2)
    store.prepare_notify_targets(["crm"])
    store.raise_alert("disk_full", "disk nearly full", times.utcnow() - timedelta(minutes=2))
    store.raise_alert("modem_gone", "modem gone", times.utcnow())
    sender = TargetSender(target, store, threading.Event())
    sender.step()
    [state] = store.notify_targets()
    assert (state.dropped, state.delivered, state.failures, state.waiting) == (1, 0, 1, 1)
    sender.next_try = 0
    sender.step()
    assert [a.key for a in store.active_alerts()] == ["disk_full", "modem_gone", "notify_crm"]
    receiver = Receiver().start()
    try:
        sender.target = NotifyTarget("crm", url=receiver.url, secret="k")
        sender.next_try = 0
        while sender.step() or store.notify_targets()[0].waiting:
            sender.next_try = 0
    finally:
        receiver.stop()
    assert [e["data"]["key"] for e in receiver.events()] == ["modem_gone", "notify_crm", "notify_crm"]
    assert [e["type"] for e in receiver.events()] == ["alert.raised", "alert.raised", "alert.cleared"]
    assert [a.key for a in store.active_alerts()] == ["disk_full", "modem_gone"]


def _readme_check():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    [code] = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "def textback_request_ok" in b]
    space: dict = {}
    exec(code, space)                       # the README's own snippet, as a shop would paste it
    return space["textback_request_ok"]


def test_the_readme_signature_check_takes_a_real_request_and_refuses_a_forged_one():
    check = _readme_check()
    receiver = Receiver().start()
    try:
        deliver(NotifyTarget("crm", url=receiver.url, secret="k"), BODY, "abc", "alert.raised")
    finally:
        receiver.stop()
    [got] = receiver.received
    assert check("k", got.headers, got.body)
    assert not check("wrong", got.headers, got.body)
    assert not check("k", got.headers, got.body + b" ")
    stale = dict(got.headers, **{"X-Textback-Timestamp": str(int(got.headers["X-Textback-Timestamp"]) - 600)})
    stale["X-Textback-Signature"] = sign("k", int(stale["X-Textback-Timestamp"]), got.body)
    assert not check("k", stale, got.body)                         # signed, but a replay
