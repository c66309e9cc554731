//! The wire encoder behind `#[request]`: each field's value is serialized once, in
//! declaration order, with serde (so nested objects keep the vendor's field order and the
//! spec's encodings), then placed where the endpoint sends it: a path segment, the query, a
//! header, a form field, the `params` JSON form field, a JSON body or a multipart part.

use http::{HeaderName, HeaderValue, Method};
use serde::Serialize;

use super::FilePart;
use crate::__private::serde_json::{self, Value};
use crate::operation::encode_path_segment;
use crate::{AuthMode, Body, Error, Operation, Part, Result};

/// How an endpoint's request goes on the wire (the `#[request(...)]` arguments).
#[derive(Debug, Clone)]
pub struct Shape {
    /// Vendor name stamped on the operation.
    pub vendor: &'static str,
    /// Operation name (the spec's, or the vendor's wire name).
    pub name: &'static str,
    /// HTTP method sent.
    pub method: Method,
    /// Path template with `{placeholders}`.
    pub template: &'static str,
    /// Where fields without a location go.
    pub body: BodyKind,
    /// Safe to retry.
    pub idempotent: bool,
    /// Minimum API level `(app, level)`.
    pub min_level: Option<(&'static str, u32)>,
    /// Capabilities the call needs.
    pub needs: &'static [&'static str],
    /// Sent without credentials.
    pub no_auth: bool,
    /// The body carries secrets (never logged).
    pub sensitive: bool,
    /// Fixed headers.
    pub headers: &'static [(&'static str, &'static str)],
    /// Content type of a JSON body, when not `application/json`.
    pub content_type: Option<&'static str>,
    /// `_method` form field for a tunnelled method.
    pub method_override: Option<&'static str>,
}

/// The kind of body an endpoint sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body; fields go to the query.
    None,
    /// Fields go to the query string.
    Query,
    /// A form body.
    Form,
    /// A JSON object body.
    Json,
    /// A multipart body.
    Multipart,
    /// A form body with the fields as one JSON object in its `params` field.
    ParamsJson,
}

/// Where one field goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// Decided by the body kind: a `{placeholder}` of the path goes to the path, anything
    /// else to the query (no body), the form, the `params` object or the JSON body.
    Auto,
    /// A path segment.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
    /// A form field.
    Form,
    /// A member of the `params` JSON object.
    Params,
    /// A member of the JSON body.
    Json,
    /// A multipart text part.
    Multipart,
}

/// The value of one field as serde wrote it.
struct Field {
    wire: &'static str,
    loc: Loc,
    json: String,
    secret: bool,
    file: Option<FilePart>,
}

/// Collects a request's fields and builds its [`Operation`].
pub struct Wire {
    shape: Shape,
    fields: Vec<Field>,
}

impl Wire {
    /// An empty request of `shape`.
    pub fn new(shape: Shape) -> Self {
        Self { shape, fields: Vec::new() }
    }

    /// A field's value, serialized with serde.
    pub fn put<T: Serialize + ?Sized>(&mut self, wire: &'static str, loc: Loc, value: &T) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| Error::invalid_input(wire, format!("cannot be encoded: {e}")))?;
        self.fields.push(Field { wire, loc, json, secret: false, file: None });
        Ok(())
    }

    /// A secret's value: like [`Wire::put`], and a header carrying it is marked sensitive.
    pub fn put_secret<T: Serialize + ?Sized>(&mut self, wire: &'static str, loc: Loc, value: &T) -> Result<()> {
        self.put(wire, loc, value)?;
        if let Some(f) = self.fields.last_mut() {
            f.secret = true;
        }
        Ok(())
    }

    /// The spec's default of an unset field, as JSON text.
    pub fn default_json(&mut self, wire: &'static str, loc: Loc, json: &'static str) {
        self.fields.push(Field { wire, loc, json: json.to_owned(), secret: false, file: None });
    }

    /// A file part (multipart bodies only).
    pub fn file(&mut self, wire: &'static str, file: &FilePart) {
        self.fields.push(Field { wire, loc: Loc::Multipart, json: String::new(), secret: false, file: Some(file.clone()) });
    }

