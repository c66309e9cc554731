//! Rust code for one spec file (one generated module).

use anyhow::{Context, Result, bail, ensure};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::model::{Registry, Ty};
use super::names;
use super::spec::{Endpoint, Field};
use super::{ErrorEnum, Service};

mod endpoint;
mod errors;
mod rules;
mod types;

/// Doc attributes for a text (one `#[doc]` per line; safe for rustdoc).
pub fn doc(text: &str) -> TokenStream {
    let mut out = TokenStream::new();
    for line in doc_lines(text) {
        let line = if line.is_empty() { String::new() } else { format!(" {line}") };
        out.extend(quote!(#[doc = #line]));
    }
    out
}

/// Clean doc text: trimmed lines (no accidental code blocks), markup characters escaped,
/// URLs in angle brackets.
pub fn doc_lines(text: &str) -> Vec<String> {
    // A fence would open a doctest: keep it as text.
    let mut lines: Vec<String> = text.trim().lines().map(|l| escape_doc(&l.trim().replace("```", "'''"))).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

fn escape_doc(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
        }
        if !in_code && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let end = rest.find(|c: char| c.is_whitespace() || "<>\"'`)）】，。".contains(c)).unwrap_or(rest.len());
            out.push('<');
            out.push_str(&rest[..end]);
            out.push('>');
            rest = &rest[end..];
            continue;
        }
        if !in_code && matches!(c, '[' | ']' | '<' | '>' | '*' | '_' | '#' | '|' | '\\') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if in_code {
        out.push('`');
    }
    out
}

/// An integer literal, with digit separators when long.
pub fn int_lit(v: i128) -> TokenStream {
    let digits = v.unsigned_abs().to_string();
    let text = if digits.len() > 4 {
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('_');
            }
            grouped.push(ch);
        }
        grouped
    } else {
        digits
    };
    let lit: TokenStream = text.parse().expect("integer literal");
    if v < 0 { quote!(-#lit) } else { lit }
}

fn float_lit(v: f64) -> TokenStream {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let i = int_lit(v as i128);
        let s = format!("{i}.0").replace(' ', "");
        s.parse().expect("float literal")
    } else {
        let l = Literal::f64_unsuffixed(v);
        quote!(#l)
    }
}

/// The sub-client type of a `[service] group` (`mc` -> `McApi`).
pub fn group_ident(group: &str) -> proc_macro2::Ident {
    quote::format_ident!("{}Api", names::pascal(group))
}

/// The client method of an endpoint: its snake-case name, without the group's prefix on
/// a sub-client (`mc_create_conf` in group `mc` is `client.mc().create_conf()`).
pub fn method_name(endpoint: &str, group: Option<&str>) -> String {
    let name = names::snake(endpoint);
    group
        .and_then(|g| name.strip_prefix(&format!("{g}_")))
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
        .map_or_else(|| name.clone(), str::to_owned)
}

/// Code generator for one module.
pub struct ModuleGen<'a> {
    pub reg: &'a Registry,
    pub module: &'a str,
    pub service: &'a Service,
    pub spec_path: &'a str,
}

/// A resolved request field.
struct Param<'f> {
    f: &'f Field,
    ident: proc_macro2::Ident,
    wire: String,
    ty: Ty,
    loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Path,
    Query,
    Header,
    Form,
    Multipart,
    Json,
    Params,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    None,
    Query,
    Form,
    Json,
    Multipart,
    ParamsJson,
}

impl BodyKind {
    pub fn name(self) -> &'static str {
        match self {
            BodyKind::None => "none",
            BodyKind::Query => "query",
            BodyKind::Form => "form",
            BodyKind::Json => "json",
            BodyKind::Multipart => "multipart",
            BodyKind::ParamsJson => "params_json",
        }
    }
}

