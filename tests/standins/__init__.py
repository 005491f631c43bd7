"""Stand-in servers for the platforms pairbot talks to, on 127.0.0.1, started by the tests."""
