"""Tenants: the businesses that use Refundable, and the versions of their published policy.

Each tenant runs its own ledger under its own policy. A policy version is published once and
never changed (a new version is a new record); which version governs a moment is answered by
the service's ``PolicyCatalog`` from these records.
"""
