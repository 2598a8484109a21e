"""Sans-I/O unit tests: one class or decision at a time, no server process, no client."""
