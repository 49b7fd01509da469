"""One entry point for every command: idempotency, one unit of work, bounded retries.

The bus, not the handler, owns the whole prologue and epilogue (a new command cannot forget
idempotency, because it never writes it):

1. open a unit of work and check the tenant exists (cached once known: tenants are never
   removed);
2. claim the command's idempotency key and its business keys (``Command.BUSINESS_KEYS``: the
   charge, payment, refund, dispute... it creates). A key already used with the same payload
   replays the stored receipt; with another payload it is an ``IdempotencyConflict``;
3. run the handler (load, call the domain, add to the repositories);
4. store one receipt under every claimed key and commit.

Transient storage conflicts (``Retry``) run the whole command again in a fresh unit of work,
at most ``max_attempts`` times (a limit on everything).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from refundable.core.errors import Conflict, IdempotencyConflict, InvariantBroken, NotFound
from refundable.core.time import Clock
from refundable.ledger.decisions import DecisionRecord
from refundable.service import (
    case_disputes,
    case_steps,
    checkpoint_job,
    discontinuation,
    retention,
    scheduled,
    usage_billing,
)
from refundable.service import case_handlers as cases
from refundable.service import charge_handlers as charges
from refundable.service import commands as c
from refundable.service import credit_handlers as credits
from refundable.service import money_handlers as money
from refundable.service import payout_handlers as payouts
from refundable.service import subscription_handlers as subs
from refundable.service import tenant_handlers as tenants
from refundable.service.catalog import PolicyCatalog
from refundable.service.common import Context, Done, Receipt, payload_hash
from refundable.service.decisions import DecisionKind, DecisionSeen
from refundable.service.ports import Receipts, Repositories, Retry, StepUndoFailed, UnitOfWork

Handler = Callable[[Any, Context], Done]
_LOG = logging.getLogger("refundable.bus")

HANDLERS: dict[type, Handler] = {
    c.PublishPolicy: tenants.publish_policy,
    c.RegisterCustomer: money.register_customer,
    c.RecordCharge: money.record_charge,
    c.RecordPayment: money.record_payment,
    c.TopUpWallet: money.top_up_wallet,
    c.TransferWallet: money.transfer_wallet,
    c.DecideRefund: money.decide_refund,
    c.PayRefund: money.pay_refund,
    c.GrantAccountCredit: money.grant_account_credit,
    c.ChargeFee: money.charge_fee,
    c.RecordChargeback: money.record_chargeback,
    c.ReleaseHold: money.release_hold,
    c.ReverseEntry: money.reverse_entry,
    c.BuyCreditLot: credits.buy_credit_lot,
    c.ConsumeCredits: credits.consume_credits,
    c.IngestUsage: credits.ingest_usage,
    c.FailUsage: credits.fail_usage,
    c.ExpireLots: credits.expire_lots,
    c.ForfeitCredits: credits.forfeit_credits,
    c.RunDueAction: scheduled.run_due_action,
    c.RunDueBatch: scheduled.run_due_batch,
    c.RecordActionFailure: scheduled.record_action_failure,
    c.CreateTestClock: scheduled.create_test_clock,
    c.MoveTestClock: scheduled.move_test_clock,
    c.RecordCustomerProfile: retention.record_customer_profile,
    c.ScheduleRetention: retention.schedule_retention_cmd,
    c.WithdrawRetention: retention.withdraw_retention_cmd,
    c.ErasePersonalData: retention.erase_personal_data,
    c.ScheduleCheckpoints: checkpoint_job.schedule_checkpoints,
    c.BillOverage: usage_billing.bill_overage,
    c.DisputeUsageCharge: usage_billing.dispute_usage_charge,
    c.OpenCase: cases.open_case,
    c.ProvideInformation: cases.provide_information,
    c.JudgeCase: cases.judge_case,
    c.OverrideDecision: case_steps.override_decision,
    c.WithdrawCase: case_steps.withdraw_case,
    c.AppealCase: case_steps.appeal_case,
    c.EscalateCase: case_steps.escalate_case,
    c.UpholdDecision: case_steps.uphold_decision,
    c.AcceptSettlement: case_steps.accept_settlement,
    c.RecordCasePaid: case_steps.record_case_paid,
    c.ResolveDispute: case_disputes.resolve_dispute,
    c.DefinePlan: subs.define_plan,
    c.StartTrial: subs.start_trial,
    c.Subscribe: subs.subscribe,
    c.UpgradePlan: subs.upgrade_plan,
    c.DowngradePlan: subs.downgrade_plan,
    c.WithdrawDowngrade: subs.withdraw_downgrade,
    c.CancelSubscription: subs.cancel_subscription,
    c.UndoCancellation: subs.undo_cancellation,
    c.TerminateSubscription: subs.terminate_subscription,
    c.SuspendSubscription: subs.suspend_subscription,
    c.ReactivateSubscription: subs.reactivate_subscription,
    c.RecordRenewalPayment: subs.record_renewal_payment,
    c.RecordPaymentFailure: subs.record_payment_failure,
    c.DiscontinueService: discontinuation.discontinue_service,
    c.DefinePromotion: subs.define_promotion,
    c.ApplyPromotion: subs.apply_promotion,
    c.AttachPaymentMethod: charges.attach_payment_method,
    c.RemovePaymentMethod: charges.remove_payment_method,
    c.RecordGatewayCharge: charges.record_gateway_charge,
    c.RequestPayout: payouts.request_payout,
    c.RecordGatewayRefund: payouts.record_gateway_refund,
    c.RedirectPayout: payouts.redirect_payout,
    c.RegisterWebhookEndpoint: payouts.register_webhook_endpoint,
    c.FanOutWebhook: payouts.fan_out_webhook,
}
# Commands that may name a tenant not registered yet (publishing its first policy creates it).
_OPENS_TENANT = (c.PublishPolicy,)


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        catalog: PolicyCatalog,
        clock: Clock,
        max_attempts: int = 30,
        read_uow_factory: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        # Units of work for reads that never commit: on SQLite a deferred transaction that
        # neither waits at the writer gate nor holds the write lock (ADR 0070 addendum).
        self.read_uow_factory = read_uow_factory or uow_factory
        self.catalog = catalog
        self.clock = clock
        self.max_attempts = max_attempts
        self._tenants: set[str] = set()
        # told of each decision a committed command recorded, whichever handler recorded it
        # and whoever sent the command (API, pages, CLI, scheduled work; ADR 0084)
        self.decision_watchers: list[DecisionSeen] = []

    def handle(self, command: c.Command) -> Receipt:
        handler = HANDLERS[type(command)]
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._once(command, handler)
            except Retry as err:
                if attempt == self.max_attempts:
                    raise Conflict(
                        f"{type(command).__name__} kept colliding with concurrent work",
                        allowed=f"retry later; gave up after {attempt} attempts",
                    ) from err
                time.sleep(random.uniform(0, 0.002 * attempt))
        raise AssertionError("unreachable")

    def _once(self, cmd: Any, handler: Handler) -> Receipt:
        digest = _digest(cmd)
        with self.uow_factory() as uow:
            receipt = self._within(uow, cmd, handler, digest)
            uow.commit()
        self._tell(uow.decided)
        return receipt

    def _tell(self, decided: Sequence[DecisionRecord]) -> None:
        """The decisions a committed transaction recorded, to the watchers: after the commit,
        so a command run again, undone or replayed from its receipt tells nothing twice."""
        if not decided or not self.decision_watchers:
            return
        try:
            for record in decided:
                for watcher in self.decision_watchers:
                    watcher(DecisionKind.recorded, record.outcome, record.remedy)
        except Exception:  # the command is done: a broken watcher must not say otherwise
            _LOG.exception("a decision watcher failed")

    def _within(
        self, uow: UnitOfWork, cmd: Any, handler: Handler, digest: str,
        rehearsed: Rehearsed | None = None,
    ) -> Receipt:  # fmt: skip
        """The command inside an open unit of work, up to (not including) the commit; with
        a rehearsal, its recorded writes when its reads still hold, else the handler."""
        name = type(cmd).__name__
        key: str = getattr(cmd, "idempotency_key", "")
        repos = uow.repositories(cmd.tenant_id)
        self._require_tenant(repos, cmd)
        if key:
            keys = [key] + [f"#{kind}:{value}" for kind, value in cmd.business_keys()]
            prior = claim_all(repos.receipts, cmd, keys, digest)
            if prior is not None:
                return prior
        done = _replayed(uow, rehearsed) if rehearsed is not None else None
        if done is not None and rehearsed is not None:
            uow.decided.extend(rehearsed.decided)  # what the handler recorded, rehearsing
        if done is None:
            done = handler(cmd, Context(repos, self.catalog, key, self.clock.now()))
        receipt = Receipt(name, key, done.entry_ids, done.ref, dict(done.details),
                          value=done.value)  # fmt: skip
        if key:
            repos.receipts.remember(keys, receipt.to_json())
        return receipt

    def rehearse(self, commands: Sequence[c.Command]) -> list[Rehearsed | None]:
        """Each command run on one read snapshot with its writes recorded, not made (ADR
        0072), before the batch's write transaction: on SQLite that transaction holds the
        file's one write lock, and a replayed rehearsal holds it for the statements alone.
        A command that fails or does what cannot be recorded has None: it runs for real."""
        found: list[Rehearsed | None] = [None] * len(commands)
        try:
            with self.read_uow_factory() as view:
                for i, cmd in enumerate(commands):
                    found[i] = self._rehearse_one(view, cmd)
        except Exception:  # the store does not rehearse (_NoRecording: PostgreSQL, memory), or
            pass  # the snapshot itself failed: nothing more is rehearsed, the rest runs for real
        return found

    def _rehearse_one(self, view: UnitOfWork, cmd: Any) -> Rehearsed | None:
        handler = HANDLERS[type(cmd)]
        key: str = getattr(cmd, "idempotency_key", "")
        decided = len(view.decided)
        try:
            with view.recording() as rec:
                if rec is None:
                    raise _NoRecording
                done = handler(cmd, Context(view.repositories(cmd.tenant_id), self.catalog,
                                            key, self.clock.now()))  # fmt: skip
        except _NoRecording:
            raise
        except Exception:  # refused, or not recordable: the real run will say
            return None
        return Rehearsed(done, rec, tuple(view.decided[decided:]))

    def handle_batch(self, commands: Sequence[c.Command]) -> list[Receipt | Exception]:
        """Group commit (ADR 0072): the commands in one unit of work, each in its own step,
        then one commit. Each result is what ``handle`` would have given: a receipt or the
        error the command raised (its step undone, the others kept). A command that met a
        transient conflict runs again alone after the commit; if the batch cannot begin or
        commit, nothing of it was kept and every command runs again alone."""
        results: list[Receipt | Exception | None] = [None] * len(commands)
        again: list[int] = []
        digests = [_digest(cmd) for cmd in commands]
        rehearsed = self.rehearse(commands)
        committed: Sequence[DecisionRecord] = ()
        try:
            with self.uow_factory() as uow:
                for i, cmd in enumerate(commands):
                    try:
                        with uow.step():
                            results[i] = self._within(
                                uow, cmd, HANDLERS[type(cmd)], digests[i], rehearsed[i]
                            )
                    except Retry:
                        again.append(i)
                    except StepUndoFailed:
                        raise
                    except Exception as err:  # the command's own outcome, as handle() gives it
                        results[i] = err
                uow.commit()
                committed = uow.decided
        except Exception:  # begin, a savepoint or the commit failed: nothing of it was kept
            again = list(range(len(commands)))
        self._tell(committed)
        for i in again:
            results[i] = self.handle_or_error(commands[i])
        return [r if r is not None else InvariantBroken("a command of a batch gave nothing")
                for r in results]  # fmt: skip

    def handle_or_error(self, command: c.Command) -> Receipt | Exception:
        """``handle``, with the error it raises returned instead."""
        try:
            return self.handle(command)
        except Exception as err:
            return err

    def _require_tenant(self, repos: Repositories, cmd: Any) -> None:
        tenant_id = repos.tenant_id
        if tenant_id in self._tenants or isinstance(cmd, _OPENS_TENANT):
            return
        if repos.tenants.get(tenant_id) is None:
            raise NotFound(
                f"no tenant {tenant_id!r}",
                where=f"{type(cmd).__name__}.tenant_id",
                allowed="a tenant registered by publishing its policy (PublishPolicy)",
            )
        self._tenants.add(tenant_id)


def _digest(cmd: Any) -> str:
    """The payload hash a keyed command is claimed with. Pure, so computed before the unit of
    work: on SQLite the transaction holds the store's one write lock."""
    return payload_hash(cmd) if getattr(cmd, "idempotency_key", "") else ""


