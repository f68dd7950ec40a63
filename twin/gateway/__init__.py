"""HTTP API data plane of the twin: serves every HTTP API of the control plane (see app.py and README.md)."""
