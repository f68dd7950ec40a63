"""Parity of the twin with AWS: record a deployment's answers to a fixed set of harmless probes, check
the twin against a recording, and diff two recordings (`python -m twin.parity --help`, README.md here)."""
