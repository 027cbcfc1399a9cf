"""Multirun bookkeeping: per-sweep summary tables written when a multirun ends."""
