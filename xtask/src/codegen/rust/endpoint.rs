//! Request types, `into_operation`, fluent builders, client methods and paginators.

use anyhow::{Context, Result, bail, ensure};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{
    BodyKind, Loc, MAX_ARGS, ModuleGen, Param, check_field, complete_params, doc, endpoint_shape, field_doc, float_lit, group_ident,
    inner_is, int_lit, lit, method_name, path_placeholders, wire_of,
};
use crate::codegen::model::{Kind, Ty, inline_response_name, inner_named, parse_ty};
use crate::codegen::names;
use crate::codegen::spec::{Endpoint, Field, ResponseSpec, Validate, value_text};

impl ModuleGen<'_> {
    // ---------- validation ----------

    /// Checks for fields of `owner` (`self`). `nested` = inside a struct's own validate().
    /// The `bool` of each field says it fills a path segment (an empty one would address
    /// another resource, so a required path value must not be empty).
    pub(super) fn validation<'f>(&self, fields: impl Iterator<Item = (&'f Field, TokenStream, bool)>, nested: bool) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        let fields: Vec<_> = fields.collect();
        for (f, owner, in_path) in fields.iter().cloned() {
            let ty = parse_ty(&f.ty, f.type_name.as_deref())?;
            let fid = names::ident(&f.name);
            let wire = wire_of(f);
            let optional = !f.required || (nested && matches!(ty, Ty::Time | Ty::DateTime | Ty::Secret));
            let checks = self
                .value_checks(&ty, f.validate.as_ref(), f.required && in_path, &wire, quote!(v))
                .with_context(|| format!("field `{}`", f.name))?;
            if checks.is_empty() {
                continue;
            }
            if optional {
                out.extend(quote!(if let Some(v) = &#owner.#fid { #checks }));
            } else {
                out.extend(quote!({ let v = &#owner.#fid; #checks }));
            }
        }
        // `required_if` (rust/rules.rs).
        let pairs: Vec<(&Field, TokenStream)> = fields.iter().map(|(f, o, _)| (*f, o.clone())).collect();
        out.extend(self.conditional_checks(&pairs, nested)?);
        Ok(out)
    }

    /// The checks of one value. Text is never trimmed: whitespace is a value like any other.
    /// An empty text is refused only where the spec says so (`non_empty`, `min_len`) or
    /// where it fills a path segment (`path_segment`); a required field is otherwise only
    /// required to be present, which its type already ensures.
    pub(super) fn value_checks(
        &self,
        ty: &Ty,
        rules: Option<&Validate>,
        path_segment: bool,
        wire: &str,
        v: TokenStream,
    ) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        let r = rules.cloned().unwrap_or_default();
        let wl = lit(wire);
        let opt_usize = |x: Option<u64>| match x {
            Some(n) => {
                let l = int_lit(i128::from(n));
                quote!(Some(#l))
            }
            None => quote!(None),
        };
        let text = match ty {
            Ty::Str => Some(quote!(#v.as_str())),
            Ty::Secret => Some(quote!(conf_core::ExposeSecret::expose_secret(#v))),
            _ => None,
        };
        let sized = text.is_some() || matches!(ty, Ty::List(_) | Ty::Map(_));
        ensure!(
            sized || !(r.non_empty || r.min_len.is_some() || r.max_len.is_some()),
            "`non_empty`/`min_len`/`max_len` need a string, list or map field"
        );
        // Byte lengths and character sets (rust/rules.rs).
        ensure!(
            text.is_some() || !super::rules::has_text_rules(&r),
            "`min_bytes`/`max_bytes`/`chars`/`not_chars`/`not_edge_chars` need a string field"
        );
        if let Some(text) = &text {
            out.extend(super::rules::text_rules(&r, text, wire));
        }
        if let Some(text) = &text {
            if path_segment || r.non_empty {
                out.extend(quote!(super::support::non_empty(#wl, #text)?;));
            }
            if r.min_len.is_some() || r.max_len.is_some() {
                let (a, b) = (opt_usize(r.min_len), opt_usize(r.max_len));
                out.extend(quote!(super::support::len_range(#wl, #text.chars().count(), #a, #b)?;));
            }
        }
        if matches!(ty, Ty::List(_) | Ty::Map(_)) {
            if r.non_empty {
                out.extend(quote!(super::support::len_range(#wl, #v.len(), Some(1), None)?;));
            }
            if r.min_len.is_some() || r.max_len.is_some() {
                let (a, b) = (opt_usize(r.min_len), opt_usize(r.max_len));
                out.extend(quote!(super::support::len_range(#wl, #v.len(), #a, #b)?;));
            }
        }
        if r.min.is_some() || r.max.is_some() {
            if ty.is_int() {
                let bound = |b: &Option<toml::Value>| -> Result<TokenStream> {
                    Ok(match b {
                        None => quote!(None),
                        Some(toml::Value::Integer(i)) => {
                            let l = int_lit(i128::from(*i));
                            quote!(Some(#l))
                        }
                        Some(other) => bail!("`min`/`max` of an integer field must be an integer, got {other}"),
                    })
                };
                let (a, b) = (bound(&r.min)?, bound(&r.max)?);
                out.extend(quote!(super::support::int_range(#wl, i128::from(*#v), #a, #b)?;));
            } else if *ty == Ty::F64 {
                let bound = |b: &Option<toml::Value>| -> Result<TokenStream> {
                    Ok(match b {
                        None => quote!(None),
                        Some(toml::Value::Integer(i)) => {
                            let l = float_lit(*i as f64);
                            quote!(Some(#l))
                        }
                        Some(toml::Value::Float(x)) => {
                            let l = float_lit(*x);
                            quote!(Some(#l))
                        }
                        Some(other) => bail!("`min`/`max` must be a number, got {other}"),
                    })
                };
                let (a, b) = (bound(&r.min)?, bound(&r.max)?);
                out.extend(quote!(super::support::float_range(#wl, *#v, #a, #b)?;));
            } else {
                bail!("`min`/`max` need a numeric field (use `min_len`/`max_len` for lengths)");
            }
        }
        if let Some(allowed) = &r.one_of {
            ensure!(*ty != Ty::Secret, "`one_of` on a secret would quote it in errors");
            let allowed: Vec<String> = allowed.iter().map(|a| value_text(a).context("`one_of` takes scalars")).collect::<Result<_>>()?;
            let text = match ty {
                Ty::Str | Ty::Secret => text.clone().expect("text"),
                t if t.is_scalar(self.reg) => quote!(#v.to_string().as_str()),
                _ => bail!("`one_of` needs a scalar field"),
            };
            out.extend(quote!(super::support::one_of(#wl, #text, &[#(#allowed),*])?;));
        }
        if let Some(n) = inner_named(ty) {
            if self.reg.struct_validates(n) {
                out.extend(match ty {
                    Ty::Named(_) => quote!(#v.validate()?;),
                    Ty::List(_) => quote!(for item in #v { item.validate()?; }),
                    Ty::Map(_) => quote!(for item in #v.values() { item.validate()?; }),
                    _ => quote!(),
                });
            }
        }
        Ok(out)
    }

    // ---------- encodings ----------

    /// A `String` holding the wire text of `v` (a reference to a value of `ty`).
    pub(super) fn text(&self, ty: &Ty, encode: Option<&str>, wire: &str, v: &TokenStream) -> Result<TokenStream> {
        Ok(match ty {
            Ty::Str => quote!(#v.clone()),
            Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F64 | Ty::Json | Ty::DateTime => quote!(#v.to_string()),
            Ty::Bool => match encode {
                Some("bool01" | "int01") => quote!(String::from(if *#v { "1" } else { "0" })),
                Some("boolyesno") => quote!(String::from(if *#v { "yes" } else { "no" })),
                Some("booltruefalse") | None => quote!(#v.to_string()),
                Some(other) => bail!("unknown encoding `{other}` (bool01 | boolyesno | booltruefalse)"),
            },
            Ty::Time => quote!(super::support::unix_secs(#v).to_string()),
            Ty::Secret => quote!(conf_core::ExposeSecret::expose_secret(#v).to_owned()),
            Ty::File => bail!("a `file` can only be sent in a multipart body"),
            Ty::Named(n) if self.reg.is_enum(n) => quote!(#v.to_string()),
            Ty::Named(_) | Ty::List(_) | Ty::Map(_) => {
                let w = lit(wire);
                quote!(super::support::json_text(#w, #v)?)
            }
        })
    }

    /// An expression usable as `&str` for the wire text of `v`.
    pub(super) fn text_ref(&self, ty: &Ty, encode: Option<&str>, wire: &str, v: &TokenStream) -> Result<TokenStream> {
        Ok(match ty {
            Ty::Str => quote!(#v.as_str()),
            Ty::Secret => quote!(conf_core::ExposeSecret::expose_secret(#v)),
            Ty::List(inner) if inner.is_scalar(self.reg) => {
                let t = self.text(inner, encode, wire, &quote!(x))?;
                quote!(#v.iter().map(|x| #t).collect::<Vec<String>>().join(",").as_str())
            }
            _ => {
                let t = self.text(ty, encode, wire, v)?;
                quote!(#t.as_str())
            }
        })
    }

    /// A reference to something `Serialize` holding the JSON form of `v`.
    #[allow(clippy::unused_self)]
    pub(super) fn json_ref(&self, ty: &Ty, encode: Option<&str>, v: &TokenStream) -> Result<TokenStream> {
        let conv = |t: &Ty, x: &TokenStream| -> Result<Option<TokenStream>> {
            Ok(match t {
                Ty::Time => Some(quote!(super::support::unix_secs(#x))),
                Ty::Secret => Some(quote!(conf_core::ExposeSecret::expose_secret(#x))),
                Ty::Bool => match encode {
                    Some("bool01") => Some(quote!(if *#x { "1" } else { "0" })),
                    Some("int01") => Some(quote!(u8::from(*#x))),
                    Some("boolyesno") => Some(quote!(if *#x { "yes" } else { "no" })),
                    Some("booltruefalse") => Some(quote!(if *#x { "true" } else { "false" })),
                    None => None,
                    Some(other) => bail!("unknown encoding `{other}`"),
                },
                Ty::File => bail!("a `file` can only be sent in a multipart body"),
                _ => None,
            })
        };
        Ok(match ty {
            Ty::List(inner) if **inner == Ty::Time => quote!(&#v.iter().map(super::support::unix_secs).collect::<Vec<_>>()),
            Ty::List(inner) if **inner == Ty::Secret => quote!(&#v.iter().map(conf_core::ExposeSecret::expose_secret).collect::<Vec<_>>()),
            Ty::List(inner) => match conv(inner, &quote!(x))? {
                Some(c) => quote!(&#v.iter().map(|x| #c).collect::<Vec<_>>()),
                None => quote!(#v),
            },
            Ty::Map(inner) => match conv(inner, &quote!(x))? {
                Some(c) => quote!(&#v.iter().map(|(k, x)| (k, #c)).collect::<std::collections::BTreeMap<_, _>>()),
                None => quote!(#v),
            },
            Ty::Time => {
                let c = conv(ty, v)?.expect("time");
                quote!(&#c)
            }
            _ => match conv(ty, v)? {
                // `int01` makes a number, not a reference.
                Some(c) if *ty == Ty::Bool && encode == Some("int01") => quote!(&#c),
                Some(c) => c,
                None => quote!(#v),
            },
        })
    }

    pub(super) fn json_default(ty: &Ty, default: &toml::Value) -> Result<String> {
        let text = value_text(default).context("`default` must be a scalar")?;
        Ok(match ty {
            t if t.is_int() => {
                text.parse::<i128>().with_context(|| format!("default `{text}` is not an integer"))?;
                text
            }
            Ty::F64 => {
                text.parse::<f64>().with_context(|| format!("default `{text}` is not a number"))?;
                text
            }
            Ty::Bool if matches!(default, toml::Value::Boolean(_)) => text,
            _ => serde_json::to_string(&text)?,
        })
    }

    // ---------- endpoints ----------

    /// Request type, its impls, the inline response and the client methods of one endpoint.
    pub fn endpoint(&self, ep: &Endpoint) -> Result<TokenStream> {
        let (method, body, idempotent) = endpoint_shape(ep)?;
        let fields = complete_params(ep)?;
        let placeholders = path_placeholders(&ep.path)?;
        let mut params = Vec::new();
        let mut seen = names::Deduper::default();
        for reserved in
            ["new", "validate", "into_operation", "builder", "build", "send", "into_paginator", "handle", "with_handle", "into_parts"]
        {
            seen.reserve(reserved);
        }
        for f in &fields {
            let ty = parse_ty(&f.ty, f.type_name.as_deref()).with_context(|| format!("param `{}`", f.name))?;
            let wire = wire_of(f);
            check_field(f, &ty, false)?;
            let is_placeholder = placeholders.iter().any(|p| *p == wire || *p == f.name);
            let loc = match f.location.as_deref() {
                Some("path") => Loc::Path,
                None if is_placeholder => Loc::Path,
                Some("query") => Loc::Query,
                Some("header") => Loc::Header,
                Some("params") => {
                    ensure!(body == BodyKind::ParamsJson, "param `{}`: `in = \"params\"` needs `body = \"params_json\"`", f.name);
                    Loc::Params
                }
                Some("body") | None => match body {
                    BodyKind::None => bail!("param `{}` is in the body but the endpoint has `body = \"none\"`", f.name),
                    BodyKind::Query => Loc::Query,
                    BodyKind::Form | BodyKind::ParamsJson => Loc::Form,
                    BodyKind::Json => Loc::Json,
                    BodyKind::Multipart => Loc::Multipart,
                },
                Some(other) => bail!("param `{}`: unknown `in = \"{other}\"` (path | query | body | header | params)", f.name),
            };
            if loc == Loc::Path {
                ensure!(is_placeholder, "param `{}` is `in = \"path\"` but the path has no `{{{wire}}}`", f.name);
                ensure!(f.required, "path param `{}` must be required", f.name);
            }
            if matches!(ty, Ty::File) || inner_is(&ty, &Ty::File) {
                ensure!(loc == Loc::Multipart, "param `{}`: a `file` needs `body = \"multipart\"`", f.name);
            }
            let ident = names::ident(&f.name);
            let plain = ident.to_string();
            ensure!(
                seen.unique(plain.trim_start_matches("r#")) == plain.trim_start_matches("r#"),
                "param `{}` clashes with another param or a method name",
                f.name
            );
            params.push(Param { f, ident, wire, ty, loc });
        }
        for ph in &placeholders {
            ensure!(
                params.iter().any(|p| p.loc == Loc::Path && (p.wire == *ph || p.f.name == *ph)),
                "no param for path placeholder `{ph}`"
            );
        }

        let pascal = names::pascal(&ep.name);
        let req_id = format_ident!("{}Request", pascal);
        let method_id = names::ident(&method_name(&ep.name, self.service.group.as_deref()));
        let op_name = ep.wire_name.clone().unwrap_or_else(|| ep.name.clone());

        // ----- struct, builder -----
        let mut field_defs = Vec::new();
        let mut ctor_args = Vec::new();
        let mut ctor_inits = Vec::new();
        let mut setters = Vec::new();
        let mut b_fields = Vec::new();
        let mut b_setters = Vec::new();
        let mut b_inits = Vec::new();
        let mut eq = true;
        for p in &params {
            let rt = self.rust_ty(&p.ty)?;
            eq &= self.reg.eq_ok(&p.ty);
            let mut d = field_doc(p.f, &p.wire);
            if let Some(def) = &p.f.default {
                d.push_str(&format!(" Default when unset: `{}`.", value_text(def).unwrap_or_default()));
            }
            let fd = doc(&d);
            let id = &p.ident;
            let into = matches!(p.ty, Ty::Str | Ty::Secret);
            let (arg, val) = if into { (quote!(impl Into<#rt>), quote!(value.into())) } else { (quote!(#rt), quote!(value)) };
            let setter = id.to_string().trim_start_matches("r#").to_owned();
            // One line (the field's first); the full text is on the request's field.
            let first = d.trim().lines().next().unwrap_or_default().trim_end().to_owned();
            let bd = doc(&format!("{first}{}", if p.f.required { " Required." } else { "" }));
            b_fields.push(quote!(#id: Option<#rt>,));
            b_setters.push(quote! {
                #bd
                pub fn #id(mut self, value: #arg) -> Self {
                    self.fields.#id = Some(#val);
                    self
                }
            });
            if p.f.required {
                field_defs.push(quote!(#fd pub #id: #rt,));
                if into {
                    ctor_args.push(quote!(#id: impl Into<#rt>));
                    ctor_inits.push(quote!(#id: #id.into(),));
                } else {
                    ctor_args.push(quote!(#id: #rt));
                    ctor_inits.push(quote!(#id,));
                }
                let (wl, sl) = (lit(&p.wire), lit(&setter));
                b_inits.push(quote!(#id: super::support::required(self.#id, #wl, #sl)?,));
            } else {
                field_defs.push(quote!(#fd pub #id: Option<#rt>,));
                ctor_inits.push(quote!(#id: None,));
                let sd = doc(&format!("Set `{}`.", p.wire));
                setters.push(quote! {
                    #sd
                    pub fn #id(mut self, value: #arg) -> Self {
                        self.#id = Some(#val);
                        self
                    }
                });
                b_inits.push(quote!(#id: self.#id,));
            }
        }
        let all_optional = params.iter().all(|p| !p.f.required);
        let derive_default = if all_optional { quote!(, Default) } else { quote!() };
        let derive_eq = if eq { quote!(, PartialEq) } else { quote!() };
        let req_doc = doc(&format!(
            "Request of `{}` (`{} {}`).{}\n\nBuild it with [`{req_id}::builder`]{}, or call the client's fluent `{}()` builder.",
            op_name,
            ep.method_override.as_deref().unwrap_or(&method).to_ascii_uppercase(),
            ep.path,
            ep.doc.as_deref().map(|d| format!("\n\n{d}")).unwrap_or_default(),
            if ctor_args.len() <= MAX_ARGS { format!(" or [`{req_id}::new`]") } else { String::new() },
            method_id.to_string().trim_start_matches("r#"),
        ));
        // No public function takes more than `MAX_ARGS` arguments: with more required
        // fields, the builder is the only constructor.
        let ctor = if ctor_args.len() <= MAX_ARGS {
            quote! {
                /// A request with the required fields; optional fields are unset.
                pub fn new(#(#ctor_args),*) -> Self {
                    Self { #(#ctor_inits)* }
                }
            }
        } else {
            quote!()
        };
        let builder_id = format_ident!("{}RequestBuilder", pascal);
        let fields_id = format_ident!("{}RequestFields", pascal);
        let unused_self = if params.is_empty() { quote!(#[allow(clippy::unused_self)]) } else { quote!() };
        let builder_doc = doc(&format!(
            "Builder of [`{req_id}`]: from [`{req_id}::builder`] (finish with `build()`), or from the client's `{}()` (finish with `send()`). A setter per field; a required field left unset is `Error::InvalidInput` naming it, before anything is sent.",
            method_id.to_string().trim_start_matches("r#"),
        ));
        // ----- validate -----
        let checks = self.validation(params.iter().map(|p| (p.f, quote!(self), p.loc == Loc::Path)), false)?;
        let validate = if checks.is_empty() {
            quote! {
                /// Check every validation rule (this request has none).
                #[allow(clippy::unused_self)]
                pub fn validate(&self) -> conf_core::Result<()> {
                    Ok(())
                }
            }
        } else {
            quote! {
                /// Check every validation rule; nothing is sent when one fails.
                pub fn validate(&self) -> conf_core::Result<()> {
                    #checks
                    Ok(())
                }
            }
        };

        // ----- into_operation -----
        let into_op = self.operation_fn(ep, &params, &method, body, idempotent, &op_name)?;

        // ----- client methods -----
        let client = self.client_path();
        let decode: syn::Path = syn::parse_str(&self.service.decode).with_context(|| format!("`decode` = `{}`", self.service.decode))?;
        let (resp_ty, resp_items) = self.response(ep)?;
        let op_doc = {
            let mut d = ep.doc.clone().unwrap_or_else(|| format!("Call `{op_name}`."));
            d.push_str(&format!(
                "\n\n`{} {}`{}",
                ep.method_override.as_deref().unwrap_or(&method).to_ascii_uppercase(),
                ep.path,
                ep.wire_name.as_deref().map(|w| format!(" (vendor name `{w}`)")).unwrap_or_default()
            ));
            doc(&d)
        };
        let deserialize = match &resp_ty {
            Resp::Unit => quote! {
                |op, response| {
                    let _: conf_core::__private::serde::de::IgnoredAny = #decode(op, response)?;
                    Ok(())
                }
            },
            Resp::Bytes => quote!(|_, response| Ok(response.body.clone())),
            Resp::Typed(_) => quote!(#decode),
        };
        let ret = resp_ty.tokens();
        let paged = match (&ep.paged, resp_items) {
            (None, _) => quote!(),
            (Some(kind), Some((items, total))) => self.paged_impl(kind, &params, (&req_id, &builder_id), &ret, &items, &total)?,
            (Some(_), None) => bail!("a paged endpoint needs a response type that declares `items` and `total`"),
        };
        // A group handle is `Copy`: `_with` takes it by value, so its future borrows the
        // client, not a temporary handle (`client.mc().x_with(req)` can be returned).
        let (handle_impl, handle_ty, handle_val, with_self, with_ref) = match &self.service.group {
            Some(g) => {
                let g = group_ident(g);
                (quote!(impl<'a> #g<'a>), quote!(#g<'a>), quote!(*self), quote!(self), quote!(&self))
            }
            None => (quote!(impl #client), quote!(&Self), quote!(self), quote!(&self), quote!(self)),
        };
        let with_id = format_ident!("{}_with", method_id.to_string().trim_start_matches("r#"));
        let with_doc = doc(&format!(
            "Send a [`{req_id}`] built elsewhere: the same call as `{}()`…`.send()`.",
            method_id.to_string().trim_start_matches("r#")
        ));

        Ok(quote! {
            #req_doc
            #[derive(Debug, Clone #derive_default #derive_eq)]
            #[non_exhaustive]
            pub struct #req_id {
                #(#field_defs)*
            }

            impl #req_id {
                #ctor

                /// A builder with every field unset.
                pub fn builder() -> #builder_id {
                    #builder_id::with_handle(())
                }

                #(#setters)*

                #validate

                #into_op
            }

            #builder_doc
            #[derive(Debug, Clone)]
            #[must_use]
            pub struct #builder_id<H = ()> {
                handle: H,
                fields: #fields_id,
            }

            #[derive(Debug, Clone, Default)]
            struct #fields_id {
                #(#b_fields)*
            }

            impl<H> #builder_id<H> {
                fn with_handle(handle: H) -> Self {
                    Self { handle, fields: #fields_id::default() }
                }

                #(#b_setters)*

                /// The request; a required field left unset is `Error::InvalidInput` naming it.
                /// Validation rules are checked when it is sent.
                pub fn build(self) -> conf_core::Result<#req_id> {
                    self.fields.build()
                }

                fn into_parts(self) -> (H, conf_core::Result<#req_id>) {
                    (self.handle, self.fields.build())
                }
            }

            impl #fields_id {
                #unused_self
                fn build(self) -> conf_core::Result<#req_id> {
                    Ok(#req_id { #(#b_inits)* })
                }
            }

            impl<H: conf_core::ClientHandle> #builder_id<H> {
                /// Build and send: a required field left unset or a broken validation rule is
                /// `Error::InvalidInput`, before anything is sent.
                pub async fn send(self) -> conf_core::Result<#ret> {
                    let (handle, req) = self.into_parts();
                    conf_core::ClientHandle::send(&handle, req?).await
                }
            }

            #paged

            impl conf_core::TypedOperation for #req_id {
                type Output = #ret;

                fn serialize(self) -> conf_core::Result<conf_core::Operation> {
                    self.into_operation()
                }

                fn deserializer(&self) -> conf_core::Deserializer<#ret> {
                    #deserialize
                }
            }

            #handle_impl {
                #op_doc
                pub fn #method_id(&self) -> #builder_id<#handle_ty> {
                    #builder_id::with_handle(#handle_val)
                }

                #with_doc
                pub async fn #with_id(#with_self, req: #req_id) -> conf_core::Result<#ret> {
                    conf_core::ClientHandle::send(#with_ref, req).await
                }
            }
        })
    }

    fn operation_fn(
        &self,
        ep: &Endpoint,
        params: &[Param<'_>],
        method: &str,
        body: BodyKind,
        idempotent: bool,
        op_name: &str,
    ) -> Result<TokenStream> {
        let vendor = lit(&self.service.vendor);
        let name = lit(op_name);
        let template = lit(&ep.path);
        let method_id = format_ident!("{}", method);

        // Path.
        let mut pieces = Vec::new();
        let mut segments = Vec::new();
        let mut rest = ep.path.as_str();
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').expect("checked") + start;
            if start > 0 {
                let l = lit(&rest[..start]);
                pieces.push(quote!(#l));
            }
            let ph = &rest[start + 1..end];
            let p = params.iter().find(|p| p.loc == Loc::Path && (p.wire == ph || p.f.name == ph)).expect("checked");
            let id = &p.ident;
            let t = self.text_ref(&p.ty, p.f.encode.as_deref(), &p.wire, &quote!(v))?;
            let seg = format_ident!("segment_{}", segments.len());
            segments.push(quote! {
                let #seg = {
                    let v = &self.#id;
                    conf_core::operation::encode_path_segment(#t)
                };
            });
            pieces.push(quote!(#seg.as_str()));
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            let l = lit(rest);
            pieces.push(quote!(#l));
        }
        let path = if params.iter().any(|p| p.loc == Loc::Path) { quote!([#(#pieces),*].concat()) } else { quote!(#template) };

        let mut stmts = Vec::new();
        stmts.push(quote!(op = op.idempotent(#idempotent);));
        if let Some(ml) = &ep.min_level {
            let app = lit(&ml.app);
            let level = Literal::u32_unsuffixed(ml.level);
            stmts.push(quote!(op = op.min_level(#app, #level);));
        }
        if !ep.needs.is_empty() {
            let needs = &ep.needs;
            stmts.push(quote!(op = op.needs(&[#(#needs),*]);));
        }
        match ep.auth.as_deref() {
            None | Some("client") => {}
            Some("none") => stmts.push(quote!(op = op.auth(conf_core::AuthMode::None);)),
            Some(other) => bail!("unknown auth `{other}` (client | none)"),
        }
        if ep.sensitive {
            stmts.push(quote!(op = op.sensitive();));
        }
        for (k, v) in &ep.headers {
            stmts.push(quote!(op = op.header(#k, #v)?;));
        }

        let mut form = Vec::new();
        let mut parts = Vec::new();
        let mut json = Vec::new();
        let mut pjson = Vec::new();
        if let Some(m) = &ep.method_override {
            let m = m.to_ascii_uppercase();
            match body {
                BodyKind::Form | BodyKind::ParamsJson | BodyKind::None => {
                    form.push(quote!(form.push(("_method".to_owned(), #m.to_owned()));));
                }
                BodyKind::Multipart => parts.push(quote!(parts.push(conf_core::Part::text("_method", #m));)),
                BodyKind::Query | BodyKind::Json => bail!("`method_override` needs a form, multipart or params_json body"),
            }
        }

        for p in params {
            if p.loc == Loc::Path {
                continue;
            }
            let id = &p.ident;
            let wl = lit(&p.wire);
            let enc = p.f.encode.as_deref();
            let sink_text = |t: TokenStream| -> TokenStream {
                match p.loc {
                    Loc::Query => quote!(op = op.query(#wl, #t);),
                    Loc::Form => quote!(form.push((#wl.to_owned(), #t));),
                    Loc::Multipart => quote!(parts.push(conf_core::Part::text(#wl, #t));),
                    _ => unreachable!(),
                }
            };
            let v = quote!(v);
            let (emit, default_stmt) = match p.loc {
                Loc::Header => {
                    let t = self.text_ref(&p.ty, enc, &p.wire, &v)?;
                    let d = p.f.default.as_ref().map(|d| {
                        let dt = value_text(d).unwrap_or_default();
                        quote!(op = op.header(#wl, #dt)?;)
                    });
                    if p.ty == Ty::Secret {
                        // Marked sensitive so no HTTP layer logs it.
                        let lower = p.wire.to_ascii_lowercase();
                        ensure!(
                            !lower.is_empty() && lower.chars().all(|c| c.is_ascii_alphanumeric() || "-_.!#$%&'*+^`|~".contains(c)),
                            "param `{}`: `{}` is not a valid header name",
                            p.f.name,
                            p.wire
                        );
                        let set = quote! {
                            let mut value = conf_core::__private::http::HeaderValue::from_str(#t)
                                .map_err(|_| conf_core::Error::invalid_input(#wl, "not a valid header value"))?;
                            value.set_sensitive(true);
                            op.headers.append(conf_core::__private::http::HeaderName::from_static(#lower), value);
                        };
                        (set, d)
                    } else {
                        (quote!(op = op.header(#wl, #t)?;), d)
                    }
                }
                Loc::Json | Loc::Params => {
                    let obj = if p.loc == Loc::Json { format_ident!("body") } else { format_ident!("params") };
                    let j = self.json_ref(&p.ty, enc, &v)?;
                    let d = match &p.f.default {
                        Some(d) => {
                            let dj = Self::json_default(&p.ty, d).with_context(|| format!("param `{}`", p.f.name))?;
                            Some(quote!(#obj.raw(#wl, #dj);))
                        }
                        None => None,
                    };
                    (quote!(#obj.field(#wl, #j)?;), d)
                }
                Loc::Query | Loc::Form | Loc::Multipart => {
                    let d = p.f.default.as_ref().map(|d| {
                        let dt = value_text(d).unwrap_or_default();
                        sink_text(quote!(#dt.to_owned()))
                    });
                    let emit = match &p.ty {
                        Ty::File => quote!(parts.push(v.clone().into_part(#wl));),
                        Ty::List(inner) if **inner == Ty::File => quote!(for x in v { parts.push(x.clone().into_part(#wl)); }),
                        Ty::List(inner) if inner.is_scalar(self.reg) => {
                            let t = self.text(inner, enc, &p.wire, &quote!(x))?;
                            let s = sink_text(t);
                            quote!(for x in v { #s })
                        }
                        ty => sink_text(self.text(ty, enc, &p.wire, &v)?),
                    };
                    (emit, d)
                }
                Loc::Path => unreachable!(),
            };
            let stmt = if p.f.required {
                quote!({ let v = &self.#id; #emit })
            } else if let Some(d) = default_stmt {
                quote!(if let Some(v) = &self.#id { #emit } else { #d })
            } else {
                quote!(if let Some(v) = &self.#id { #emit })
            };
            match p.loc {
                Loc::Form => form.push(stmt),
                Loc::Multipart => parts.push(stmt),
                Loc::Json => json.push(stmt),
                Loc::Params => pjson.push(stmt),
                Loc::Query | Loc::Header => stmts.push(stmt),
                Loc::Path => {}
            }
        }

        let body_stmts = match body {
            BodyKind::None => {
                if form.is_empty() {
                    quote!()
                } else {
                    quote! {
                        let mut form: Vec<(String, String)> = Vec::new();
                        #(#form)*
                        op = op.body(conf_core::Body::Form(form));
                    }
                }
            }
            BodyKind::Query => quote!(),
            BodyKind::Form => {
                if form.is_empty() {
                    quote!(op = op.body(conf_core::Body::Form(Vec::new()));)
                } else {
                    quote! {
                        let mut form: Vec<(String, String)> = Vec::new();
                        #(#form)*
                        op = op.body(conf_core::Body::Form(form));
                    }
                }
            }
            BodyKind::ParamsJson => {
                let params_decl = if pjson.is_empty() {
                    quote!(let params = super::support::JsonObject::new();)
                } else {
                    quote!(let mut params = super::support::JsonObject::new();)
                };
                quote! {
                    let mut form: Vec<(String, String)> = Vec::new();
                    #(#form)*
                    #params_decl
                    #(#pjson)*
                    form.push(("params".to_owned(), params.finish()));
                    op = op.body(conf_core::Body::Form(form));
                }
            }
            BodyKind::Multipart => {
                if parts.is_empty() {
                    quote!(op = op.body(conf_core::Body::Multipart(Vec::new()));)
                } else {
                    quote! {
                        let mut parts: Vec<conf_core::Part> = Vec::new();
                        #(#parts)*
                        op = op.body(conf_core::Body::Multipart(parts));
                    }
                }
            }
            BodyKind::Json => {
                let decl = if json.is_empty() {
                    quote!(let body = super::support::JsonObject::new();)
                } else {
                    quote!(let mut body = super::support::JsonObject::new();)
                };
                let ct = match &ep.content_type {
                    Some(c) => quote!(Some(#c)),
                    None => quote!(None),
                };
                quote! {
                    #decl
                    #(#json)*
                    op = op.body(conf_core::Body::Json {
                        bytes: conf_core::__private::bytes::Bytes::from(body.finish()),
                        content_type: #ct,
                    });
                }
            }
        };

        Ok(quote! {
            /// Validate and describe the call for the transport.
            #[allow(clippy::vec_init_then_push)]
            pub fn into_operation(self) -> conf_core::Result<conf_core::Operation> {
                self.validate()?;
                #(#segments)*
                let path = #path;
                let mut op = conf_core::Operation::new(#vendor, #name, conf_core::__private::http::Method::#method_id, #template, path);
                #(#stmts)*
                #body_stmts
                Ok(op)
            }
        })
    }

    /// The response type, and `(items, total)` info for paging.
    fn response(&self, ep: &Endpoint) -> Result<(Resp, Option<(PagedField, PagedField)>)> {
        let named = match &ep.response {
            None => return Ok((Resp::Unit, None)),
            Some(ResponseSpec::Named(n)) => match n.as_str() {
                "unit" => return Ok((Resp::Unit, None)),
                "bytes" => return Ok((Resp::Bytes, None)),
                "json" => return Ok((Resp::Typed(quote!(conf_core::__private::serde_json::Value)), None)),
                other => names::type_name(other),
            },
            Some(ResponseSpec::Inline(r)) => inline_response_name(&ep.name, r),
        };
        let info = self.reg.get(&named).with_context(|| format!("response type `{named}`"))?;
        let path = self.type_path(&named)?;
        let paged = match &info.kind {
            Kind::Struct { fields, items: Some(items), total: Some(total), .. } => {
                let find = |n: &str| -> Result<PagedField> {
                    let f = fields
                        .iter()
                        .find(|f| f.name == n || wire_of(f) == n)
                        .with_context(|| format!("`{n}` is not a field of `{named}`"))?;
                    let ty = parse_ty(&f.ty, f.type_name.as_deref())?;
                    Ok(PagedField { ident: names::ident(&f.name), ty, required: f.required })
                };
                Some((find(items)?, find(total)?))
            }
            _ => None,
        };
        Ok((Resp::Typed(path), paged))
    }

    /// `into_paginator()` on the builder and the `PagedOperation` impl of a paged request.
    fn paged_impl(
        &self,
        kind: &str,
        params: &[Param<'_>],
        ids: (&proc_macro2::Ident, &proc_macro2::Ident),
        resp_ty: &TokenStream,
        items: &PagedField,
        total: &PagedField,
    ) -> Result<TokenStream> {
        let (req_id, builder_id) = ids;
        let Ty::List(item_ty) = &items.ty else { bail!("the `items` field must be a list") };
        ensure!(total.ty.is_int(), "the `total` field must be an integer");
        let item = self.rust_ty(item_ty)?;
        let (pos_name, size_name, scheme) =
            if kind == "pageid" { ("pageid", "prgs1page", quote!(PageNumber)) } else { ("start", "count", quote!(Offset)) };
        let find = |n: &str| params.iter().find(|p| p.f.name == n || p.wire == n).with_context(|| format!("paging param `{n}` missing"));
        let (pos, size) = (find(pos_name)?, find(size_name)?);
        ensure!(pos.ty.is_int() && size.ty.is_int(), "paging params must be integers");
        let get = |p: &Param<'_>| {
            let id = &p.ident;
            match (p.f.required, &p.ty) {
                (true, Ty::U64) => quote!(Some(self.#id)),
                (true, Ty::U32) => quote!(Some(u64::from(self.#id))),
                (true, _) => quote!(u64::try_from(self.#id).ok()),
                (false, Ty::U64) => quote!(self.#id),
                (false, Ty::U32) => quote!(self.#id.map(u64::from)),
                (false, _) => quote!(self.#id.and_then(|x| u64::try_from(x).ok())),
            }
        };
        let set = |p: &Param<'_>, val: TokenStream| -> Result<TokenStream> {
            let id = &p.ident;
            let ty = self.rust_ty(&p.ty)?;
            let conv = if p.ty == Ty::U64 { val } else { quote!(#ty::try_from(#val).unwrap_or(#ty::MAX)) };
            Ok(if p.f.required { quote!(page.#id = #conv;) } else { quote!(page.#id = Some(#conv);) })
        };
        let (pos0, size0) = (get(pos), get(size));
        let (set_pos, set_size) = (set(pos, quote!(position))?, set(size, quote!(size))?);
        let iid = &items.ident;
        let tid = &total.ident;
        let count = if items.required { quote!(page.#iid.len()) } else { quote!(page.#iid.as_ref().map_or(0, Vec::len)) };
        let take = if items.required { quote!(page.#iid) } else { quote!(page.#iid.unwrap_or_default()) };
        let total_v = match (total.required, &total.ty) {
            (true, Ty::U64) => quote!(Some(page.#tid)),
            (true, Ty::U32) => quote!(Some(u64::from(page.#tid))),
            (true, _) => quote!(u64::try_from(page.#tid).ok()),
            (false, Ty::U64) => quote!(page.#tid),
            (false, Ty::U32) => quote!(page.#tid.map(u64::from)),
            (false, _) => quote!(page.#tid.and_then(|t| u64::try_from(t).ok())),
        };
        let d = doc(&format!(
            "The pages of this listing as a `Stream`, requested lazily (`{pos_name}`/`{size_name}`; `{size_name}` is the page size, default 100); `.items()` streams the items. It ends at `total` items or a short page.\n\nBounded by the client's page limits (default 1,000 pages and 64 MiB received; `.page_limits(..)` sets others): past them the stream yields `Error::LimitExceeded` and ends."
        ));
        Ok(quote! {
            impl<H> #builder_id<H> {
                #d
                pub fn into_paginator<'a>(self) -> conf_core::pipeline::paginator::Paginator<'a, #req_id>
                where
                    H: conf_core::ClientHandle + Clone + Send + Sync + 'a,
                {
                    let (handle, req) = self.into_parts();
                    conf_core::pipeline::paginator::Paginator::new(handle, req)
                }
            }

            impl conf_core::pipeline::paginator::PagedOperation for #req_id {
                type Item = #item;

                const SCHEME: conf_core::pipeline::paginator::PageScheme = conf_core::pipeline::paginator::PageScheme::#scheme;

                fn paging(&self) -> (Option<u64>, Option<u64>) {
                    (#pos0, #size0)
                }

                fn at_page(&self, position: u64, size: u64) -> Self {
                    let mut page = self.clone();
                    #set_pos
                    #set_size
                    page
                }

                fn page_info(page: &#resp_ty) -> (usize, Option<u64>) {
                    (#count, #total_v)
                }

                fn into_items(page: #resp_ty) -> Vec<#item> {
                    #take
                }
            }
        })
    }
}

/// A response field used by a paginator.
pub struct PagedField {
    ident: proc_macro2::Ident,
    ty: Ty,
    required: bool,
}

/// What a client method returns.
enum Resp {
    Unit,
    Bytes,
    Typed(TokenStream),
}

impl Resp {
    fn tokens(&self) -> TokenStream {
        match self {
            Resp::Unit => quote!(()),
            Resp::Bytes => quote!(conf_core::__private::bytes::Bytes),
            Resp::Typed(t) => t.clone(),
        }
    }
}
