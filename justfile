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

# Check that domain crates stay free of frameworks and vendor SDKs.
layering:
    cargo xtask layering
