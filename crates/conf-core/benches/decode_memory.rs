//! Peak memory of decoding the biggest realistic reply (60 MB, under the 64 MiB body
//! cap), as a multiple of the body size: `cargo bench -p conf-core --bench decode_memory`.

#[path = "decode_memory_support.rs"]
mod support;

#[global_allocator]
static ALLOC: support::Counting = support::Counting;

fn main() {
    for mb in [6usize, 60] {
        let body = support::reply(mb * 1_000_000);
        let m = support::measure(&body);
        println!("{m}");
        println!("RESULT decode_{mb}mb_typed_peak_multiple {:.2} x", m.typed_multiple());
        println!("RESULT decode_{mb}mb_value_peak_multiple {:.2} x", m.value_multiple());
    }
}
