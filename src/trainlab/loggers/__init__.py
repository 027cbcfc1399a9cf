"""Loggers that differ from Lightning's where a resumed run would otherwise lose what it logged."""
