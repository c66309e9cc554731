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
    /// Shared parameter groups (usable from every spec file of the crate).
    #[serde(default)]
    pub groups: Vec<Group>,
}

/// `[service]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub vendor: Option<String>,
    pub client: Option<String>,
    /// The vendor's deserializer (a function path); default: the whole body as JSON.
    pub decode: Option<String>,
    pub title: Option<String>,
    pub module: Option<String>,
    pub doc: Option<String>,
    /// Sub-client of this file's calls (`group = "mc"`: `client.mc().op()`); none: on the client.
    pub group: Option<String>,
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
    /// Empty only in a `{ group = "..." }` entry.
    #[serde(default)]
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
    /// A required response field the vendor is known to omit: decoded as the type's
    /// default instead of failing, for the reason given (shown in the docs).
    pub missing_ok: Option<String>,
    /// Required only when another field of the same request has one of some values.
    pub required_if: Option<RequiredIf>,
    /// Expand a shared parameter group here (`{ group = "conf_settings" }`).
    pub group: Option<String>,
    /// With `group`: the group's fields required at this use (the others are optional
    /// here); without it each group field keeps its own `required`.
    pub require: Option<Vec<String>>,
}

/// `required_if = { field = "encrypted_type", one_of = [2, 3, 4] }`: this field is required
/// when `field` is set to one of `one_of` (or, with `not_one_of`, to any other value; with
/// neither, to any value). An unset `field` never makes this one required.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RequiredIf {
    pub field: String,
    pub one_of: Option<Vec<toml::Value>>,
    pub not_one_of: Option<Vec<toml::Value>>,
}

/// `[[groups]]`: parameters named once, used by several endpoints (`{ group = "name" }`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
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
    /// Length limits counted in UTF-8 bytes (the unit some vendors count).
    pub min_bytes: Option<u64>,
    pub max_bytes: Option<u64>,
    /// Allowed characters, as ranges and single characters (`"A-Za-z0-9_."`).
    pub chars: Option<String>,
    /// Characters never allowed (`"%&*^~'\"?/\\<>|`$"`).
    pub not_chars: Option<String>,
    /// Characters not allowed first or last (`"_-.@"`).
    pub not_edge_chars: Option<String>,
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

/// Replace every `{ group = "name" }` entry of endpoint params and struct fields with the
/// group's fields (groups come from any file of the crate and may use other groups). A field
/// listed explicitly with the name of a group field replaces it, at the group's position.
pub fn expand_groups(files: &mut [(std::path::PathBuf, SpecFile)]) -> Result<()> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (path, f) in files.iter() {
        for g in &f.groups {
            anyhow::ensure!(groups.insert(g.name.clone(), g.clone()).is_none(), "{}: group `{}` is defined twice", path.display(), g.name);
        }
    }
    for (path, f) in files.iter_mut() {
        let ctx = |what: &str| format!("{}: {what}", path.display());
        for ep in &mut f.endpoints {
            ep.params = expand(&ep.params, &groups, 0).with_context(|| ctx(&format!("endpoint `{}`", ep.name)))?;
        }
        for t in &mut f.types {
            t.fields = expand(&t.fields, &groups, 0).with_context(|| ctx(&format!("type `{}`", t.name)))?;
        }
    }
    Ok(())
}

fn expand(fields: &[Field], groups: &BTreeMap<String, Group>, depth: usize) -> Result<Vec<Field>> {
    anyhow::ensure!(depth < 8, "groups nested more than 8 deep (a group uses itself?)");
    let mut out: Vec<Field> = Vec::new();
    let mut from_group: Vec<bool> = Vec::new();
    for f in fields {
        if let Some(name) = &f.group {
            let bare = Field { group: Some(name.clone()), ty: default_type(), require: f.require.clone(), ..Field::default() };
            anyhow::ensure!(*f == bare, "`{{ group = \"{name}\" }}` takes no other key but `require`");
            let g = groups.get(name).with_context(|| format!("unknown group `{name}`"))?;
            let fields = expand(&g.fields, groups, depth + 1).with_context(|| format!("in group `{name}`"))?;
            if let Some(req) = &f.require {
                for r in req {
                    anyhow::ensure!(fields.iter().any(|gf| gf.name == *r), "`require` names `{r}`, which is not in group `{name}`");
                }
            }
            for mut gf in fields {
                if let Some(req) = &f.require {
                    gf.required = req.contains(&gf.name);
                }
                out.push(gf);
                from_group.push(true);
            }
            continue;
        }
        anyhow::ensure!(!f.name.is_empty(), "a field needs a `name`");
        match out.iter().position(|o| o.name == f.name) {
            Some(i) if from_group[i] => {
                out[i] = f.clone();
                from_group[i] = false;
            }
            _ => {
                out.push(f.clone());
                from_group.push(false);
            }
        }
    }
    Ok(out)
}