class _NoRecording(Exception):
    """The store's units of work record no rehearsals."""


@dataclass(frozen=True, slots=True)
class Rehearsed:
    """A command's outcome on a read snapshot and the recording of what it read and wrote."""

    done: Done
    recording: object
    decided: tuple[DecisionRecord, ...] = ()  # the decisions it recorded, told on commit


def _replayed(uow: UnitOfWork, rehearsed: Rehearsed) -> Done | None:
    """The rehearsal's outcome, its writes made, when every read it made gives the same rows
    in this transaction (the handler, deterministic in what it reads, would do the very same
    writes); else None, with whatever the replay wrote undone."""
    try:
        with uow.step("replay_step"):
            uow.replay(rehearsed.recording)
    except StepUndoFailed:
        raise
    except Exception:  # stale reads, or a write the store refused: run the handler instead
        return None
    return rehearsed.done


def claim_all(receipts: Receipts, cmd: Any, keys: list[str], digest: str) -> Receipt | None:
    """Claim every key in one go. A key already used with another payload is refused; when
    every used key holds this payload, its receipt is replayed (and stored under the keys just
    claimed too); when none was used, None: the command runs."""
    name = type(cmd).__name__
    taken = receipts.claim(keys, name, digest)
    if not taken:
        return None
    for key in keys:
        claim = taken.get(key)
        if claim is not None and (claim.command != name or claim.payload_hash != digest):
            raise _conflict(cmd, key, claim.command)
    first = next(taken[k] for k in keys if k in taken)
    if first.result is None:
        raise Retry("key claimed by a transaction still in flight")
    fresh = [k for k in keys if k not in taken]
    if fresh:
        receipts.remember(fresh, first.result)
    return Receipt.from_json(first.result)


def _conflict(cmd: Any, key: str, used_by: str) -> IdempotencyConflict:
    name = type(cmd).__name__
    if not key.startswith("#"):
        return IdempotencyConflict(
            f"idempotency key {key!r} was used for a different {used_by}",
            where=f"{name}.idempotency_key",
            allowed="the same payload to retry, or a new key for a new operation",
        )
    kind, _, value = key[1:].partition(":")
    field = dict(cmd.BUSINESS_KEYS)[kind]
    return IdempotencyConflict(
        f"{kind} {value!r} was already recorded (by {used_by}) with other content",
        where=f"{name}.{field}",
        allowed=f"the same content to retry, or a new {field}",
    )


LedgerBus = MessageBus
