//! SSE decoding speed: events per second parsing a recorded vmr event stream from memory,
//! with this crate's parser and with the `eventsource-stream` crate, on the same bytes and
//! the same chunking, in the same run. Prints `RESULT <name> <value> <unit>` lines.
//!
//! `cargo bench -p vmr-rest --bench sse_decode` (env `SSE_BENCH_MB`, default 16).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use vmr_rest::Event;
use vmr_rest::events::sse::SseParser;

fn participant(i: usize, muted: &str) -> String {
    format!(
        r#"{{"api_url": "/participants/{i:08x}-9a63-4711-8630-3810f8666b04", "call_direction": "in", "display_name": "Participant {i}", "encryption": "On", "has_media": true, "is_audio_only_call": "NO", "is_external": false, "is_muted": "{muted}", "is_presenting": "NO", "is_streaming_conference": false, "is_video_call": "YES", "local_alias": "meet@vmr.example", "overlay_text": "P{i}", "presentation_supported": "YES", "protocol": "sip", "role": "guest", "rx_presentation_policy": "ALLOW", "service_type": "conference", "spotlight": 0, "start_time": 1441720992, "uri": "sip:p{i}@example.com", "uuid": "{i:08x}-9a63-4711-8630-3810f8666b04", "vendor": "Terminal/1.0"}}"#
    )
}

/// One recorded connection: keep-alive, sync bracket of 40, then live traffic; CRLF and LF mixed.
fn recording() -> Vec<u8> {
    let mut s = String::new();
    s.push_str(": keepalive\r\n\r\n");
    s.push_str("event: participant_sync_begin\r\ndata: null\r\n\r\n");
    for i in 0..40 {
        s.push_str(&format!("event: participant_create\r\ndata: {}\r\n\r\n", participant(i, "NO")));
    }
    s.push_str("event: participant_sync_end\r\ndata: null\r\n\r\n");
    for i in 0..40 {
        s.push_str(&format!("event: participant_update\ndata: {}\n\n", participant(i, "YES")));
        s.push_str(&format!(
            "event: stage\ndata: [{{\"stage_index\": 0, \"participant_uuid\": \"{i:08x}\", \"vad\": 100}},\ndata: {{\"stage_index\": 1, \"participant_uuid\": \"x\", \"vad\": 0}}]\n\n"
        ));
        s.push_str("event: layout\ndata: {\"view\": \"1:7\", \"participants\": [\"a0196175-b462-48a1-b95c-f322c3af57c1\"]}\n\n");
        s.push_str(": keepalive\n\n");
        s.push_str("event: message\r\ndata: {\"origin\": \"Alice\", \"type\": \"text/plain\", \"payload\": \"你好 Hello World\", \"uuid\": \"eca55900\"}\r\n\r\n");
    }
    s.push_str("event: presentation_stop\ndata: null\n\n");
    s.into_bytes()
}

fn chunks(bytes: &[u8], size: usize) -> Vec<bytes::Bytes> {
    bytes.chunks(size).map(bytes::Bytes::copy_from_slice).collect()
}

fn ours(chunks: &[bytes::Bytes]) -> (u64, usize) {
    let mut p = SseParser::new();
    let mut n = 0u64;
    let mut check = 0usize;
    for c in chunks {
        p.push(c);
        while let Some(e) = p.next_event() {
            n += 1;
            check += e.data.len() + e.event.len();
        }
    }
    (n, check)
}

fn ours_typed(chunks: &[bytes::Bytes]) -> u64 {
    let mut p = SseParser::new();
    let mut n = 0u64;
    for c in chunks {
        p.push(c);
        while let Some(e) = p.next_event() {
            if !matches!(Event::decode(&e.event, &e.data), Event::Unknown { .. }) {
                n += 1;
            }
        }
    }
    n
}

fn theirs(rt: &tokio::runtime::Runtime, chunks: &[bytes::Bytes]) -> (u64, usize) {
    rt.block_on(async {
        let stream = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>)).eventsource();
        futures_util::pin_mut!(stream);
        let mut n = 0u64;
        let mut check = 0usize;
        while let Some(e) = stream.next().await {
            let e = e.expect("recorded stream is valid");
            n += 1;
            check += e.data.len() + e.event.len();
        }
        (n, check)
    })
}

fn best_of<F: FnMut() -> u64>(rounds: usize, mut f: F) -> (u64, Duration) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (n, best)
}

fn main() {
    let mb: usize = std::env::var("SSE_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let one = recording();
    let mut all = Vec::with_capacity(mb << 20);
    while all.len() < mb << 20 {
        all.extend_from_slice(&one);
    }
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    println!("SSE decode: {} MiB recorded vmr stream", all.len() >> 20);
    for size in [1024usize, 16 * 1024] {
        let cs = chunks(&all, size);
        let (a, ca) = ours(&cs);
        let (b, cb) = theirs(&rt, &cs);
        assert_eq!((a, ca), (b, cb), "both parsers must see the same events");
        let (n, t_ours) = best_of(5, || ours(&cs).0);
        let (_, t_theirs) = best_of(5, || theirs(&rt, &cs).0);
        let (typed, t_typed) = best_of(3, || ours_typed(&cs));
        let eps = |d: Duration| n as f64 / d.as_secs_f64();
        let tag = format!("{}k", size / 1024);
        println!("  chunks of {size} B: {n} events");
        println!("RESULT sse_ours_events_per_s_{tag} {:.0} events/s", eps(t_ours));
        println!("RESULT sse_eventsource_stream_events_per_s_{tag} {:.0} events/s", eps(t_theirs));
        println!("RESULT sse_ours_vs_eventsource_stream_{tag} {:.2} ratio", t_theirs.as_secs_f64() / t_ours.as_secs_f64());
        println!("RESULT sse_ours_typed_events_per_s_{tag} {:.0} events/s", typed as f64 / t_typed.as_secs_f64());
    }
}