/// The HTTP method, body kind and idempotency an endpoint resolves to.
pub fn endpoint_shape(ep: &Endpoint) -> Result<(String, BodyKind, bool)> {
    let method = ep.method.to_ascii_uppercase();
    ensure!(matches!(method.as_str(), "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD"), "unknown method `{}`", ep.method);
    let logical = ep.method_override.as_deref().map_or(method.clone(), str::to_ascii_uppercase);
    let body = match ep.body.as_deref() {
        Some("none") => BodyKind::None,
        Some("query") => BodyKind::Query,
        Some("form") => BodyKind::Form,
        Some("json") => BodyKind::Json,
        Some("multipart") => BodyKind::Multipart,
        Some("params_json") => BodyKind::ParamsJson,
        Some(other) => bail!("unknown body kind `{other}` (none | query | form | json | multipart | params_json)"),
        None if ep.params.iter().any(|p| p.location.as_deref() == Some("params")) => BodyKind::ParamsJson,
        None if ep.method_override.is_some() => BodyKind::Form,
        None if matches!(method.as_str(), "GET" | "DELETE" | "HEAD") => BodyKind::Query,
        None => BodyKind::Form,
    };
    let idempotent = ep.idempotent.unwrap_or(matches!(logical.as_str(), "GET" | "PUT" | "DELETE" | "HEAD"));
    Ok((if ep.method_override.is_some() { "POST".to_owned() } else { method }, body, idempotent))
}

/// Placeholders of a path template, in order.
pub fn path_placeholders(path: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').with_context(|| format!("unclosed `{{` in path `{path}`"))? + start;
        let name = &rest[start + 1..end];
        ensure!(!name.is_empty() && !name.contains('{'), "bad placeholder in path `{path}`");
        out.push(name.to_owned());
        rest = &rest[end + 1..];
    }
    ensure!(!rest.contains('}'), "stray `}}` in path `{path}`");
    Ok(out)
}

/// The request parameters of an endpoint, completed: undeclared path placeholders become
/// required string path params, paging params are added.
pub fn complete_params(ep: &Endpoint) -> Result<Vec<Field>> {
    let mut params = ep.params.clone();
    for ph in path_placeholders(&ep.path)? {
        if !params.iter().any(|p| p.wire.as_deref().or(p.rename.as_deref()).unwrap_or(&p.name) == ph || p.name == ph) {
            params.push(Field {
                name: names::snake(&ph),
                wire: Some(ph.clone()),
                location: Some("path".into()),
                ty: "string".into(),
                required: true,
                doc: Some(format!("Path parameter `{ph}`.")),
                ..Field::default()
            });
        }
    }
    let paging: &[(&str, &str)] = match ep.paged.as_deref() {
        None => &[],
        Some("start_count") => &[("start", "Offset of the first item (paging)."), ("count", "Page size (paging).")],
        Some("pageid") => &[("pageid", "Page number (paging)."), ("prgs1page", "Items per page (paging).")],
        Some(other) => bail!("unknown paging `{other}` (start_count | pageid)"),
    };
    for (name, d) in paging {
        if !params.iter().any(|p| p.name == *name || p.wire.as_deref() == Some(name)) {
            params.push(Field {
                name: (*name).to_owned(),
                location: Some("query".into()),
                ty: "u32".into(),
                doc: Some((*d).to_owned()),
                ..Field::default()
            });
        }
    }
    Ok(params)
}

fn wire_of(f: &Field) -> String {
    f.wire.clone().or_else(|| f.rename.clone()).unwrap_or_else(|| f.name.clone())
}

/// A field's doc; when its Rust name is not the wire name, the wire name is added.
fn field_doc(f: &Field, wire: &str) -> String {
    match &f.doc {
        Some(d) if !d.trim().is_empty() && names::snake(&f.name) != wire => format!("{d}\n\nWire name: `{wire}`."),
        Some(d) if !d.trim().is_empty() => d.clone(),
        _ => format!("Wire field `{wire}`."),
    }
}

fn lit(s: &str) -> Literal {
    Literal::string(s)
}

