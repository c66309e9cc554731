//! `#[wire(...)]` on fields and variants, and the doc text of an item.

use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta};

/// A field's `#[wire(...)]` settings.
#[derive(Debug, Default, Clone)]
pub struct FieldWire {
    /// The wire name, when it is not the field's.
    pub rename: Option<String>,
    /// Flag encoding: `int01`, `bool01`, `boolyesno` or `booltruefalse`.
    pub encode: Option<String>,
    /// Decoded strictly (no lenient conversions).
    pub strict: bool,
    /// A required reply field the vendor may omit (decoded as the default).
    pub missing_ok: bool,
    /// Must be present in a reply though its type is an `Option` (a time or a secret,
    /// which have no default; the vendor may still send `null`).
    pub required: bool,
    /// Request location: `path`, `query`, `header`, `form`, `params`, `json` or `multipart`.
    pub location: Option<String>,
    /// JSON text sent when the field is unset.
    pub default: Option<String>,
}

const ENCODINGS: [&str; 4] = ["int01", "bool01", "boolyesno", "booltruefalse"];
const LOCATIONS: [&str; 7] = ["path", "query", "header", "form", "params", "json", "multipart"];

/// Take the `#[wire(...)]` attributes out of `attrs`.
pub fn take_field_wire(attrs: &mut Vec<Attribute>) -> syn::Result<FieldWire> {
    let mut out = FieldWire::default();
    let mut err = None;
    attrs.retain(|a| {
        if !a.path().is_ident("wire") {
            return true;
        }
        let r = a.parse_nested_meta(|m| {
            let key = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
            match key.as_str() {
                "rename" => out.rename = Some(m.value()?.parse::<LitStr>()?.value()),
                "default" => out.default = Some(m.value()?.parse::<LitStr>()?.value()),
                "strict" => out.strict = true,
                "missing_ok" => out.missing_ok = true,
                "required" => out.required = true,
                k if ENCODINGS.contains(&k) => out.encode = Some(key.clone()),
                k if LOCATIONS.contains(&k) => out.location = Some(key.clone()),
                _ => return Err(m.error("unknown `wire` setting")),
            }
            Ok(())
        });
        if let Err(e) = r {
            err.get_or_insert(e);
        }
        false
    });
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Take a variant's `#[wire(1)]` / `#[wire("text")]` value.
pub fn take_variant_value(attrs: &mut Vec<Attribute>) -> syn::Result<Option<Lit>> {
    let mut value = None;
    let mut err = None;
    attrs.retain(|a| {
        if !a.path().is_ident("wire") {
            return true;
        }
        match a.parse_args::<Lit>() {
            Ok(l) => value = Some(l),
            Err(e) => {
                err.get_or_insert(e);
            }
        }
        false
    });
    match err {
        Some(e) => Err(e),
        None => Ok(value),
    }
}

/// The lines of an item's doc comments.
pub fn doc_lines(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
