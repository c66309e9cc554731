//! Named structs and enums.

use anyhow::{Context, Result, bail, ensure};
use proc_macro2::TokenStream;
use quote::quote;

use super::{ModuleGen, check_field, doc, field_doc, inner_is, int_lit, lit, wire_of};
use crate::codegen::model::{Kind, Origin, Ty, TypeInfo, parse_ty};
use crate::codegen::names;
use crate::codegen::spec::{Field, value_text};

impl ModuleGen<'_> {
    // ---------- named types ----------

    /// All types defined in this module.
    pub fn types(&self) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        for name in self.reg.order.get(self.module).into_iter().flatten() {
            let info = self.reg.get(name)?;
            let ts = match &info.kind {
                Kind::Struct { fields, origin, .. } => self.struct_def(info, fields, *origin),
                Kind::Enum { int, values } => self.enum_def(info, *int, values),
            };
            out.extend(ts.with_context(|| format!("type `{name}`"))?);
        }
        Ok(out)
    }

    pub(super) fn struct_def(&self, info: &TypeInfo, fields: &[Field], origin: Origin) -> Result<TokenStream> {
        let id = names::type_ident(&info.name);
        let d = doc(info.doc.as_deref().unwrap_or(&format!("`{}`.", info.name)));
        let mut eq = true;
        let mut defs = Vec::new();
        let mut seen = names::Deduper::default();
        for f in fields {
            let ty = parse_ty(&f.ty, f.type_name.as_deref()).with_context(|| format!("field `{}`", f.name))?;
            ensure!(!matches!(ty, Ty::File) && !inner_is(&ty, &Ty::File), "field `{}`: `file` is only for request parameters", f.name);
            eq &= self.reg.eq_ok(&ty);
            check_field(f, &ty, origin == Origin::Response)?;
            let wire = wire_of(f);
            let name = names::snake(&f.name);
            ensure!(seen.unique(&name) == name, "field `{}` appears twice", f.name);
            let fid = names::ident(&f.name);
            ensure!(f.missing_ok.is_none() || f.required, "field `{}`: `missing_ok` applies to required fields only", f.name);
            ensure!(
                f.required_if.is_none() || origin == Origin::Named,
                "field `{}`: `required_if` applies to request parameters and `[[types]]` only",
                f.name
            );
            ensure!(f.group.is_none() && f.require.is_none(), "`group` is expanded in endpoint params and `[[types]]` fields only");
            let mut text = field_doc(f, &wire);
            if let Some(why) = &f.missing_ok {
                text.push_str(&format!("\n\nLenient: a reply without it decodes as the default ({why})."));
            }
            let fd = doc(&text);
            // Times and secrets have no default: always optional in structs (a required one
            // must still be present in a reply, but may be `null`).
            let optional = !f.required || matches!(ty, Ty::Time | Ty::DateTime | Ty::Secret);
            let rt = self.rust_ty(&ty)?;
            let full = if optional { quote!(Option<#rt>) } else { rt };
            // serde names a field after its Rust name (without `r#`): rename only when they differ.
            let mut attrs = if fid.to_string().trim_start_matches("r#") == wire { vec![] } else { vec![quote!(rename = #wire)] };
            // Strict: a missing required field is a decode error naming it (serde's
            // "missing field"), unless the spec says why the vendor may omit it.
            if !f.required || f.missing_ok.is_some() {
                attrs.push(quote!(default));
            }
            if optional {
                attrs.push(quote!(skip_serializing_if = "Option::is_none"));
            }
            let lenient = f.lenient.unwrap_or(true);
            if let Some(de) = de_helper(&ty, optional, lenient) {
                let p = format!("super::support::{de}");
                attrs.push(quote!(deserialize_with = #p));
            }
            match (&ty, origin) {
                (Ty::Secret, Origin::Response) => attrs.push(quote!(skip_serializing)),
                (Ty::Secret, Origin::Named) => attrs.push(quote!(serialize_with = "super::support::ser_opt_secret")),
                (Ty::Time, _) => attrs.push(quote!(serialize_with = "super::support::ser_opt_time")),
                (Ty::Bool, _) if f.encode.is_some() => {
                    let enc = f.encode.as_deref().unwrap_or_default();
                    ensure!(
                        matches!(enc, "bool01" | "int01" | "boolyesno" | "booltruefalse"),
                        "field `{}`: unknown encoding `{enc}`",
                        f.name
                    );
                    let p = if optional { format!("super::support::ser_opt_{enc}") } else { format!("super::support::ser_{enc}") };
                    attrs.push(quote!(serialize_with = #p));
                }
                (Ty::List(i), _) if **i == Ty::Time => {
                    let p = if optional { "super::support::ser_opt_time_list" } else { "super::support::ser_time_list" };
                    attrs.push(quote!(serialize_with = #p));
                }
                (Ty::List(i) | Ty::Map(i), _) if matches!(**i, Ty::Secret | Ty::Time) => {
                    bail!("field `{}`: maps of timestamps and lists or maps of secrets are not supported in structs", f.name)
                }
                _ => {}
            }
            let attr = if attrs.is_empty() { quote!() } else { quote!(#[serde(#(#attrs),*)]) };
            defs.push(quote! {
                #fd
                #attr
                pub #fid: #full,
            });
        }
        let derive_eq = if eq { quote!(, PartialEq) } else { quote!() };
        let validate = if origin == Origin::Named && self.reg.struct_validates(&info.name) {
            let checks = self.validation(fields.iter().map(|f| (f, quote!(self), false)), true)?;
            quote! {
                impl #id {
                    /// Check every validation rule of this object.
                    pub fn validate(&self) -> conf_core::Result<()> {
                        #checks
                        Ok(())
                    }
                }
            }
        } else {
            quote!()
        };
        Ok(quote! {
            #d
            #[derive(Debug, Clone, Default #derive_eq, conf_core::__private::serde::Serialize, conf_core::__private::serde::Deserialize)]
            #[serde(crate = "conf_core::__private::serde")]
            pub struct #id {
                #(#defs)*
            }
            #validate
        })
    }

    #[allow(clippy::unused_self)]
    pub(super) fn enum_def(&self, info: &TypeInfo, int: bool, values: &[(String, toml::Value, Option<String>)]) -> Result<TokenStream> {
        let id = names::type_ident(&info.name);
        let d = doc(info.doc.as_deref().unwrap_or(&format!("`{}`.", info.name)));
        let mut variants = Vec::new();
        let mut to_wire = Vec::new();
        let mut from_wire = Vec::new();
        for (vn, value, vdoc) in values {
            let v = names::type_ident(vn);
            let wire_text = value_text(value).unwrap_or_default();
            let vd = doc(&match vdoc {
                Some(t) => format!("{t} (wire `{wire_text}`)"),
                None => format!("Wire value `{wire_text}`."),
            });
            variants.push(quote!(#vd #v,));
            let wl = if int {
                let toml::Value::Integer(i) = value else { bail!("value `{vn}` is not an integer") };
                int_lit(i128::from(*i))
            } else {
                let l = lit(&wire_text);
                quote!(#l)
            };
            to_wire.push(quote!(Self::#v => #wl,));
            from_wire.push(quote!(#wl => Self::#v,));
        }
        let derive_copy = if int { quote!(Copy,) } else { quote!() };
        let (unknown_ty, value_ret, from_arg, unknown_to, other_to, ser, de, disp) = if int {
            (
                quote!(i64),
                quote!(i64),
                quote!(value: i64),
                quote!(Self::Unknown(v) => *v,),
                quote!(other => Self::Unknown(other),),
                quote!(s.serialize_i64(self.value())),
                quote!(conf_core::de::i64_lenient(d).map(Self::from_value)),
                quote!(write!(f, "{}", self.value())),
            )
        } else {
            (
                quote!(String),
                quote!(&str),
                quote!(value: &str),
                quote!(Self::Unknown(v) => v,),
                quote!(other => Self::Unknown(other.to_owned()),),
                quote!(s.serialize_str(self.value())),
                quote!(conf_core::de::string_lenient(d).map(|v| Self::from_value(&v))),
                quote!(f.write_str(self.value())),
            )
        };
        let unknown_default = if int { quote!(Self::Unknown(0)) } else { quote!(Self::Unknown(String::new())) };
        Ok(quote! {
            #d
            #[derive(Debug, Clone, #derive_copy PartialEq, Eq, Hash)]
            pub enum #id {
                #(#variants)*
                /// A value this SDK does not know (kept as sent).
                Unknown(#unknown_ty),
            }

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
                    #unknown_default
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
}

/// The `deserialize_with` helper of a struct field, if any.
fn de_helper(ty: &Ty, optional: bool, lenient: bool) -> Option<&'static str> {
    let scalar =
        |t: &Ty| matches!(t, Ty::Str | Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F64 | Ty::Bool | Ty::Time | Ty::DateTime | Ty::Secret);
    Some(match ty {
        Ty::Time | Ty::DateTime | Ty::Secret => "opt",
        t if scalar(t) && !lenient => return None,
        t if scalar(t) => {
            if optional {
                "opt"
            } else {
                "req"
            }
        }
        Ty::List(i) if scalar(i) && (lenient || matches!(**i, Ty::Time | Ty::DateTime | Ty::Secret)) => {
            if optional {
                "opt_list"
            } else {
                "req_list"
            }
        }
        Ty::Map(i) if scalar(i) && (lenient || matches!(**i, Ty::Time | Ty::DateTime | Ty::Secret)) => {
            if optional {
                "opt_map"
            } else {
                "req_map"
            }
        }
        Ty::Json => return None,
        _ if !lenient => return None,
        _ => {
            if optional {
                "opt_any"
            } else {
                "req_any"
            }
        }
    })
}
