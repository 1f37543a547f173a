# Developer shortcuts; every recipe is a cargo command (see README.md).

# Start the server (desktop mode, SQLite, sample project).
run:
    cargo run --release

# The whole test suite.
test:
    cargo test --workspace

# Everything CI checks.
ci:
    cargo xtask ci

# Fuzz the release server from its own /openapi.json (pip install schemathesis).
fuzz:
    cargo xtask fuzz

# Check that domain crates stay free of frameworks and vendor SDKs.
layering:
    cargo xtask layering
