//! `#[model]`: serde for generated structs (replies and nested objects) and open enums.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Data, DeriveInput, Fields, Lit};

use crate::attrs::{take_field_wire, take_variant_value};
use crate::types::{Kind, kind, option_inner};

const SUPPORT: &str = "conf_core::codegen";

pub fn expand(args: TokenStream, mut input: DeriveInput) -> syn::Result<TokenStream> {
    let mut response = false;
    let parser = syn::meta::parser(|m| {
        if m.path.is_ident("response") {
            response = true;
            Ok(())
        } else {
            Err(m.error("expected `response`"))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    match &mut input.data {
        Data::Struct(_) => structure(input, response),
        Data::Enum(_) => open_enum(input),
        Data::Union(_) => Err(syn::Error::new_spanned(&input.ident, "`#[model]` takes a struct or an enum")),
    }
}

/// The serde attributes of one struct field: strict unless the field is optional or
/// `missing_ok`; lenient scalar decoding unless `strict`; the spec's flag, time and secret
/// encodings when serialized.
fn structure(mut input: DeriveInput, response: bool) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &mut input.data else { unreachable!() };
    let Fields::Named(fields) = &mut data.fields else {
        return Err(syn::Error::new_spanned(&input.ident, "`#[model]` needs named fields"));
    };
    for f in &mut fields.named {
        let w = take_field_wire(&mut f.attrs)?;
        let optional = option_inner(&f.ty).is_some();
        let k = kind(option_inner(&f.ty).unwrap_or(&f.ty));
        let mut attrs: Vec<TokenStream> = Vec::new();
        if let Some(r) = &w.rename {
            attrs.push(quote!(rename = #r));
        }
        if (optional && !w.required) || w.missing_ok {
            attrs.push(quote!(default));
        }
        if optional {
            attrs.push(quote!(skip_serializing_if = "Option::is_none"));
        }
        if let Some(de) = de_helper(&k, optional, !w.strict) {
            let p = format!("{SUPPORT}::{de}");
            attrs.push(quote!(deserialize_with = #p));
        }
        let opt = if optional { "opt_" } else { "" };
        let ser = match (&k, &w.encode) {
            (Kind::Secret, _) if response => {
                attrs.push(quote!(skip_serializing));
                None
            }
            (Kind::Secret, _) => Some(format!("ser_{opt}secret")),
            (Kind::Time, _) => Some(format!("ser_{opt}time")),
            (Kind::Bool, Some(enc)) => Some(format!("ser_{opt}{enc}")),
            (Kind::List(i), _) if **i == Kind::Time => Some(format!("ser_{opt}time_list")),
            (Kind::List(i) | Kind::Map(i), _) if matches!(**i, Kind::Secret | Kind::Time) => {
                return Err(syn::Error::new_spanned(&f.ty, "lists or maps of secrets and maps of times are not supported"));
            }
            _ => None,
        };
        if let Some(s) = ser {
            let p = format!("{SUPPORT}::{s}");
            attrs.push(quote!(serialize_with = #p));
        }
        if !attrs.is_empty() {
            f.attrs.push(syn::parse_quote!(#[serde(#(#attrs),*)]));
        }
    }
    Ok(quote! {
        #[derive(conf_core::__private::serde::Serialize, conf_core::__private::serde::Deserialize)]
        #[serde(crate = "conf_core::__private::serde")]
        #input
    })
}

/// The `deserialize_with` helper of a field, if any.
fn de_helper(k: &Kind, optional: bool, lenient: bool) -> Option<&'static str> {
    let pick = |o: &'static str, r: &'static str| Some(if optional { o } else { r });
    match k {
        k if k.always_optional() => Some("opt"),
        k if k.is_scalar() && !lenient => None,
        k if k.is_scalar() => pick("opt", "req"),
        Kind::List(i) if i.is_scalar() && (lenient || i.always_optional()) => pick("opt_list", "req_list"),
        Kind::Map(i) if i.is_scalar() && (lenient || i.always_optional()) => pick("opt_map", "req_map"),
        Kind::Json => None,
        _ if !lenient => None,
        _ => pick("opt_any", "req_any"),
    }
}

/// An open enum: listed variants carry `#[wire(value)]`; `Unknown(i64)` or
/// `Unknown(String)` keeps any other value.
fn open_enum(mut input: DeriveInput) -> syn::Result<TokenStream> {
    let id = input.ident.clone();
    let Data::Enum(data) = &mut input.data else { unreachable!() };
    let mut to_wire = Vec::new();
    let mut from_wire = Vec::new();
    let mut int = None;
    let mut unknown = false;
    for v in &mut data.variants {
        let vid = v.ident.clone();
        match take_variant_value(&mut v.attrs)? {
            Some(lit) => {
                let is_int = matches!(lit, Lit::Int(_));
                if !is_int && !matches!(lit, Lit::Str(_)) {
                    return Err(syn::Error::new_spanned(lit, "a wire value is an integer or a string"));
                }
                if *int.get_or_insert(is_int) != is_int {
                    return Err(syn::Error::new_spanned(lit, "all wire values have one type"));
                }
                to_wire.push(quote!(Self::#vid => #lit,));
                from_wire.push(quote!(#lit => Self::#vid,));
            }
            None if vid == "Unknown" => unknown = true,
            None => return Err(syn::Error::new_spanned(&v.ident, "a variant needs `#[wire(value)]`")),
        }
    }
    if !unknown {
        return Err(syn::Error::new_spanned(&id, "an open enum ends with `Unknown(i64)` or `Unknown(String)`"));
    }
    let int = int.unwrap_or(true);
    let (value_ret, from_arg, unknown_to, other_to, ser, de, disp, default) = if int {
        (
            quote!(i64),
            quote!(value: i64),
            quote!(Self::Unknown(v) => *v,),
            quote!(other => Self::Unknown(other),),
            quote!(s.serialize_i64(self.value())),
            quote!(conf_core::de::i64_lenient(d).map(Self::from_value)),
            quote!(write!(f, "{}", self.value())),
            quote!(Self::Unknown(0)),
        )
    } else {
        (
            quote!(&str),
            quote!(value: &str),
            quote!(Self::Unknown(v) => v,),
            quote!(other => Self::Unknown(other.to_owned()),),
            quote!(s.serialize_str(self.value())),
            quote!(conf_core::de::string_lenient(d).map(|v| Self::from_value(&v))),
            quote!(f.write_str(self.value())),
            quote!(Self::Unknown(String::new())),
        )
    };
    let input = input.into_token_stream();
    Ok(quote! {
        #input

        impl #id {
            /// The wire value.
            pub fn value(&self) -> #value_ret {
                match self {
                    #(#to_wire)*
                    #unknown_to
                }
            }

            /// The variant for a wire value (`Unknown` when not listed).
            pub fn from_value(#from_arg) -> Self {
                match value {
                    #(#from_wire)*
                    #other_to
                }
            }
        }

        impl Default for #id {
            /// `Unknown`: the value of a missing field.
            fn default() -> Self {
                #default
            }
        }

        impl std::fmt::Display for #id {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                #disp
            }
        }

        impl conf_core::__private::serde::Serialize for #id {
            fn serialize<S: conf_core::__private::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                #ser
            }
        }

        impl<'de> conf_core::__private::serde::Deserialize<'de> for #id {
            fn deserialize<D: conf_core::__private::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #de
            }
        }
    })
}