    fn resolve(&self, f: &Field) -> Loc {
        if f.loc != Loc::Auto {
            return f.loc;
        }
        if self.shape.template.contains(&format!("{{{}}}", f.wire)) {
            return Loc::Path;
        }
        match self.shape.body {
            BodyKind::None | BodyKind::Query => Loc::Query,
            BodyKind::Form => Loc::Form,
            BodyKind::ParamsJson => Loc::Params,
            BodyKind::Json => Loc::Json,
            BodyKind::Multipart => Loc::Multipart,
        }
    }

    /// The operation: path filled, every field in its place.
    pub fn finish(self) -> Result<Operation> {
        let s = self.shape.clone();
        let mut path = s.template.to_owned();
        let mut form: Vec<(String, String)> = Vec::new();
        let mut parts: Vec<Part> = Vec::new();
        let mut params = JsonObject::new();
        let mut json = JsonObject::new();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        if let Some(m) = s.method_override {
            match s.body {
                BodyKind::Multipart => parts.push(Part::text("_method", m)),
                _ => form.push(("_method".to_owned(), m.to_owned())),
            }
        }
        for f in &self.fields {
            if let Some(file) = &f.file {
                parts.push(file.clone().into_part(f.wire));
                continue;
            }
            match self.resolve(f) {
                Loc::Path => {
                    let text = texts(&f.json, true).join(",");
                    // An empty segment would address another resource.
                    super::non_empty(f.wire, &text)?;
                    path = path.replace(&format!("{{{}}}", f.wire), &encode_path_segment(&text));
                }
                Loc::Query => query.extend(texts(&f.json, false).into_iter().map(|t| (f.wire, t))),
                Loc::Header => headers.push((f.wire, texts(&f.json, true).join(","), f.secret)),
                Loc::Form => form.extend(texts(&f.json, false).into_iter().map(|t| (f.wire.to_owned(), t))),
                Loc::Multipart => parts.extend(texts(&f.json, false).into_iter().map(|t| Part::text(f.wire, t))),
                Loc::Params => params.raw(f.wire, &f.json),
                Loc::Json => json.raw(f.wire, &f.json),
                Loc::Auto => unreachable!("resolved"),
            }
        }
        let mut op = Operation::new(s.vendor, s.name, s.method, s.template, path);
        op = op.idempotent(s.idempotent);
        if let Some((app, level)) = s.min_level {
            op = op.min_level(app, level);
        }
        if !s.needs.is_empty() {
            op = op.needs(s.needs);
        }
        if s.no_auth {
            op = op.auth(AuthMode::None);
        }
        if s.sensitive {
            op = op.sensitive();
        }
        for (k, v) in s.headers {
            op = op.header(k, v)?;
        }
        for (k, v) in query {
            op = op.query(k, v);
        }
        for (name, value, secret) in headers {
            if secret {
                // Marked sensitive so no HTTP layer logs it.
                let lower = name.to_ascii_lowercase();
                let header = HeaderName::from_bytes(lower.as_bytes()).map_err(|_| Error::invalid_input(name, "not a valid header name"))?;
                let mut value = HeaderValue::from_str(&value).map_err(|_| Error::invalid_input(name, "not a valid header value"))?;
                value.set_sensitive(true);
                op.headers.append(header, value);
            } else {
                op = op.header(name, &value)?;
            }
        }
        let body = match s.body {
            BodyKind::None if form.is_empty() => None,
            BodyKind::Query => None,
            BodyKind::None | BodyKind::Form => Some(Body::Form(form)),
            BodyKind::ParamsJson => {
                form.push(("params".to_owned(), params.finish()));
                Some(Body::Form(form))
            }
            BodyKind::Multipart => Some(Body::Multipart(parts)),
            BodyKind::Json => Some(Body::Json { bytes: crate::__private::bytes::Bytes::from(json.finish()), content_type: s.content_type }),
        };
        if let Some(body) = body {
            op = op.body(body);
        }
        Ok(op)
    }
}

