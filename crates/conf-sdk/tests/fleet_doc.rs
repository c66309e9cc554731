//! docs/fleet.md shows `examples/fleet.rs` (compiled with `--features redis`) verbatim.

const DOC: &str = include_str!("../../../docs/fleet.md");
const EXAMPLE: &str = include_str!("../examples/fleet.rs");

#[test]
fn the_fleet_document_shows_the_example_program() {
    assert!(DOC.contains(&format!("```rust\n{EXAMPLE}```\n")), "docs/fleet.md must show crates/conf-sdk/examples/fleet.rs verbatim");
}
