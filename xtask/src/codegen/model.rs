//! The resolved model of one crate's specs: field types parsed, inline object types
//! registered, every named type known with the module that defines it.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};

use super::names;
use super::spec::{Field, InlineResponse, ResponseSpec, SpecFile, TypeDef};

/// A field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Str,
    I32,
    I64,
    U32,
    U64,
    F64,
    Bool,
    Json,
    Time,
    /// An ISO-8601 date-time kept as the vendor's text (`conf_core::DateTime`).
    DateTime,
    File,
    Secret,
    List(Box<Ty>),
    Map(Box<Ty>),
    /// A named struct or enum (Rust name).
    Named(String),
}

impl Ty {
    /// Whether this is an integer type.
    pub fn is_int(&self) -> bool {
        matches!(self, Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64)
    }

    /// Whether values of this type are one wire token (scalars and enums).
    pub fn is_scalar(&self, reg: &Registry) -> bool {
        match self {
            Ty::List(_) | Ty::Map(_) | Ty::Json | Ty::File => false,
            Ty::Named(n) => reg.is_enum(n),
            _ => true,
        }
    }

    /// Spec spelling, for docs.
    pub fn spec_name(&self) -> String {
        match self {
            Ty::Str => "string".into(),
            Ty::I32 => "i32".into(),
            Ty::I64 => "i64".into(),
            Ty::U32 => "u32".into(),
            Ty::U64 => "u64".into(),
            Ty::F64 => "f64".into(),
            Ty::Bool => "bool".into(),
            Ty::Json => "json".into(),
            Ty::Time => "timestamp".into(),
            Ty::DateTime => "datetime".into(),
            Ty::File => "file".into(),
            Ty::Secret => "secret".into(),
            Ty::List(t) => format!("list<{}>", t.spec_name()),
            Ty::Map(t) => format!("map<{}>", t.spec_name()),
            Ty::Named(n) => n.clone(),
        }
    }
}

/// Parse a type expression. `object` resolves to `Named(type_name)`.
pub fn parse_ty(s: &str, type_name: Option<&str>) -> Result<Ty> {
    let s = s.trim();
    let inner = |prefix: &str| s.strip_prefix(prefix).and_then(|r| r.strip_suffix('>'));
    Ok(match s {
        "string" | "str" => Ty::Str,
        "i32" => Ty::I32,
        "i64" => Ty::I64,
        "u32" => Ty::U32,
        "u64" => Ty::U64,
        "f64" => Ty::F64,
        "bool" => Ty::Bool,
        "json" => Ty::Json,
        "timestamp" => Ty::Time,
        "datetime" => Ty::DateTime,
        "file" => Ty::File,
        "secret" => Ty::Secret,
        "object" => match type_name {
            Some(n) => Ty::Named(names::type_name(n)),
            None => bail!("type `object` needs `type_name`"),
        },
        _ => {
            if let Some(i) = inner("list<") {
                Ty::List(Box::new(parse_ty(i, type_name)?))
            } else if let Some(i) = inner("map<") {
                Ty::Map(Box::new(parse_ty(i, type_name)?))
            } else if s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                Ty::Named(names::type_name(s))
            } else {
                bail!("unknown type `{s}`")
            }
        }
    })
}

/// Where a struct comes from (decides how secrets serialize).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `[[types]]` or an inline object of a request: secrets serialize as their value.
    Named,
    /// An inline response (or an object inside one): secrets are never serialized.
    Response,
}

/// A named type.
#[derive(Debug, Clone)]
pub struct TypeInfo {
    pub name: String,
    pub module: String,
    pub doc: Option<String>,
    pub kind: Kind,
}

/// Struct or enum.
#[derive(Debug, Clone)]
pub enum Kind {
    Struct { fields: Vec<Field>, origin: Origin, items: Option<String>, total: Option<String> },
    Enum { int: bool, values: Vec<(String, toml::Value, Option<String>)> },
}

/// Every named type of a crate.
#[derive(Debug, Default)]
pub struct Registry {
    pub types: BTreeMap<String, TypeInfo>,
    /// Emission order per module.
    pub order: BTreeMap<String, Vec<String>>,
}

impl Registry {
    pub fn is_enum(&self, name: &str) -> bool {
        matches!(self.types.get(name).map(|t| &t.kind), Some(Kind::Enum { .. }))
    }

    pub fn get(&self, name: &str) -> Result<&TypeInfo> {
        self.types.get(name).with_context(|| format!("unknown type `{name}`"))
    }

