//! Request types, `into_operation`, fluent builders, client methods and paginators.

use anyhow::{Context, Result, bail, ensure};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    BodyKind, Loc, ModuleGen, Param, check_field, complete_params, doc, endpoint_shape, field_doc, float_lit, group_ident, inner_is,
    int_lit, lit, method_name, path_placeholders, wire_of,
};
use crate::codegen::model::{Kind, Ty, inline_response_name, inner_named, parse_ty};
use crate::codegen::names;
use crate::codegen::spec::{Endpoint, Field, ResponseSpec, Validate, value_text};

impl ModuleGen<'_> {
    // ---------- validation ----------

    /// The checks of `fields` (of `self`). `nested` = inside a struct's own validate(). An
    /// empty path segment is refused by the wire encoder (`conf_core::codegen::wire`), not here.
    pub(super) fn validation<'f>(&self, fields: impl Iterator<Item = &'f Field>, nested: bool) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        let fields: Vec<&Field> = fields.collect();
        for f in fields.iter().copied() {
            let ty = parse_ty(&f.ty, f.type_name.as_deref())?;
            let fid = names::ident(&f.name);
            let wire = wire_of(f);
            let optional = !f.required || (nested && matches!(ty, Ty::Time | Ty::DateTime | Ty::Secret));
            let checks = self.value_checks(&ty, f.validate.as_ref(), &wire, quote!(v)).with_context(|| format!("field `{}`", f.name))?;
            if checks.is_empty() {
                continue;
            }
            if optional {
                out.extend(quote!(if let Some(v) = &self.#fid { #checks }));
            } else {
                out.extend(quote!({ let v = &self.#fid; #checks }));
            }
        }
        // `required_if` (rust/rules.rs).
        let pairs: Vec<(&Field, TokenStream)> = fields.iter().map(|f| (*f, quote!(self))).collect();
        out.extend(self.conditional_checks(&pairs, nested)?);
        Ok(out)
    }

    /// The checks of one value. Text is never trimmed: whitespace is a value like any other.
    /// An empty text is refused only where the spec says so (`non_empty`, `min_len`); a
    /// required field is otherwise only required to be present, which its type already ensures.
    pub(super) fn value_checks(&self, ty: &Ty, rules: Option<&Validate>, wire: &str, v: TokenStream) -> Result<TokenStream> {
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
            if r.non_empty {
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
        let (_, body, idempotent) = endpoint_shape(ep)?;
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
        let builder_id = format_ident!("{}RequestBuilder", pascal);
        let method_id = names::ident(&method_name(&ep.name, self.service.group.as_deref()));
        let op_name = ep.wire_name.clone().unwrap_or_else(|| ep.name.clone());

        // ----- fields: doc, wire settings -----
        let mut field_defs = Vec::new();
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
            let mut wire = Vec::new();
            if id.to_string().trim_start_matches("r#") != p.wire {
                let w = lit(&p.wire);
                wire.push(quote!(rename = #w));
            }
            if let Some(enc) = &p.f.encode {
                ensure!(
                    matches!(enc.as_str(), "bool01" | "int01" | "boolyesno" | "booltruefalse"),
                    "param `{}`: unknown encoding `{enc}`",
                    p.f.name
                );
                let e = format_ident!("{}", enc);
                wire.push(quote!(#e));
            }
            let is_placeholder = placeholders.contains(&p.wire);
            if p.loc == Loc::Path {
                ensure!(is_placeholder, "param `{}`: the path placeholder must be its wire name `{}`", p.f.name, p.wire);
            }
            if p.loc != default_loc(body, is_placeholder) {
                let l = format_ident!("{}", loc_name(p.loc));
                wire.push(quote!(#l));
            }
            if let Some(def) = &p.f.default {
                let dj = Self::json_default(&p.ty, def).with_context(|| format!("param `{}`", p.f.name))?;
                wire.push(quote!(default = #dj));
            }
            let attr = if wire.is_empty() { quote!() } else { quote!(#[wire(#(#wire),*)]) };
            if p.f.required {
                field_defs.push(quote!(#fd #attr pub #id: #rt,));
            } else {
                field_defs.push(quote!(#fd #attr pub #id: Option<#rt>,));
            }
        }
        let all_optional = params.iter().all(|p| !p.f.required);
        let derive_default = if all_optional { quote!(, Default) } else { quote!() };
        let derive_eq = if eq { quote!(, PartialEq) } else { quote!() };
        let logical = ep.method_override.as_deref().unwrap_or(&ep.method).to_ascii_uppercase();
        // `#[request]` adds the HTTP call to the docs.
        let req_doc = {
            let mut d = ep.doc.clone().unwrap_or_else(|| format!("Call `{op_name}`."));
            if let Some(w) = &ep.wire_name {
                d.push_str(&format!(" Vendor name `{w}`."));
            }
            doc(&d)
        };

        // ----- validate (an empty path segment is refused by the wire encoder) -----
        let path_fields: Vec<Field> = params
            .iter()
            .map(|p| {
                let mut f = p.f.clone();
                if p.loc == Loc::Path {
                    if let Some(v) = &mut f.validate {
                        v.non_empty = false;
                    }
                }
                f
            })
            .collect();
        let checks = self.validation(path_fields.iter(), false)?;
        let validate = if checks.is_empty() {
            quote!()
        } else {
            quote! {
                impl #req_id {
                    /// Check every validation rule; nothing is sent when one fails.
                    pub fn validate(&self) -> conf_core::Result<()> {
                        #checks
                        Ok(())
                    }
                }
            }
        };

        // ----- `#[request(...)]` -----
        let (resp_ty, resp_items) = self.response(ep)?;
        let http = lit(&format!("{} {}", ep.method.to_ascii_uppercase(), ep.path));
        // What `#[request]` derives from the type's name is left out (see `macro_defaults`).
        let base = names::pascal(&ep.name);
        let (default_op, default_call) =
            macro_defaults(&base, self.service.group.as_deref().map(|g| group_ident(g).to_string()).as_deref());
        let mut args = vec![quote!(http = #http)];
        if op_name != default_op {
            let op = lit(&op_name);
            args.push(quote!(op = #op));
        }
        match &resp_ty {
            Resp::Unit => args.push(quote!(reply = "unit")),
            Resp::Bytes => args.push(quote!(reply = "bytes")),
            Resp::Typed(t) if t.to_string() == format!("{base}Response") => {}
            Resp::Typed(t) => {
                let t = lit(&t.to_string().replace(' ', ""));
                args.push(quote!(output = #t));
            }
        }
        match &self.service.group {
            Some(g) => {
                let g = lit(&group_ident(g).to_string());
                args.push(quote!(group = #g));
            }
            None => {
                let c = lit(&self.client_path().to_string().replace(' ', ""));
                args.push(quote!(client = #c));
            }
        }
        if method_id != default_call {
            let m = lit(&method_id.to_string());
            args.push(quote!(call = #m));
        }
        let natural_body = if ep.method_override.is_some() {
            BodyKind::Form
        } else if matches!(logical.as_str(), "GET" | "DELETE" | "HEAD") {
            BodyKind::Query
        } else {
            BodyKind::Form
        };
        // Without a tunnelled method, `none` and `query` send the same (no body, a query).
        let same =
            body == natural_body || (ep.method_override.is_none() && matches!((body, natural_body), (BodyKind::None, BodyKind::Query)));
        if !same {
            let b = lit(body.name());
            args.push(quote!(body = #b));
        }
        if idempotent != matches!(logical.as_str(), "GET" | "PUT" | "DELETE" | "HEAD") {
            args.push(quote!(idempotent = #idempotent));
        }
        if let Some(ml) = &ep.min_level {
            let l = lit(&format!("{}:{}", ml.app, ml.level));
            args.push(quote!(min_level = #l));
        }
        for n in &ep.needs {
            args.push(quote!(needs = #n));
        }
        match ep.auth.as_deref() {
            None | Some("client") => {}
            Some("none") => args.push(quote!(no_auth)),
            Some(other) => bail!("unknown auth `{other}` (client | none)"),
        }
        if ep.sensitive {
            args.push(quote!(sensitive));
        }
        for (k, v) in &ep.headers {
            let h = lit(&format!("{k}: {v}"));
            args.push(quote!(header = #h));
        }
        if let Some(c) = &ep.content_type {
            ensure!(body == BodyKind::Json, "`content_type` needs a JSON body");
            args.push(quote!(content_type = #c));
        }
        if let Some(m) = &ep.method_override {
            ensure!(
                matches!(body, BodyKind::Form | BodyKind::ParamsJson | BodyKind::None | BodyKind::Multipart),
                "`method_override` needs a form, multipart or params_json body"
            );
            let m = lit(&m.to_ascii_uppercase());
            args.push(quote!(method_override = #m));
        }
        if !checks.is_empty() {
            args.push(quote!(validate));
        }
        let ret = resp_ty.tokens();
        let paged = match (&ep.paged, resp_items) {
            (None, _) => quote!(),
            (Some(kind), Some((items, total))) => self.paged_impl(kind, &params, (&req_id, &builder_id), &ret, &items, &total)?,
            (Some(_), None) => bail!("a paged endpoint needs a response type that declares `items` and `total`"),
        };

        Ok(quote! {
            #req_doc
            #[request(#(#args),*)]
            #[derive(Debug, Clone #derive_default #derive_eq)]
            #[non_exhaustive]
            pub struct #req_id {
                #(#field_defs)*
            }

            #validate

            #paged
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

/// Where `#[request]` puts a field without a location: a `params_json` body's fields go to
/// the `params` object (the spec's own default there is a plain form field, so those get
/// `#[wire(form)]`).
fn default_loc(body: BodyKind, placeholder: bool) -> Loc {
    if placeholder {
        return Loc::Path;
    }
    match body {
        BodyKind::None | BodyKind::Query => Loc::Query,
        BodyKind::Form => Loc::Form,
        BodyKind::ParamsJson => Loc::Params,
        BodyKind::Json => Loc::Json,
        BodyKind::Multipart => Loc::Multipart,
    }
}

/// The `#[wire(...)]` name of a location.
fn loc_name(loc: Loc) -> &'static str {
    match loc {
        Loc::Path => "path",
        Loc::Query => "query",
        Loc::Header => "header",
        Loc::Form => "form",
        Loc::Multipart => "multipart",
        Loc::Json => "json",
        Loc::Params => "params",
    }
}

/// The operation name and client method `#[request]` derives from a request's type name
/// (`McCreateConf` + `McApi`: `mc_create_conf`, `create_conf`); keep in step with
/// `crates/conf-macros/src/request.rs`.
fn macro_defaults(base: &str, group: Option<&str>) -> (String, String) {
    let snake = |name: &str| {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    };
    let full = snake(base);
    let call = match group {
        Some(g) => {
            let prefix = format!("{}_", snake(g.strip_suffix("Api").unwrap_or(g)));
            full.strip_prefix(&prefix).filter(|r| r.starts_with(|c: char| c.is_ascii_alphabetic())).unwrap_or(&full).to_owned()
        }
        None => full.clone(),
    };
    (full, call)
}
