"""The schema: peewee models, built per database.

Like huey's SQL storage, the models are created for one database object by
`build_models(db)`, so two stores (two files, a test and a fixture...) can live
in one process without rebinding a global. Only store/ touches these classes;
everything the verbs return is a plain value (store.records).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw

from store import times

# SQLite uses a partial index only when the query spells the index's WHERE with the same
# literal (a bound parameter does not count): queries that want one compare with these.
INBOUND = pw.SQL("'in'")
NEW = pw.SQL("'new'")

# Call states. `logged` = kept for the record only, never texted and not a skip
# decision by the rules (an ANSWER, a staff call-back, a repeat inside the window
# recorded as such by the planner).
CALL_STATES = ("new", "planned", "skipped", "logged")
OUT_KINDS = ("text_back", "follow_up", "staff_reply", "keyword_reply", "forward", "alert")
IN_KINDS = ("reply", "staff")
# expired: not sent because it was too old when its turn came (store/rules/expiry.py).
OUT_STATUSES = ("scheduled", "sending", "sent", "delivered", "failed", "cancelled", "expired")
OPT_OUT_ACTIONS = ("opt_out", "opt_in", "block", "unblock", "settle")
# Message.flag on an inbound text: how the keyword rules read it, when it was not a plain reply.
IN_FLAGS = ("opt_out", "possible_opt_out")
POSSIBLE_OPT_OUT = "possible_opt_out"


# SQL defaults on the columns added after v1, as the v4 migration adds them: a fresh
# database and a migrated one are the same, and a plain INSERT that leaves them out
# (a bulk load, an older build's lean path) still works.
_NO, _EMPTY = pw.SQL("DEFAULT FALSE"), pw.SQL("DEFAULT ''")


class UTCDateTimeField(pw.DateTimeField):
    """Aware UTC in, aware UTC out; naive UTC text of one fixed width in SQLite."""

    def db_value(self, value):
        if value is None:
            return None
        return times.to_db(value)

    def python_value(self, value):
        return times.from_db(value)


def _add_history_indexes(Call, Message, OptOutEvent) -> None:
    """The indexes that keep years of history fast (schema v3; tests/test_store_query_plans.py
    runs EXPLAIN QUERY PLAN on every hot query). Each serves named queries, so none is dead
    weight on the worker's writes. Every foreign key has its own index already (peewee
    makes one): message.call_id, message.contact_id, call.contact_id, opt_out_event's."""
    in_ = Message.direction == INBOUND
    for model, fields, name, where in (
        (Call, (Call.happened_at,), "call_happened_at", None),                  # calls, stats, export, purge
        # The planner's "what is new": a partial index stays a few rows however old the store
        # (ANALYZE's average of two states would make SQLite walk call_happened_at instead).
        (Call, (Call.happened_at, Call.id), "call_new", Call.state == NEW),
        (Call, (Call.caller_number, Call.happened_at), "call_caller_happened_at", None),  # contact name, thread
        # Covering the cap count: an hour's range of it, read without touching the table.
        (Message, (Message.sent_at, Message.status, Message.direction), "message_sent_at", None),
        (Message, (Message.created_at,), "message_created_at", None),           # export, purge
        (Message, (Message.contact,), "message_unread", in_ & Message.read_at.is_null()),  # inbox
        (Message, (Message.received_at,), "message_inbound",                    # inbox --all, last received
         in_ & Message.received_at.is_null(False)),
        (OptOutEvent, (OptOutEvent.at,), "opt_out_event_at", None),             # stats, purge
    ):
        index = model.index(*fields, name=name)
        if where is not None:
            index = index.where(where)
        model.add_index(index)


@dataclass(frozen=True)
class Models:
    # The model classes are built per database at run time (peewee ships no types): Any.
    database: pw.Database
    Meta: Any
    Contact: Any
    Call: Any
    Message: Any
    InboundPart: Any
    OptOutEvent: Any
    WorkerStatus: Any
    SentPart: Any
    RejectedSms: Any
    Alert: Any
    Event: Any
    NotifyTarget: Any

    @property
    def all(self) -> list[Any]:
        return [self.Meta, self.Contact, self.Call, self.Message, self.InboundPart, self.OptOutEvent,
                self.WorkerStatus, self.SentPart, self.RejectedSms, self.Alert, self.Event, self.NotifyTarget]


