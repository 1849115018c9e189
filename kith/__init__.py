"""Kith: a privacy-first pod server for a decentralised social network."""

__version__ = "0.1.0"
