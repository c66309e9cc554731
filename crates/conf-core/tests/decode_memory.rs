//! Peak memory while decoding a large reply, measured with a counting global allocator
//! (allocation counters, not wall clock): decoding goes from the bytes straight into the
//! typed value, so the peak stays a small multiple of the body. `cargo bench -p conf-core
//! --bench decode_memory` prints the same figures for a 60 MB reply.

#[path = "../benches/decode_memory_support.rs"]
mod support;

#[global_allocator]
static ALLOC: support::Counting = support::Counting;

#[test]
fn typed_decoding_peaks_at_a_small_multiple_of_the_body() {
    let body = support::reply(8 * 1024 * 1024);
    let m = support::measure(&body);
    println!("{m}");
    // Typed: the value itself (about the size of the body: mostly its strings) plus
    // serde's buffers. Through a `serde_json::Value` it would be several times that.
    assert!(m.typed_multiple() < 2.0, "{m}");
    assert!(m.value_multiple() > m.typed_multiple(), "{m}");
    // An envelope check reading only its fields allocates next to nothing.
    assert!(m.fields_peak < 64 * 1024, "{m}");
}
