"""The worker's seams (modem/worker/ports.py) fit the real store and the real modem: every
verb and attribute the worker side names exists on store.Store and on an opened Modem
(mypy checks the signatures where the CLI builds the worker)."""
from __future__ import annotations

from modem.device.modem import Modem
from modem.worker.ports import ModemPort, WorkerStore


def test_the_store_has_every_verb_the_worker_uses(store):
    assert isinstance(store, WorkerStore)


def test_an_opened_modem_has_everything_the_worker_uses(sim):
    with Modem.open(sim.device, command_timeout=2) as modem:
        assert isinstance(modem, ModemPort)


def test_a_missing_verb_is_noticed(store):
    verbs = {name: getattr(type(store), name) for name in dir(type(store))
             if not name.startswith("__") and name != "kept_inbound_parts"}
    assert not isinstance(type("StoreWithoutAVerb", (), verbs)(), WorkerStore)
