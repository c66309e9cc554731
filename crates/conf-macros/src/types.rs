//! What a field's Rust type is, as far as the wire is concerned.

use syn::{GenericArgument, PathArguments, Type};

/// The wire kind of a type (`Option` stripped by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Float,
    Bool,
    /// `std::time::SystemTime`: Unix seconds on the wire.
    Time,
    /// `conf_core::DateTime`: its exact text.
    DateTime,
    Secret,
    /// `serde_json::Value`.
    Json,
    /// `FilePart`: a multipart file.
    File,
    /// A generated struct or enum.
    Named,
    List(Box<Kind>),
    Map(Box<Kind>),
}

impl Kind {
    /// A value decoded by the lenient scalar helpers.
    pub fn is_scalar(&self) -> bool {
        matches!(self, Kind::Str | Kind::Int | Kind::Float | Kind::Bool | Kind::Time | Kind::DateTime | Kind::Secret)
    }

    /// Times, date-times and secrets: always `Option` in structs.
    pub fn always_optional(&self) -> bool {
        matches!(self, Kind::Time | Kind::DateTime | Kind::Secret)
    }

    /// Setters take `impl Into<T>`.
    pub fn takes_into(&self) -> bool {
        matches!(self, Kind::Str | Kind::Secret)
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn generic_args(seg: &syn::PathSegment) -> Vec<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `Some(T)` for `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    generic_args(seg).first().copied()
}

/// The kind of `ty`.
pub fn kind(ty: &Type) -> Kind {
    let Some(seg) = last_segment(ty) else { return Kind::Named };
    let name = seg.ident.to_string();
    match name.as_str() {
        "String" => Kind::Str,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => Kind::Int,
        "f32" | "f64" => Kind::Float,
        "bool" => Kind::Bool,
        "SystemTime" => Kind::Time,
        "DateTime" => Kind::DateTime,
        "SecretString" => Kind::Secret,
        "Value" => Kind::Json,
        "FilePart" => Kind::File,
        "Vec" => Kind::List(Box::new(generic_args(seg).first().map_or(Kind::Named, |t| kind(t)))),
        "BTreeMap" | "HashMap" => Kind::Map(Box::new(generic_args(seg).get(1).map_or(Kind::Named, |t| kind(t)))),
        _ => Kind::Named,
    }
}
