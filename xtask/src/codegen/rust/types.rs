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
            // `#[model]` (conf-macros) turns these into serde attributes: strict unless
            // optional or `missing_ok`, lenient scalars unless `strict`, flag encodings.
            let mut wire = Vec::new();
            if fid.to_string().trim_start_matches("r#") != wire_of(f) {
                let w = lit(&wire_of(f));
                wire.push(quote!(rename = #w));
            }
            if f.missing_ok.is_some() {
                wire.push(quote!(missing_ok));
            } else if f.required && optional {
                wire.push(quote!(required));
            }
            if f.lenient == Some(false) {
                wire.push(quote!(strict));
            }
            if let (Ty::Bool, Some(enc)) = (&ty, f.encode.as_deref()) {
                ensure!(matches!(enc, "bool01" | "int01" | "boolyesno" | "booltruefalse"), "field `{}`: unknown encoding `{enc}`", f.name);
                let e = quote::format_ident!("{}", enc);
                wire.push(quote!(#e));
            }
            if let Ty::List(i) | Ty::Map(i) = &ty {
                ensure!(
                    !(matches!(**i, Ty::Secret) || (matches!(ty, Ty::Map(_)) && **i == Ty::Time)),
                    "field `{}`: maps of timestamps and lists or maps of secrets are not supported in structs",
                    f.name
                );
            }
            let attr = if wire.is_empty() { quote!() } else { quote!(#[wire(#(#wire),*)]) };
            defs.push(quote! {
                #fd
                #attr
                pub #fid: #full,
            });
        }
        let derive_eq = if eq { quote!(, PartialEq) } else { quote!() };
        let validate = if origin == Origin::Named && self.reg.struct_validates(&info.name) {
            let checks = self.validation(fields.iter(), true)?;
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
        let model = if origin == Origin::Response { quote!(#[model(response)]) } else { quote!(#[model]) };
        Ok(quote! {
            #d
            #model
            #[derive(Debug, Clone, Default #derive_eq)]
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
        for (vn, value, vdoc) in values {
            let v = names::type_ident(vn);
            let wire_text = value_text(value).unwrap_or_default();
            let vd = doc(&match vdoc {
                Some(t) => format!("{t} (wire `{wire_text}`)"),
                None => format!("Wire value `{wire_text}`."),
            });
            let wl = if int {
                let toml::Value::Integer(i) = value else { bail!("value `{vn}` is not an integer") };
                int_lit(i128::from(*i))
            } else {
                let l = lit(&wire_text);
                quote!(#l)
            };
            variants.push(quote!(#vd #[wire(#wl)] #v,));
        }
        let derive_copy = if int { quote!(Copy,) } else { quote!() };
        let unknown_ty = if int { quote!(i64) } else { quote!(String) };
        // `#[model]` (conf-macros) writes `value`, `from_value`, `Default`, `Display` and serde.
        Ok(quote! {
            #d
            #[model]
            #[derive(Debug, Clone, #derive_copy PartialEq, Eq, Hash)]
            pub enum #id {
                #(#variants)*
                /// A value this SDK does not know (kept as sent).
                Unknown(#unknown_ty),
            }
        })
    }
}