/// The text forms of a JSON value for a path, query, header, form or multipart field: a
/// string unquoted, a number or flag as written (a float as Rust prints it), a list of
/// scalars one text per item (`joined` lists are one item each, joined by the caller), and
/// anything else as its JSON text.
fn texts(json: &str, joined: bool) -> Vec<String> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) if n.is_f64() => n.as_f64().map(|x| x.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    let Ok(value) = serde_json::from_str::<Value>(json) else { return vec![json.to_owned()] };
    if let Some(t) = scalar(&value) {
        return vec![t];
    }
    if let Value::Array(items) = &value {
        let all: Option<Vec<String>> = items.iter().map(scalar).collect();
        if let Some(all) = all {
            return if joined { vec![all.join(",")] } else { all };
        }
    }
    vec![json.to_owned()]
}

/// A JSON object written in field order, from values already serialized.
struct JsonObject(String);

impl JsonObject {
    fn new() -> Self {
        Self(String::from("{"))
    }

    /// Append `key: <raw JSON>`.
    fn raw(&mut self, key: &str, json: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&serde_json::to_string(key).unwrap_or_default());
        self.0.push(':');
        self.0.push_str(json);
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// A flag in one of the vendors' encodings.
#[derive(Debug, Clone, Copy)]
pub enum Flag {
    /// `0` / `1` as numbers.
    Int01(bool),
    /// `"1"` / `"0"` as strings.
    Bool01(bool),
    /// `"yes"` / `"no"`.
    YesNo(bool),
    /// `"true"` / `"false"` as strings.
    TrueFalse(bool),
}

impl Serialize for Flag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match *self {
            Flag::Int01(b) => s.serialize_u8(u8::from(b)),
            Flag::Bool01(b) => s.serialize_str(if b { "1" } else { "0" }),
            Flag::YesNo(b) => s.serialize_str(if b { "yes" } else { "no" }),
            Flag::TrueFalse(b) => s.serialize_str(if b { "true" } else { "false" }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_follow_the_old_encodings() {
        assert_eq!(texts("\"a b\"", false), ["a b"]);
        assert_eq!(texts("1.0", false), ["1"]);
        assert_eq!(texts("1.5", false), ["1.5"]);
        assert_eq!(texts("12", false), ["12"]);
        assert_eq!(texts("[1,2]", false), ["1", "2"]);
        assert_eq!(texts("[1,2]", true), ["1,2"]);
        assert_eq!(texts("[{\"a\":1}]", false), ["[{\"a\":1}]"]);
        assert_eq!(texts("{\"b\":1,\"a\":2}", false), ["{\"b\":1,\"a\":2}"]);
    }

    #[test]
    fn fields_land_where_the_shape_says() {
        let shape = Shape {
            vendor: "v",
            name: "n",
            method: Method::POST,
            template: "/a/{id}/b",
            body: BodyKind::ParamsJson,
            idempotent: false,
            min_level: None,
            needs: &[],
            no_auth: false,
            sensitive: false,
            headers: &[],
            content_type: None,
            method_override: Some("PUT"),
        };
        let mut w = Wire::new(shape);
        w.put("id", Loc::Auto, "x/y").unwrap();
        w.put("token", Loc::Form, "t").unwrap();
        w.put("z", Loc::Auto, &2).unwrap();
        w.put("a", Loc::Params, &Flag::Int01(true)).unwrap();
        w.put("q", Loc::Query, &[1, 2]).unwrap();
        let op = w.finish().unwrap();
        assert_eq!(op.path, "/a/x%2Fy/b");
        let Body::Form(form) = &op.body else { panic!("form") };
        assert_eq!(form[0], ("_method".to_owned(), "PUT".to_owned()));
        assert_eq!(form[1], ("token".to_owned(), "t".to_owned()));
        assert_eq!(form[2], ("params".to_owned(), "{\"z\":2,\"a\":1}".to_owned()));
        assert_eq!(op.query, [("q".to_owned(), "1".to_owned()), ("q".to_owned(), "2".to_owned())]);
    }
}
