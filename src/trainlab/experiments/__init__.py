"""Stand-alone chapter-6 experiments that are not training runs (A: optimizer paths, C: activations, E: BN check)."""