def build_models(database: pw.Database) -> Models:
    class Base(pw.Model):
        class Meta:
            pass

    Base._meta.database = database

    class MetaValue(Base):
        key = pw.CharField(primary_key=True)
        value = pw.TextField()

        class Meta:
            table_name = "meta"

    class Contact(Base):
        number = pw.CharField(unique=True)          # E.164
        name = pw.TextField(default="")
        opted_out = pw.BooleanField(default=False)
        opted_out_at = UTCDateTimeField(null=True)
        blocked = pw.BooleanField(default=False)    # staff `textback block`
        # `textback done`: the conversation left the inbox without an answer (when, by whom;
        # store/conversations.py). `undone` clears it.
        done_at = UTCDateTimeField(null=True)
        done_by = pw.TextField(null=True)
        # "Wrong number": whoever has this number now is not the caller we wanted.
        wrong_number = pw.BooleanField(default=False, constraints=[_NO])
        # When the one opt-out confirmation was queued: never a second, however the
        # opt-out arrived (a keyword, a staff block, both); cleared by an opt-in.
        opt_out_confirmed_at = UTCDateTimeField(null=True)
        # A possible opt-out waits for a person (`textback block` or `textback done`):
        # until then no automated text goes to this number.
        awaiting_staff_at = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField(default=times.utcnow)
        updated_at = UTCDateTimeField(default=times.utcnow)

        class Meta:
            table_name = "contact"

    class Call(Base):
        # Every field of store.facts.CallFact, same names (the lean write path
        # in store.fast_record builds its INSERT from CALL_FACT_FIELDS).
        uniqueid = pw.CharField(unique=True)
        linkedid = pw.TextField(default="")
        caller_raw = pw.TextField(default="")
        caller_name = pw.TextField(default="")
        caller_presentation = pw.TextField(default="")
        business_line = pw.TextField(default="")
        disposition = pw.TextField(default="")
        queue_status = pw.TextField(default="")
        reason = pw.TextField(default="")
        direction = pw.TextField(default="in")
        happened_at = UTCDateTimeField()
        source = pw.TextField(default="agi")
        note = pw.TextField(default="")
        ring_seconds = pw.IntegerField(null=True)     # schema v10; None: the dialplan did not say
        # Set when the worker plans the call.
        caller_number = pw.CharField(null=True, index=True)
        region = pw.CharField(null=True)
        contact = pw.ForeignKeyField(Contact, null=True, backref="calls", on_delete="SET NULL")
        state = pw.CharField(default="new", index=True)
        skip_reason = pw.TextField(null=True)
        recorded_at = UTCDateTimeField()
        planned_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "call"

    class Message(Base):
        contact = pw.ForeignKeyField(Contact, backref="messages")
        call = pw.ForeignKeyField(Call, null=True, backref="messages", on_delete="SET NULL")
        # The other party: recipient when out, sender when in. A forward goes to
        # a staff number but belongs to the customer's thread (contact).
        number = pw.CharField(index=True)
        direction = pw.CharField()                  # out | in
        kind = pw.CharField()
        step = pw.IntegerField(default=0)
        body = pw.TextField()
        status = pw.CharField()
        due_at = UTCDateTimeField(null=True)
        attempts = pw.IntegerField(default=0)
        lease_owner = pw.CharField(null=True)
        lease_expires_at = UTCDateTimeField(null=True)
        modem_reference = pw.IntegerField(null=True)
        error = pw.TextField(null=True)
        cancel_reason = pw.TextField(null=True)
        created_at = UTCDateTimeField(default=times.utcnow)
        sent_at = UTCDateTimeField(null=True)
        delivered_at = UTCDateTimeField(null=True)
        read_at = UTCDateTimeField(null=True)
        received_at = UTCDateTimeField(null=True)
        # Recording the same inbound SMS twice (the SIM copy read again after a
        # crash, before its delete) must be a no-op.
        inbound_key = pw.CharField(null=True, unique=True)
        parts = pw.IntegerField(default=1)
        # Who wrote an outbound staff text: the login name at the terminal, or the
        # staff phone's number (E.164) for an answer texted to the modem.
        sent_by = pw.TextField(null=True)
        flag = pw.CharField(null=True)              # inbound: opt_out | possible_opt_out (IN_FLAGS)
        # Several modems (schema v11): out, the modem it must leave from (None: any) and,
        # once sent, the one it left from; in, the modem whose SIM received it.
        modem = pw.CharField(null=True)

        class Meta:
            table_name = "message"
            indexes = ((("status", "due_at"), False),)   # the claim query

    class InboundPart(Base):
        sender = pw.CharField()
        reference = pw.IntegerField()
        total = pw.IntegerField()
        seq = pw.IntegerField()
        body = pw.TextField()
        smsc_timestamp = UTCDateTimeField(null=True)
        received_at = UTCDateTimeField(default=times.utcnow)

        class Meta:
            table_name = "inbound_part"
            indexes = ((("sender", "reference", "total", "seq"), True),)

    class SentPart(Base):
        # One row per SMS a text went out in (schema v4): a long text is several SMS,
        # each with its own message reference (TP-MR) and its own status report. The
        # text is delivered when every part is, failed when any part fails; a text cut
        # off by a modem error resumes from its first part without a row here.
        message = pw.ForeignKeyField(Message, backref="sent_parts", on_delete="CASCADE")
        seq = pw.IntegerField()                     # 1-based, in the order sent
        reference = pw.IntegerField()               # TP-MR from +CMGS; wraps at 256
        number = pw.CharField()                     # the recipient, as a report names it
        sent_at = UTCDateTimeField()
        status = pw.CharField(default="sent")       # sent | delivered | failed
        report_status = pw.IntegerField(null=True)  # TP-ST of its final report
        reported_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "sent_part"
            indexes = ((("message", "seq"), True),
                       (("reference", "number", "sent_at"), False))   # a report's match

    class RejectedSms(Base):
        # What the worker cleared off the modem without filing it as a text (schema v7):
        # drafts and copies of sent texts (27.005 stat 2/3) and received PDUs nobody can
        # read, recorded with the reason before the modem's copy is deleted, so a full
        # receive memory is freed and nothing leaves without a trace.
        memory = pw.CharField()
        slot = pw.IntegerField()
        stat = pw.IntegerField(null=True)            # 27.005 <stat> as the modem listed it
        reason = pw.CharField()                      # draft | sent_copy | unreadable
        detail = pw.TextField(default="")            # the decoder's words, the draft's recipient...
        pdu = pw.TextField()
        found_at = UTCDateTimeField(index=True)      # retention purges by it
        key = pw.CharField(unique=True)              # the same copy seen on two sweeps: one row

        class Meta:
            table_name = "rejected_sms"

    class OptOutEvent(Base):
        contact = pw.ForeignKeyField(Contact, backref="opt_out_events")
        number = pw.CharField()
        action = pw.CharField()                     # opt_out | opt_in | block | unblock | settle
        keyword = pw.TextField(default="")
        message = pw.ForeignKeyField(Message, null=True, on_delete="SET NULL")
        source = pw.CharField(default="sms")        # sms | cli
        # The evidence (kept here, not only through `message`, so it outlives the message):
        # the rule that matched (keyword | phrase | wrong_number | staff), the words it
        # matched, the whole text as received, and whether it said "wrong number".
        rule = pw.CharField(default="", constraints=[_EMPTY])
        matched = pw.TextField(default="", constraints=[_EMPTY])
        text = pw.TextField(default="", constraints=[_EMPTY])
        wrong_number = pw.BooleanField(default=False, constraints=[_NO])
        at = UTCDateTimeField(default=times.utcnow)

        class Meta:
            table_name = "opt_out_event"

    class WorkerStatus(Base):
        # One row per worker (id 1 for the one [modem]; schema v11 names the others by
        # their modem, `modem_name`): the worker's heartbeat, rewritten every few seconds, so
        # `textback status` and `doctor` can tell a live worker from a dead one
        # without signals or pid files (the CLI may run on another box or user).
        pid = pw.IntegerField(null=True)
        host = pw.TextField(default="")
        started_at = UTCDateTimeField(null=True)
        beat_at = UTCDateTimeField(null=True)
        modem_port = pw.TextField(default="")
        modem_alive = pw.BooleanField(null=True)
        signal_dbm = pw.IntegerField(null=True)
        operator = pw.TextField(null=True)
        registration = pw.TextField(null=True)     # home, roaming, searching, denied, not registered, unknown
        sim_used = pw.IntegerField(null=True)       # receive memory fill (the memory new SMS go to)
        sim_total = pw.IntegerField(null=True)
        receive_memory = pw.TextField(null=True)    # its name (ME, SM...), schema v7
        last_error = pw.TextField(null=True)
        last_error_at = UTCDateTimeField(null=True)
        last_sent_at = UTCDateTimeField(null=True)
        last_received_at = UTCDateTimeField(null=True)
        alerts = pw.TextField(default="[]")         # JSON list of short sentences (abuse guard, SIM full...)
        # A clean stop says so at once (status need not wait for the beat to age), and
        # the beat's own interval says how old a beat may be before the worker is dead.
        stopped_at = UTCDateTimeField(null=True)
        beat_seconds = pw.FloatField(null=True)
        modem_name = pw.TextField(default="")      # schema v11: "" for the one [modem]
        # Schema v12: which modem and set-up (e.g. "Quectel EG25, set-up ec25 (detected)"), and
        # what cannot work with it (JSON list: registered on 2G only, SMS over LTE...), for doctor.
        modem_model = pw.TextField(null=True)
        modem_flags = pw.TextField(default="[]")

        class Meta:
            table_name = "worker_status"

    class Alert(Base):
        # Something a person must act on (store/alerts.py): one row per kind of trouble,
        # raised and cleared by the worker, shown by status/doctor, texted to staff.
        key = pw.CharField(unique=True)             # hourly_cap, disk_full, modem_gone, ...
        text = pw.TextField()                       # the sentence staff read (what and what to do)
        active = pw.BooleanField(default=True)
        raised_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        cleared_at = UTCDateTimeField(null=True)
        texted_at = UTCDateTimeField(null=True)     # last time staff phones were told

        class Meta:
            table_name = "alert"

    class Event(Base):
        # The outbox (schema v8, store/events.py): one row per change the shop's other systems
        # may want (a call missed, a text sent or delivered, a reply...), written in the same
        # transaction as the change, so a crash never keeps the one without the other. The id
        # orders them; `uid` is what a receiver deduplicates on (at-least-once delivery).
        uid = pw.CharField()                        # uuid4 hex: unique without an index to keep up
        type = pw.CharField()
        at = UTCDateTimeField(index=True)           # when the change happened; retention purges by it
        data = pw.TextField()                       # JSON object, see docs/events.md

        class Meta:
            table_name = "event"

    class NotifyTarget(Base):
        # Per [[notify]] target: how far its delivery got (schema v8, modem/worker/notify.py).
        name = pw.CharField(unique=True)
        cursor = pw.IntegerField(default=0)         # the last event id delivered (or given up on)
        failures = pw.IntegerField(default=0)       # tries failed in a row
        last_error = pw.TextField(null=True)
        failing_since = UTCDateTimeField(null=True)
        next_try_at = UTCDateTimeField(null=True)
        last_ok_at = UTCDateTimeField(null=True)
        delivered = pw.IntegerField(default=0)
        dropped = pw.IntegerField(default=0)        # given up on after retry_for
        created_at = UTCDateTimeField()

        class Meta:
            table_name = "notify_target"

    _add_history_indexes(Call, Message, OptOutEvent)
    return Models(database=database, Meta=MetaValue, Contact=Contact, Call=Call, Message=Message,
                  InboundPart=InboundPart, OptOutEvent=OptOutEvent, WorkerStatus=WorkerStatus,
                  SentPart=SentPart, RejectedSms=RejectedSms, Alert=Alert, Event=Event,
                  NotifyTarget=NotifyTarget)