    fn add(&mut self, info: TypeInfo, spec: &str) -> Result<()> {
        if let Some(old) = self.types.get(&info.name) {
            let same = match (&old.kind, &info.kind) {
                (Kind::Struct { fields: a, .. }, Kind::Struct { fields: b, .. }) => a == b,
                _ => false,
            };
            ensure!(same, "{spec}: type `{}` is defined twice with different shapes (first in module `{}`)", info.name, old.module);
            return Ok(());
        }
        self.order.entry(info.module.clone()).or_default().push(info.name.clone());
        self.types.insert(info.name.clone(), info);
        Ok(())
    }

    /// Register the `[[types]]` of a file and every inline object type.
    pub fn collect(&mut self, module: &str, spec_path: &str, file: &SpecFile) -> Result<()> {
        for t in &file.types {
            self.add_typedef(module, spec_path, t).with_context(|| format!("{spec_path}: type `{}`", t.name))?;
        }
        for ep in &file.endpoints {
            let ctx = || format!("{spec_path}: endpoint `{}`", ep.name);
            self.add_inline_fields(module, spec_path, &ep.params, Origin::Named).with_context(ctx)?;
            if let Some(ResponseSpec::Inline(r)) = &ep.response {
                let name = inline_response_name(&ep.name, r);
                let info = TypeInfo {
                    name: name.clone(),
                    module: module.to_owned(),
                    doc: Some(r.doc.clone().unwrap_or_else(|| format!("Response of `{}Request`.", names::pascal(&ep.name)))),
                    kind: Kind::Struct {
                        fields: r.fields.clone(),
                        origin: Origin::Response,
                        items: r.items.clone(),
                        total: r.total.clone(),
                    },
                };
                self.add(info, spec_path).with_context(ctx)?;
                self.add_inline_fields(module, spec_path, &r.fields, Origin::Response).with_context(ctx)?;
            }
        }
        Ok(())
    }

    fn add_typedef(&mut self, module: &str, spec_path: &str, t: &TypeDef) -> Result<()> {
        let name = names::type_name(&t.name);
        let kind = match t.kind.as_str() {
            "struct" => {
                self.add_inline_fields(module, spec_path, &t.fields, Origin::Named)?;
                Kind::Struct { fields: t.fields.clone(), origin: Origin::Named, items: t.items.clone(), total: t.total.clone() }
            }
            "enum" => {
                ensure!(!t.values.is_empty(), "enum has no `values`");
                let int = match t.repr.as_deref() {
                    Some("int") => true,
                    Some("string") => false,
                    None => matches!(t.values[0].value, toml::Value::Integer(_)),
                    Some(other) => bail!("unknown repr `{other}` (int | string)"),
                };
                let mut values = Vec::new();
                let mut seen = names::Deduper::default();
                seen.reserve("Unknown");
                let mut wire_seen = std::collections::BTreeSet::new();
                for v in &t.values {
                    let vn = names::type_name(&v.name);
                    ensure!(vn != "Unknown", "value name `Unknown` is reserved for the catch-all");
                    let vn = seen.unique(&vn);
                    match (&v.value, int) {
                        (toml::Value::Integer(_), true) | (toml::Value::String(_), false) => {}
                        (other, _) => bail!("value `{}` = {other} does not match repr {}", v.name, if int { "int" } else { "string" }),
                    }
                    ensure!(wire_seen.insert(v.value.to_string()), "wire value {} appears twice", v.value);
                    values.push((vn, v.value.clone(), v.doc.clone()));
                }
                Kind::Enum { int, values }
            }
            other => bail!("unknown kind `{other}` (struct | enum)"),
        };
        self.add(TypeInfo { name, module: module.to_owned(), doc: t.doc.clone(), kind }, spec_path)
    }

    fn add_inline_fields(&mut self, module: &str, spec_path: &str, fields: &[Field], origin: Origin) -> Result<()> {
        for f in fields {
            if f.fields.is_empty() {
                continue;
            }
            let ty = parse_ty(&f.ty, f.type_name.as_deref()).with_context(|| format!("field `{}`", f.name))?;
            let name = match inner_named(&ty) {
                Some(n) => n.to_owned(),
                None => bail!("field `{}` has `fields` but its type `{}` is not an object", f.name, f.ty),
            };
            let info = TypeInfo {
                name,
                module: module.to_owned(),
                doc: f.doc.clone(),
                kind: Kind::Struct { fields: f.fields.clone(), origin, items: None, total: None },
            };
            self.add(info, spec_path).with_context(|| format!("field `{}`", f.name))?;
            self.add_inline_fields(module, spec_path, &f.fields, origin).with_context(|| format!("in field `{}`", f.name))?;
        }
        Ok(())
    }

