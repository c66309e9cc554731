//! Test helpers: a small `multipart/form-data` parser for checking request shapes.
#![allow(dead_code)]

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    /// Field name.
    pub name: String,
    /// File name, for file parts.
    pub filename: Option<String>,
    /// Content type of the part, when it has one.
    pub content_type: Option<String>,
    /// Content.
    pub body: Vec<u8>,
}

impl FormPart {
    /// The content as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn param(header: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = header.find(&pat)? + pat.len();
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_owned())
}

/// Parse a multipart body given its `Content-Type` header; `None` if it is not multipart.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<FormPart>> {
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=")?;
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        pos += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let next = find(body, format!("\r\n{delim}").as_bytes(), head_end + 4)?;
        let mut name = None;
        let mut filename = None;
        let mut ctype = None;
        for line in head.split("\r\n") {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                name = param(line, "name");
                filename = param(line, "filename");
            } else if let Some(v) = lower.strip_prefix("content-type:") {
                ctype = Some(v.trim().to_owned());
            }
        }
        parts.push(FormPart { name: name?, filename, content_type: ctype, body: body[head_end + 4..next].to_vec() });
        pos = next + 2 + delim.len();
    }
}

/// `(name, text)` of every text part, in order.
pub fn text_fields(parts: &[FormPart]) -> Vec<(String, String)> {
    parts.iter().filter(|p| p.filename.is_none()).map(|p| (p.name.clone(), p.text())).collect()
}
