"""Hydra launcher ``stacked``: trains the jobs of a sweep that can share a model as one stacked model.

A thin adapter: the grouping and the training live in :mod:`trainlab.stacked`.
"""