/// A TOML scalar as text (`"x"` -> `x`, `1` -> `1`, `true` -> `true`).
/// A 0/1 yes/no flag must be a `bool` (`encode = "int01"`), not an integer: refuse an
/// `i64` field whose doc enumerates exactly `0-否；1-是` (or 关闭/开启, 不显示/显示, ...).
pub fn lint_flags(files: &[(std::path::PathBuf, SpecFile)]) -> Result<()> {
    fn check(path: &Path, owner: &str, fields: &[Field]) -> Result<()> {
        for f in fields {
            let doc = f.doc.as_deref().unwrap_or("");
            anyhow::ensure!(
                !(f.ty == "i64" && is_yes_no(doc)),
                "{}: {owner}: field `{}` is a 0/1 yes/no flag: declare it `type = \"bool\", encode = \"int01\"`",
                path.display(),
                f.name
            );
            check(path, owner, &f.fields)?;
        }
        Ok(())
    }
    for (path, f) in files {
        for ep in &f.endpoints {
            check(path, &format!("endpoint `{}`", ep.name), &ep.params)?;
            if let Some(ResponseSpec::Inline(r)) = &ep.response {
                check(path, &format!("endpoint `{}` response", ep.name), &r.fields)?;
            }
        }
        for t in &f.types {
            check(path, &format!("type `{}`", t.name), &t.fields)?;
        }
    }
    Ok(())
}

/// Whether a doc enumerates exactly two values, `0-` a "no" (否, 不…, 关闭, 停止…, 无…) and `1-`.
fn is_yes_no(doc: &str) -> bool {
    let Some(zero) = doc.find("0-") else { return false };
    let no = doc[zero + 2..].trim_start();
    let says_no = ["否", "不", "关闭", "停止", "无"].iter().any(|w| no.starts_with(w));
    let digit_before = doc[..zero].chars().next_back().is_some_and(|c| c.is_ascii_digit());
    says_no && !digit_before && doc[zero..].contains("1-") && !doc.contains("2-")
}

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
    fn a_yes_no_integer_is_refused() {
        for doc in ["是否显示别名 0-否； 1-是；", "水印开关 0-关闭； 1-开启；", "0-不显示； 1-显示；"] {
            assert!(is_yes_no(doc), "{doc}");
        }
        for doc in ["会议类型 0-传统会议； 1-端口会议；", "0-否； 1-是； 2-未知；", "码率 1024", "10-关闭； 11-开启"]
        {
            assert!(!is_yes_no(doc), "{doc}");
        }
        let file = |ty: &str| {
            let text = format!("[[types]]\nname = \"T\"\nfields = [ {{ name = \"mute\", type = \"{ty}\", doc = \"0-否； 1-是；\" }} ]\n");
            vec![(std::path::PathBuf::from("x.toml"), parse(&text).unwrap())]
        };
        let e = lint_flags(&file("i64")).unwrap_err().to_string();
        assert!(e.contains("`mute`") && e.contains("bool"), "{e}");
        lint_flags(&file("bool")).unwrap();
    }

    #[test]
    fn parses_the_documented_example() {
        let spec = parse(
            r#"
[service]
vendor = "webapi"
client = "WebApiClient"
decode = "crate::envelope::decode"
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
    fn groups_expand_in_place_with_requirements_and_overrides() {
        let text = r#"
[[groups]]
name = "g"
fields = [ { name = "a", required = true }, { name = "b" }, { name = "c" } ]
[[endpoints]]
name = "x"
method = "POST"
path = "/x"
params = [ { name = "first" }, { group = "g", require = ["b"] }, { name = "c", type = "u32" } ]
[[endpoints]]
name = "y"
method = "POST"
path = "/y"
params = [ { group = "g" } ]
"#;
        let mut files = vec![(std::path::PathBuf::from("a.toml"), parse(text).unwrap())];
        expand_groups(&mut files).unwrap();
        let x: Vec<(&str, bool, &str)> =
            files[0].1.endpoints[0].params.iter().map(|p| (p.name.as_str(), p.required, p.ty.as_str())).collect();
        assert_eq!(x, [("first", false, "string"), ("a", false, "string"), ("b", true, "string"), ("c", false, "u32")]);
        let y: Vec<bool> = files[0].1.endpoints[1].params.iter().map(|p| p.required).collect();
        assert_eq!(y, [true, false, false], "without `require` the group's own flags");
        let bad = |params: &str| {
            let mut files = vec![(std::path::PathBuf::from("a.toml"), parse(&text.replace("[ { group = \"g\" } ]", params)).unwrap())];
            format!("{:#}", expand_groups(&mut files).unwrap_err())
        };
        assert!(bad(r#"[ { group = "h" } ]"#).contains("unknown group `h`"));
        assert!(bad(r#"[ { group = "g", require = ["z"] } ]"#).contains("`z`"));
        assert!(bad(r#"[ { group = "g", doc = "x" } ]"#).contains("no other key"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = parse("[[endpoints]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/\"\nbdy = \"form\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("bdy"), "{err:#}");
    }
}
