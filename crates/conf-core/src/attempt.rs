//! What the client and its layers share: the per-client state ([`Shared`]) and
//! the assembly of one attempt (request parts -> [`AttemptRequest`]).
//!
//! It sits below both `client` and `layers` (it imports neither), so the
//! request path has no import cycle: `client` -> `layers` -> `attempt`.

use std::sync::Arc;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use url::Url;

use crate::auth::Authenticator;
use crate::call::Call;
use crate::config::ClientConfig;
use crate::endpoint::{EndpointResolver, join_with_query};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::hooks::Hooks;
use crate::negotiate::{LevelCache, Negotiator};
use crate::operation::{Body, FileSource, PartKind};
use crate::request::{AttemptParts, AttemptRequest};
use crate::retry::RetryBudget;

/// State shared by the layers of one client.
pub(crate) struct Shared {
    pub(crate) config: ClientConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) envelope: Arc<dyn Envelope>,
    pub(crate) auth: Option<Arc<dyn Authenticator>>,
    pub(crate) negotiator: Option<Arc<dyn Negotiator>>,
    pub(crate) levels: LevelCache,
    pub(crate) resolver: Arc<dyn EndpointResolver>,
    /// The base URL when the resolver is the default fixed one (no per-attempt resolution needed).
    pub(crate) fixed_base: Option<Url>,
    /// The origin of `fixed_base`, for errors (computed once).
    pub(crate) fixed_origin: Option<Arc<str>>,
    pub(crate) budget: RetryBudget,
    pub(crate) hooks: Hooks,
}

impl Shared {
    /// Assemble one attempt's request parts (URL, headers, body, credential).
    pub(crate) fn attempt_parts(&self, call: &Call, base: &Url, attempt: u32) -> Result<AttemptParts, Error> {
        let op = &call.op;
        let url = join_with_query(base, &op.path, &op.query);
        // Room for the credential, the content type and reqwest's default headers: no regrowth.
        let mut headers = HeaderMap::with_capacity(op.headers.len() + 6);
        for (k, v) in &op.headers {
            headers.append(k.clone(), v.clone());
        }
        let mut parts = AttemptParts { method: op.method.clone(), url, headers, body: op.body.clone(), attempt };
        if let Some(n) = &self.negotiator {
            for (k, v) in n.headers() {
                parts.headers.insert(k, v);
            }
        }
        self.hooks.modify_before_signing(op, &mut parts)?;
        if let Some((_, state)) = &call.auth {
            state.sign(&mut parts)?;
        }
        Ok(parts)
    }
}

/// Turn attempt parts into an [`AttemptRequest`] (files are opened again for each attempt).
pub(crate) async fn build_request(http: &reqwest::Client, parts: AttemptParts) -> Result<AttemptRequest, Error> {
    let mut files = Vec::new();
    if let Body::Multipart(ps) = &parts.body {
        for p in ps {
            if let PartKind::File { source: FileSource::Path(path), .. } = &p.kind {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| Error::invalid_input(p.name.clone(), format!("cannot open {}: {e}", path.display())))?;
                let len = file.metadata().await.map_err(|e| Error::invalid_input(p.name.clone(), e.to_string()))?.len();
                files.push((file, len));
            }
        }
    }
    build_request_with(http, parts, files)
}

/// Whether building the request needs I/O (a multipart file streamed from disk).
pub(crate) fn needs_io(body: &Body) -> bool {
    matches!(body, Body::Multipart(ps) if ps.iter().any(|p| matches!(p.kind, PartKind::File { source: FileSource::Path(_), .. })))
}

/// Build the request; `files` are the opened `FileSource::Path` parts, in order.
pub(crate) fn build_request_with(
    http: &reqwest::Client,
    parts: AttemptParts,
    files: Vec<(tokio::fs::File, u64)>,
) -> Result<AttemptRequest, Error> {
    let AttemptParts { method, url, mut headers, body, .. } = parts;
    let has_ct = headers.contains_key(CONTENT_TYPE);
    let set_ct = |headers: &mut HeaderMap, ct: &str| -> Result<(), Error> {
        if !has_ct {
            let v = http::HeaderValue::from_str(ct).map_err(|_| Error::invalid_input("content_type", "not a valid header value"))?;
            headers.insert(CONTENT_TYPE, v);
        }
        Ok(())
    };
    let simple = match body {
        Body::Empty => None,
        Body::Form(fields) => {
            if !has_ct {
                headers.insert(CONTENT_TYPE, http::HeaderValue::from_static("application/x-www-form-urlencoded"));
            }
            Some(reqwest::Body::from(Body::encode_form(&fields)))
        }
        Body::Json { bytes, content_type } => {
            match content_type {
                None if !has_ct => {
                    headers.insert(CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
                }
                None => {}
                Some(ct) => set_ct(&mut headers, ct)?,
            }
            Some(reqwest::Body::from(bytes))
        }
        Body::Raw { content_type, bytes } => {
            set_ct(&mut headers, &content_type)?;
            Some(reqwest::Body::from(bytes))
        }
        multipart @ Body::Multipart(_) => {
            return build_multipart(http, method, url, headers, multipart, files);
        }
    };
    if url.username().is_empty() && url.password().is_none() {
        // The common case: assemble the request directly (no builder, no header merge).
        let mut request = reqwest::Request::new(method, url);
        *request.headers_mut() = headers;
        *request.body_mut() = simple;
        return Ok(AttemptRequest::from_reqwest(request));
    }
    // Credentials in the URL: let reqwest's builder turn them into basic auth.
    let mut rb = http.request(method, url).headers(headers);
    if let Some(b) = simple {
        rb = rb.body(b);
    }
    rb.build().map(AttemptRequest::from_reqwest).map_err(|e| Error::invalid_input("request", e.without_url().to_string()))
}

fn build_multipart(
    http: &reqwest::Client,
    method: http::Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    files: Vec<(tokio::fs::File, u64)>,
) -> Result<AttemptRequest, Error> {
    let rb = http.request(method, url).headers(headers);
    let rb = match body {
        Body::Multipart(ps) => {
            let mut files = files.into_iter();
            let mut form = reqwest::multipart::Form::new();
            for p in ps {
                match p.kind {
                    PartKind::Text(v) => form = form.text(p.name, v),
                    PartKind::File { filename, content_type, source } => {
                        let part = match source {
                            FileSource::Bytes(b) => {
                                let len = b.len() as u64;
                                reqwest::multipart::Part::stream_with_length(reqwest::Body::from(b), len)
                            }
                            FileSource::Path(path) => {
                                let (file, len) = files
                                    .next()
                                    .ok_or_else(|| Error::invalid_input(p.name.clone(), format!("{} was not opened", path.display())))?;
                                let stream = tokio_util::io::ReaderStream::new(file);
                                reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), len)
                            }
                        };
                        let part = part
                            .file_name(filename)
                            .mime_str(&content_type)
                            .map_err(|e| Error::invalid_input(p.name.clone(), e.to_string()))?;
                        form = form.part(p.name, part);
                    }
                }
            }
            rb.multipart(form)
        }
        _ => rb,
    };
    rb.build().map(AttemptRequest::from_reqwest).map_err(|e| Error::invalid_input("request", e.without_url().to_string()))
}
