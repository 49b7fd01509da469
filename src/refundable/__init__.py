"""Refundable: runs a business's refund, cancellation and credit policy."""

__version__ = "0.1.0"
