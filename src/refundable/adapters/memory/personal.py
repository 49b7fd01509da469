"""Personal data, retention schedules and erasures, in memory (the service tests' store)."""

from __future__ import annotations

from refundable.privacy.model import CustomerProfile, Erasure, RetentionSchedule

from .repositories import _insert, _Repo


class MemPersonal(_Repo):
    def profile(self, customer_id: str) -> CustomerProfile | None:
        return self.t.profiles.get(self.k(customer_id))

    def save_profile(self, profile: CustomerProfile) -> None:
        self.t.profiles[self.k(profile.customer_id)] = profile

    def lock_schedule(self, customer_id: str) -> RetentionSchedule | None:
        return self.t.retention.get(self.k(customer_id))

    def save_schedule(self, schedule: RetentionSchedule) -> None:
        self.t.retention[self.k(schedule.customer_id)] = schedule

    def add_erasure(self, erasure: Erasure) -> None:
        key = (self.tenant_id, erasure.customer_id, erasure.erased_at)
        _insert(self.t.erasures, key, erasure, "erasure")

    def erasures(self, customer_id: str) -> list[Erasure]:
        mine = [e for (t, c, _), e in self.t.erasures.items() if (t, c) == self.k(customer_id)]
        return sorted(mine, key=lambda e: e.erased_at)
