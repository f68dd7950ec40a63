"""Helpers for the real-browser CORS check: a local origin server and a Chromium launched through playwright."""