impl ModuleGen<'_> {
    /// Rust type of a field type.
    fn rust_ty(&self, ty: &Ty) -> Result<TokenStream> {
        Ok(match ty {
            Ty::Str => quote!(String),
            Ty::I32 => quote!(i32),
            Ty::I64 => quote!(i64),
            Ty::U32 => quote!(u32),
            Ty::U64 => quote!(u64),
            Ty::F64 => quote!(f64),
            Ty::Bool => quote!(bool),
            Ty::Json => quote!(conf_core::__private::serde_json::Value),
            Ty::Time => quote!(std::time::SystemTime),
            Ty::DateTime => quote!(conf_core::DateTime),
            Ty::File => quote!(super::support::FilePart),
            Ty::Secret => quote!(conf_core::SecretString),
            Ty::List(t) => {
                let t = self.rust_ty(t)?;
                quote!(Vec<#t>)
            }
            Ty::Map(t) => {
                let t = self.rust_ty(t)?;
                quote!(std::collections::BTreeMap<String, #t>)
            }
            Ty::Named(n) => self.type_path(n)?,
        })
    }

    fn type_path(&self, name: &str) -> Result<TokenStream> {
        let info = self.reg.get(name)?;
        let id = names::type_ident(&info.name);
        if info.module == self.module {
            Ok(quote!(#id))
        } else {
            let m = names::raw_ident(&info.module);
            Ok(quote!(super::#m::#id))
        }
    }

    /// The imports and constants the module's `#[model]` / `#[request]` items use: the
    /// macros, the vendor name stamped on operations and the vendor's reply decoder.
    pub fn prelude(&self, has_types: bool, has_endpoints: bool) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        if has_types {
            out.extend(quote!(
                use conf_core::codegen::model;
            ));
        }
        if has_endpoints {
            let decode: syn::Path =
                syn::parse_str(&self.service.decode).with_context(|| format!("`decode` = `{}`", self.service.decode))?;
            let vendor = lit(&self.service.vendor);
            let import =
                if decode.segments.last().is_some_and(|s| s.ident == "decode") { quote!(#decode) } else { quote!(#decode as decode) };
            out.extend(quote! {
                use conf_core::codegen::request;
                #[allow(unused_imports)]
                use #import;

                /// The vendor name on this module's operations.
                const VENDOR: &str = #vendor;
            });
        }
        Ok(out)
    }

    /// The sub-client of a `[service] group`: a cheap handle on the client that sends
    /// through it (its credentials, options and page limits), holding this module's calls.
    pub fn group_handle(&self) -> Option<TokenStream> {
        let group = self.service.group.as_deref()?;
        let g = group_ident(group);
        let client = self.client_path();
        let method = names::ident(group);
        let client_name = self.service.client.rsplit("::").next().unwrap_or(&self.service.client);
        let type_doc = doc(&format!(
            "The `{group}` calls of [`{client_name}`] ({}): `client.{group}().<call>()` returns a fluent builder, `.send()` sends it. A copy of this handle is as cheap as a reference.",
            self.service.title
        ));
        let method_doc = doc(&format!("The `{group}` calls (see [`{g}`])."));
        let name = lit(&g.to_string());
        Some(quote! {
            #type_doc
            #[derive(Clone, Copy)]
            pub struct #g<'a> {
                client: &'a #client,
            }

            impl std::fmt::Debug for #g<'_> {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(#name).finish_non_exhaustive()
                }
            }

            impl #client {
                #method_doc
                pub fn #method(&self) -> #g<'_> {
                    #g { client: self }
                }
            }

            impl conf_core::ClientHandle for #g<'_> {
                fn core(&self) -> &conf_core::Client {
                    conf_core::ClientHandle::core(self.client)
                }

                fn call_options(&self) -> conf_core::CallOptions {
                    conf_core::ClientHandle::call_options(self.client)
                }

                fn page_limits(&self) -> conf_core::codegen::PageLimits {
                    conf_core::ClientHandle::page_limits(self.client)
                }
            }
        })
    }

    fn client_path(&self) -> TokenStream {
        let c = &self.service.client;
        let path = if c.contains("::") { c.clone() } else { format!("crate::{c}") };
        path.parse().expect("client path")
    }
}

/// Reject field settings that would be silently ignored.
fn check_field(f: &Field, ty: &Ty, response: bool) -> Result<()> {
    ensure!(!(f.required && f.default.is_some()), "field `{}`: `default` on a required field is never used", f.name);
    if let Some(enc) = &f.encode {
        ensure!(
            matches!(ty, Ty::Bool) || matches!(ty, Ty::List(i) if **i == Ty::Bool),
            "field `{}`: `encode = \"{enc}\"` applies to bool fields only",
            f.name
        );
        ensure!(matches!(enc.as_str(), "bool01" | "int01" | "boolyesno" | "booltruefalse"), "field `{}`: unknown encoding `{enc}`", f.name);
    }
    if response {
        ensure!(f.validate.is_none() && f.default.is_none(), "field `{}`: `validate`/`default` have no effect on response fields", f.name);
        ensure!(f.location.is_none(), "field `{}`: `in` has no meaning on response fields", f.name);
    }
    Ok(())
}