    /// Whether values of `ty` can derive `PartialEq` (no secrets, no files).
    pub fn eq_ok(&self, ty: &Ty) -> bool {
        self.eq_ok_inner(ty, &mut Vec::new())
    }

    fn eq_ok_inner(&self, ty: &Ty, stack: &mut Vec<String>) -> bool {
        match ty {
            Ty::Secret | Ty::File => false,
            Ty::List(t) | Ty::Map(t) => self.eq_ok_inner(t, stack),
            Ty::Named(n) => {
                if stack.contains(n) {
                    return true;
                }
                match self.types.get(n).map(|t| &t.kind) {
                    Some(Kind::Struct { fields, .. }) => {
                        stack.push(n.clone());
                        let ok = fields.iter().all(|f| parse_ty(&f.ty, f.type_name.as_deref()).is_ok_and(|t| self.eq_ok_inner(&t, stack)));
                        stack.pop();
                        ok
                    }
                    _ => true,
                }
            }
            _ => true,
        }
    }

    /// Whether a struct type has validation rules (its own or in nested structs).
    pub fn struct_validates(&self, name: &str) -> bool {
        self.validates_inner(name, &mut Vec::new())
    }

    fn validates_inner(&self, name: &str, stack: &mut Vec<String>) -> bool {
        if stack.iter().any(|s| s == name) {
            return false;
        }
        let Some(TypeInfo { kind: Kind::Struct { fields, origin: Origin::Named, .. }, .. }) = self.types.get(name) else {
            return false;
        };
        stack.push(name.to_owned());
        let r = fields.iter().any(|f| {
            f.validate.is_some()
                || f.required_if.is_some()
                || (f.required && matches!(parse_ty(&f.ty, f.type_name.as_deref()), Ok(Ty::Str | Ty::Secret)))
                || parse_ty(&f.ty, f.type_name.as_deref())
                    .ok()
                    .and_then(|t| inner_named(&t).map(str::to_owned))
                    .is_some_and(|n| self.validates_inner(&n, stack))
        });
        stack.pop();
        r
    }
}

/// The named type inside `T`, `list<T>`, `map<T>`.
pub fn inner_named(ty: &Ty) -> Option<&str> {
    match ty {
        Ty::Named(n) => Some(n),
        Ty::List(t) | Ty::Map(t) => inner_named(t),
        _ => None,
    }
}

/// Rust name of an inline response type.
pub fn inline_response_name(endpoint: &str, r: &InlineResponse) -> String {
    r.type_name.as_deref().map_or_else(|| format!("{}Response", names::pascal(endpoint)), names::type_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_expressions() {
        assert_eq!(parse_ty("list<u32>", None).unwrap(), Ty::List(Box::new(Ty::U32)));
        assert_eq!(parse_ty("map<list<string>>", None).unwrap(), Ty::Map(Box::new(Ty::List(Box::new(Ty::Str)))));
        assert_eq!(parse_ty("list<object>", Some("MtSpec")).unwrap(), Ty::List(Box::new(Ty::Named("MtSpec".into()))));
        assert_eq!(parse_ty("Party", None).unwrap(), Ty::Named("Party".into()));
        assert!(parse_ty("object", None).is_err());
        assert!(parse_ty("integer", None).is_err());
    }

    #[test]
    fn inline_types_are_registered_and_conflicts_caught() {
        let file = super::super::spec::parse(
            r#"
[[endpoints]]
name = "a"
method = "POST"
path = "/a"
params = [ { name = "mt", type = "object", type_name = "MtSpec", fields = [ { name = "x" } ] } ]
[[endpoints]]
name = "b"
method = "POST"
path = "/b"
params = [ { name = "mt", type = "list<object>", type_name = "MtSpec", fields = [ { name = "x" } ] } ]
"#,
        )
        .unwrap();
        let mut reg = Registry::default();
        reg.collect("m", "m.toml", &file).unwrap();
        assert!(reg.types.contains_key("MtSpec"));
        let mut bad = file.clone();
        bad.endpoints[1].params[0].fields[0].name = "y".into();
        let mut reg = Registry::default();
        let err = reg.collect("m", "m.toml", &bad).unwrap_err();
        assert!(format!("{err:#}").contains("defined twice"), "{err:#}");
    }
}
