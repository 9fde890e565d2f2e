"""Sans-IO protocol layer: wire messages, codec and session core (no I/O, no clock)."""