fn inner_is(ty: &Ty, target: &Ty) -> bool {
    match ty {
        Ty::List(t) | Ty::Map(t) => **t == *target || inner_is(t, target),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::model::parse_ty;
    use crate::codegen::spec::parse;

    #[test]
    fn doc_text_is_safe_for_rustdoc() {
        assert_eq!(
            doc_lines("  see https://x.cn/a?b=1 now \n\n    indented [x] <b>"),
            ["see <https://x.cn/a?b=1> now", "", "indented \\[x\\] \\<b\\>"]
        );
        assert_eq!(doc_lines("`a_b[0]` and a_b"), ["`a_b[0]` and a\\_b"]);
        assert_eq!(doc_lines("unclosed `code"), ["unclosed `code`"]);
        assert_eq!(doc_lines("```rust\nx\n```"), ["'''rust", "x", "'''"]);
    }

    #[test]
    fn ignored_settings_are_errors() {
        let check = |field: &str, response: bool| {
            let spec = parse(&format!("[[types]]\nname = \"T\"\nfields = [ {field} ]\n")).unwrap();
            let field = spec.types[0].fields[0].clone();
            check_field(&field, &parse_ty(&field.ty, None).unwrap(), response).is_ok()
        };
        assert!(!check(r#"{ name = "a", required = true, default = "1" }"#, false));
        assert!(!check(r#"{ name = "b", type = "u32", encode = "bool01" }"#, false));
        assert!(!check(r#"{ name = "c", type = "bool", encode = "onoff" }"#, false));
        assert!(check(r#"{ name = "d", validate = { max_len = 3 } }"#, false));
        assert!(!check(r#"{ name = "d", validate = { max_len = 3 } }"#, true));
    }

    #[test]
    fn grouped_methods_drop_the_group_prefix() {
        assert_eq!(method_name("mc_create_conf", Some("mc")), "create_conf");
        assert_eq!(method_name("mc_create_conf", None), "mc_create_conf");
        assert_eq!(method_name("mcu_list", Some("mc")), "mcu_list");
        assert_eq!(method_name("vc_3d", Some("vc")), "vc_3d", "the rest must be an identifier");
        assert_eq!(method_name("lock", Some("conference")), "lock");
    }

    #[test]
    fn literals() {
        assert_eq!(int_lit(86_400).to_string(), "86_400");
        assert_eq!(int_lit(1234).to_string(), "1234");
        assert_eq!(int_lit(-1_000_000).to_string(), "- 1_000_000");
        assert_eq!(float_lit(2.0).to_string(), "2.0");
        assert_eq!(float_lit(0.5).to_string(), "0.5");
    }

    #[test]
    fn endpoint_defaults() {
        let spec = parse(
            r#"
[[endpoints]]
name = "a"
method = "get"
path = "/x/{conf_id}/mts/{mt-id}"
params = [ { name = "conf_id", type = "u64", required = true } ]
[[endpoints]]
name = "b"
method = "POST"
path = "/b"
method_override = "DELETE"
[[endpoints]]
name = "c"
method = "POST"
path = "/c"
paged = "start_count"
params = [ { name = "p", in = "params" }, { name = "count", type = "u64" } ]
"#,
        )
        .unwrap();
        let (m, body, idem) = endpoint_shape(&spec.endpoints[0]).unwrap();
        assert_eq!((m.as_str(), body, idem), ("GET", BodyKind::Query, true));
        let params = complete_params(&spec.endpoints[0]).unwrap();
        assert_eq!(params.len(), 2);
        assert_eq!((params[1].name.as_str(), params[1].wire.as_deref(), params[1].required), ("mt_id", Some("mt-id"), true));
        let (m, body, idem) = endpoint_shape(&spec.endpoints[1]).unwrap();
        assert_eq!((m.as_str(), body, idem), ("POST", BodyKind::Form, true));
        let (_, body, idem) = endpoint_shape(&spec.endpoints[2]).unwrap();
        assert_eq!((body, idem), (BodyKind::ParamsJson, false));
        let names: Vec<String> = complete_params(&spec.endpoints[2]).unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["p", "count", "start"], "declared paging params are kept, missing ones added");
        assert!(path_placeholders("/a/{b").is_err());
        assert!(path_placeholders("/a/b}").is_err());
    }
}
