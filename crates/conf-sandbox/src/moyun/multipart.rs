//! A minimal `multipart/form-data` reader for the one upload endpoint
//! (`POST /api/v1/mc/meeting_files/{meeting_id}`): text parts become form fields, parts with a
//! `filename` are noted as files.

use std::collections::HashMap;

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    if !parts.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

fn disposition_param(headers: &str, name: &str) -> Option<String> {
    let line = headers.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    line.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Text fields and the names of file parts.
pub(crate) fn parse(body: &[u8], boundary: &str) -> (HashMap<String, String>, Vec<String>) {
    let delimiter = format!("--{boundary}");
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    let mut at = match find(body, delimiter.as_bytes(), 0) {
        Some(i) => i + delimiter.len(),
        None => return (fields, files),
    };
    while let Some(end) = find(body, delimiter.as_bytes(), at) {
        let part = &body[at..end];
        at = end + delimiter.len();
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n", 0) else { continue };
        let headers = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let Some(name) = disposition_param(&headers, "name") else { continue };
        if disposition_param(&headers, "filename").is_some() {
            files.push(name);
        } else {
            fields.insert(name, String::from_utf8_lossy(content).into_owned());
        }
    }
    (fields, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files() {
        let ct = "multipart/form-data; boundary=XyZ";
        let b = boundary(ct).unwrap();
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"account_token\"\r\n\r\nabc\r\n--XyZ\r\n\
                    Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n";
        let (fields, files) = parse(body.as_bytes(), &b);
        assert_eq!(fields.get("account_token").map(String::as_str), Some("abc"));
        assert_eq!(files, vec!["file".to_string()]);
        assert_eq!(boundary("application/json"), None);
    }
}
