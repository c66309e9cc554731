//! Shared by `benches/decode_memory.rs` and `tests/decode_memory.rs`: a counting global
//! allocator, a realistic large reply (a moyun-style terminal list) and the measurement.

#![allow(dead_code, missing_docs, clippy::cast_precision_loss)]
// A global allocator is an `unsafe impl`: only this measurement needs one.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use conf_core::RequestInfo;
use serde::Deserialize;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live bytes and their peak.
pub struct Counting;

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as `System::alloc`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as `System::dealloc`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as `System::realloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Peak bytes allocated above the level at the start while `f` runs.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// One terminal of a large list, decoded the way generated types decode (lenient scalars,
/// structured values through `codegen::opt_any`).
#[derive(Deserialize)]
pub struct Mt {
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub mt_id: String,
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub name: String,
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub e164: String,
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub online: bool,
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub bitrate: u32,
    #[serde(default, deserialize_with = "conf_core::codegen::opt_any")]
    pub video: Option<Video>,
}

/// A nested object.
#[derive(Deserialize)]
pub struct Video {
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub format: String,
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub resolution: u32,
}

/// The reply's envelope.
#[derive(Deserialize)]
pub struct Reply {
    #[serde(deserialize_with = "conf_core::codegen::req")]
    pub success: bool,
    #[serde(deserialize_with = "conf_core::codegen::opt_any")]
    pub mts: Option<Vec<Mt>>,
}

/// A reply of about `size` bytes.
pub fn reply(size: usize) -> Vec<u8> {
    let mut out = String::with_capacity(size + 512);
    out.push_str(r#"{"success":1,"mts":["#);
    let mut i = 0u64;
    while out.len() < size {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"mt_id":"{i}","name":"会议室终端 {i} Meeting Room","e164":"0512{i:08}","online":"1","bitrate":"2048","video":{{"format":"H.264","resolution":"12"}}}}"#
        ));
        i += 1;
    }
    out.push_str("]}");
    out.into_bytes()
}

/// Peaks of one body: typed decoding, and (for comparison) parsing into a `serde_json::Value`.
pub struct Measured {
    pub body: usize,
    pub items: usize,
    pub typed_peak: usize,
    pub value_peak: usize,
    pub fields_peak: usize,
}

impl Measured {
    pub fn typed_multiple(&self) -> f64 {
        self.typed_peak as f64 / self.body as f64
    }
    pub fn value_multiple(&self) -> f64 {
        self.value_peak as f64 / self.body as f64
    }
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reply of {:.1} MB ({} items): typed decode peaks at {:.1} MB above the body ({:.2}x); a serde_json::Value would take {:.1} MB ({:.2}x); an envelope check with top_level_fields {:.3} MB",
            self.body as f64 / 1e6,
            self.items,
            self.typed_peak as f64 / 1e6,
            self.typed_multiple(),
            self.value_peak as f64 / 1e6,
            self.value_multiple(),
            self.fields_peak as f64 / 1e6
        )
    }
}

pub fn measure(body: &[u8]) -> Measured {
    let info = RequestInfo::none("bench", "decode");
    let (reply, typed_peak) = peak_during(|| conf_core::envelope::decode_json::<Reply>(&info, body, false).unwrap());
    let items = reply.mts.as_ref().map_or(0, Vec::len);
    assert!(reply.success && items > 0);
    drop(reply);
    let (value, value_peak) = peak_during(|| serde_json::from_slice::<serde_json::Value>(body).unwrap());
    drop(value);
    let (fields, fields_peak) = peak_during(|| conf_core::envelope::top_level_fields(body, &["success", "error_code"]).unwrap());
    assert_eq!(fields["success"], 1);
    Measured { body: body.len(), items, typed_peak, value_peak, fields_peak }
}
