//! The TOML endpoint-spec format (see `docs/codegen.md`), as serde types.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// One `*.toml` spec file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// Service settings; the first file's values are the crate's defaults.
    pub service: Option<Service>,
    /// Named types.
    #[serde(default)]
    pub types: Vec<TypeDef>,
    /// Endpoints.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// Inline error codes.
    #[serde(default)]
    pub error_codes: Vec<ErrorCodeDef>,
    /// An error-code table in a TSV file.
    pub error_table: Option<ErrorTable>,
}

/// `[service]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub vendor: Option<String>,
    pub client: Option<String>,
    pub call: Option<String>,
    pub title: Option<String>,
    pub module: Option<String>,
    pub doc: Option<String>,
}

/// `[[types]]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TypeDef {
    pub name: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub doc: Option<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
    pub repr: Option<String>,
    #[serde(default)]
    pub values: Vec<EnumValue>,
    pub items: Option<String>,
    pub total: Option<String>,
}

fn default_kind() -> String {
    "struct".to_owned()
}

/// One value of an enum.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub name: String,
    pub value: toml::Value,
    pub doc: Option<String>,
}

/// A field: request parameter, struct field or response field.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub wire: Option<String>,
    #[serde(rename = "in")]
    pub location: Option<String>,
    #[serde(rename = "type", default = "default_type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    pub doc: Option<String>,
    pub default: Option<toml::Value>,
    pub validate: Option<Validate>,
    pub encode: Option<String>,
    pub lenient: Option<bool>,
    #[serde(default)]
    pub fields: Vec<Field>,
    pub type_name: Option<String>,
    pub rename: Option<String>,
}

fn default_type() -> String {
    "string".to_owned()
}

/// Validation rules of a request field.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Validate {
    #[serde(default)]
    pub non_empty: bool,
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub min: Option<toml::Value>,
    pub max: Option<toml::Value>,
    pub one_of: Option<Vec<toml::Value>>,
}

/// `min_level = { app = "mc", level = 1 }`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MinLevel {
    pub app: String,
    pub level: u32,
}

/// `[[endpoints]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub name: String,
    pub wire_name: Option<String>,
    pub doc: Option<String>,
    pub method: String,
    pub path: String,
    pub body: Option<String>,
    pub idempotent: Option<bool>,
    pub min_level: Option<MinLevel>,
    #[serde(default)]
    pub needs: Vec<String>,
    pub auth: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
    pub response: Option<ResponseSpec>,
    pub method_override: Option<String>,
    pub paged: Option<String>,
    #[serde(default)]
    pub params: Vec<Field>,
    /// Fixed headers sent with every call.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Content type of a `json` body (default `application/json`).
    pub content_type: Option<String>,
}

/// `response = "Name"` or an inline `[endpoints.response]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ResponseSpec {
    Named(String),
    Inline(InlineResponse),
}

/// `[endpoints.response]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InlineResponse {
    pub type_name: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
    pub items: Option<String>,
    pub total: Option<String>,
}

/// `[[error_codes]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodeDef {
    pub code: toml::Value,
    pub name: Option<String>,
    pub zh: Option<String>,
    pub en: Option<String>,
    #[serde(default)]
    pub retryable: bool,
    pub scope: Option<String>,
}

/// `[error_table]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorTable {
    pub file: String,
    /// Name of the generated enum (default `ErrorCode`).
    pub enum_name: Option<String>,
}

/// Parse one spec file.
pub fn load(path: &Path) -> Result<SpecFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Parse spec text.
pub fn parse(text: &str) -> Result<SpecFile> {
    Ok(toml::from_str(text)?)
}

/// A TOML scalar as text (`"x"` -> `x`, `1` -> `1`, `true` -> `true`).
pub fn value_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec = parse(
            r#"
[service]
vendor = "webapi"
client = "WebApiClient"
call = "call"
title = "Meeting WebAPI"

[[types]]
name = "AccountType"
kind = "enum"
repr = "int"
values = [ { name = "Moid", value = 1, doc = "..." }, { name = "E164", value = 5 } ]

[[endpoints]]
name = "meeting_create"
wire_name = "meetingcreate"
method = "POST"
path = "/WebAPI/meetingcreate"
body = "multipart"
min_level = { app = "mc", level = 1 }
needs = ["deployment:public"]
response = "MeetingCreateResponse"

  [[endpoints.params]]
  name = "meeting_name"
  wire = "meetingname"
  in = "body"
  type = "string"
  required = true
  validate = { non_empty = true, min_len = 4, max_len = 20, min = 0, max = 100, one_of = ["a", "b"] }

[[endpoints]]
name = "x"
method = "GET"
path = "/x"
  [endpoints.response]
  fields = [ { name = "serial", type = "string", lenient = true } ]

[[error_codes]]
code = "4007"
name = "MeetingNotFound"
zh = "会议不存在"
retryable = false
"#,
        )
        .unwrap();
        assert_eq!(spec.endpoints.len(), 2);
        assert!(matches!(spec.endpoints[0].response, Some(ResponseSpec::Named(_))));
        assert!(matches!(spec.endpoints[1].response, Some(ResponseSpec::Inline(_))));
        assert_eq!(spec.endpoints[0].params[0].validate.as_ref().unwrap().max_len, Some(20));
        assert_eq!(spec.types[0].values.len(), 2);
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = parse("[[endpoints]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/\"\nbdy = \"form\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("bdy"), "{err:#}");
    }
}
