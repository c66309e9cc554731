//! Media stand-ins: a WebRTC SDP answer mirroring the offer's media lines, and the
//! presentation frame (a valid 8×8 grey baseline JPEG).

/// An 8×8 mid-grey baseline JPEG (JFIF, one component, one DC-only block), 159 bytes.
pub const PRESENTATION_JPEG: &[u8] = &[
    0xFF, 0xD8, // SOI
    0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // APP0
    0xFF, 0xDB, 0x00, 0x43, 0x00, // DQT, table 0, all ones
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, //
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, //
    0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, // SOF0 8x8, 1 comp
    0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, // DHT DC0
    0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, // DHT AC0
    0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // SOS
    0x3F, // DC diff 0 ("0"), EOB ("0"), padding ones
    0xFF, 0xD9, // EOI
];

/// An SDP answer for a WebRTC offer: one `m=` line per offered media with its first
/// payload type, `recvonly`/`sendonly` mirrored, ICE and DTLS attributes of the emulator.
pub fn sdp_answer(offer: &str, call_uuid: &str) -> String {
    let mut out = String::new();
    out.push_str("v=0\r\n");
    let session_id: u64 = call_uuid.bytes().filter(u8::is_ascii_digit).take(12).fold(1, |a, b| a * 10 + u64::from(b - b'0'));
    out.push_str(&format!("o=conf-sandbox {session_id} 1 IN IP4 127.0.0.1\r\n"));
    out.push_str("s=conf-sandbox vmr\r\nt=0 0\r\n");
    let mut media_count = 0;
    let mut direction: Option<&str> = None;
    let mut pending: Option<(String, String)> = None;
    let flush = |out: &mut String, m: Option<(String, String)>, dir: Option<&str>| {
        if let Some((kind, pt)) = m {
            out.push_str(&format!("m={kind} 9 UDP/TLS/RTP/SAVPF {pt}\r\nc=IN IP4 127.0.0.1\r\n"));
            out.push_str("a=ice-ufrag:sbox\r\na=ice-pwd:conf-sandbox-ice-password\r\n");
            out.push_str(
                "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n",
            );
            out.push_str("a=setup:passive\r\na=rtcp-mux\r\n");
            let answer_dir = match dir {
                Some("sendonly") => "recvonly",
                Some("recvonly") => "sendonly",
                Some("inactive") => "inactive",
                _ => "sendrecv",
            };
            out.push_str(&format!("a={answer_dir}\r\n"));
        }
    };
    for line in offer.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            flush(&mut out, pending.take(), direction.take());
            let mut parts = m.split_whitespace();
            let kind = parts.next().unwrap_or("audio").to_owned();
            let pt = parts.nth(2).unwrap_or("0").to_owned();
            pending = Some((kind, pt));
            media_count += 1;
        } else if let Some(a) = line.strip_prefix("a=") {
            if matches!(a, "sendonly" | "recvonly" | "sendrecv" | "inactive") {
                direction = Some(match a {
                    "sendonly" => "sendonly",
                    "recvonly" => "recvonly",
                    "inactive" => "inactive",
                    _ => "sendrecv",
                });
            }
        }
    }
    flush(&mut out, pending.take(), direction.take());
    if media_count == 0 {
        flush(&mut out, Some(("audio".into(), "111".into())), None);
        flush(&mut out, Some(("video".into(), "96".into())), None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_has_markers_and_documented_size() {
        assert_eq!(&PRESENTATION_JPEG[..2], &[0xFF, 0xD8]);
        assert_eq!(&PRESENTATION_JPEG[PRESENTATION_JPEG.len() - 2..], &[0xFF, 0xD9]);
        assert_eq!(PRESENTATION_JPEG.len(), 159);
    }

    #[test]
    fn answer_mirrors_offer_media_and_direction() {
        let offer = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=sendonly\r\n";
        let answer = sdp_answer(offer, "50ed679d-c622");
        assert!(answer.starts_with("v=0\r\n"));
        assert!(answer.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"), "{answer}");
        assert!(answer.contains("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"), "{answer}");
        let video = answer.split("m=video").nth(1).unwrap();
        assert!(video.contains("a=recvonly"), "{answer}");
        assert_eq!(answer.matches("m=").count(), 2);
    }
}
