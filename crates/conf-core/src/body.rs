//! Request bodies (re-exported from `operation`, where they are documented for users).
//!
//! Its own module so that `request` (attempt parts carry a body) does not import
//! `operation`, which imports `auth`, which imports `request`.

use std::path::PathBuf;

use bytes::Bytes;

use crate::error::Error;

/// A request body. Every variant can be rebuilt for each attempt.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// `application/x-www-form-urlencoded` fields, in order.
    Form(Vec<(String, String)>),
    /// A JSON document, already serialized. `content_type` defaults to `application/json`.
    Json {
        /// Serialized JSON.
        bytes: Bytes,
        /// Content type to send (some vendors want `application/json;charset=utf-8`).
        content_type: Option<&'static str>,
    },
    /// `multipart/form-data` parts, in order.
    Multipart(Vec<Part>),
    /// Raw bytes with a content type.
    Raw {
        /// Content type.
        content_type: String,
        /// Bytes.
        bytes: Bytes,
    },
}

impl Body {
    /// Serialize `value` as JSON.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::invalid_input("body", e.to_string()))?;
        Ok(Self::Json { bytes: Bytes::from(bytes), content_type: None })
    }

    /// The body's kind, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Form(_) => "form",
            Self::Json { .. } => "json",
            Self::Multipart(_) => "multipart",
            Self::Raw { .. } => "raw",
        }
    }

    /// Add a form field (for [`Body::Form`]) or a text part (for [`Body::Multipart`]);
    /// an empty body becomes a form. Used by authenticators that put a token in the body.
    pub fn push_field(&mut self, name: impl Into<String>, value: impl Into<String>) {
        match self {
            Self::Empty => *self = Self::Form(vec![(name.into(), value.into())]),
            Self::Form(fields) => fields.push((name.into(), value.into())),
            Self::Multipart(parts) => parts.push(Part::text(name, value)),
            Self::Json { .. } | Self::Raw { .. } => {}
        }
    }

    /// Encode a form body exactly as it goes on the wire.
    pub fn encode_form(fields: &[(String, String)]) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            ser.append_pair(k, v);
        }
        ser.finish()
    }
}

/// One multipart part.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Part {
    /// Field name.
    pub name: String,
    /// Content.
    pub kind: PartKind,
}

impl Part {
    /// A text field.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), kind: PartKind::Text(value.into()) }
    }

    /// A file from memory.
    pub fn file_bytes(name: impl Into<String>, filename: impl Into<String>, content_type: impl Into<String>, bytes: Bytes) -> Self {
        Self {
            name: name.into(),
            kind: PartKind::File { filename: filename.into(), content_type: content_type.into(), source: FileSource::Bytes(bytes) },
        }
    }

    /// A file streamed from disk (opened again for each attempt).
    pub fn file_path(
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Self {
        Self {
            name: name.into(),
            kind: PartKind::File { filename: filename.into(), content_type: content_type.into(), source: FileSource::Path(path.into()) },
        }
    }
}

/// What a multipart part holds.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum PartKind {
    /// Text.
    Text(String),
    /// A file.
    File {
        /// File name sent in `Content-Disposition`.
        filename: String,
        /// Content type of the part.
        content_type: String,
        /// Where the bytes come from.
        source: FileSource,
    },
}

/// The bytes of a file part.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FileSource {
    /// In memory.
    Bytes(Bytes),
    /// Streamed from this path.
    Path(PathBuf),
}
