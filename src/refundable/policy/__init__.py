"""Refundable."""
