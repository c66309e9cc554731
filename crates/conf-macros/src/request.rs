//! `#[request(...)]`: the fluent builder, the wire encoding, the typed operation and the
//! client method of one endpoint's request struct.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{DeriveInput, Fields, LitBool, LitStr, Path, Type};

use crate::attrs::{FieldWire, doc_lines, take_field_wire};
use crate::types::{Kind, kind, option_inner};

/// Most positional arguments of `new`; a request with more required fields is built with
/// its builder only.
const MAX_ARGS: usize = 5;

/// What the endpoint returns.
enum Reply {
    Typed(Type),
    Unit,
    Bytes,
}

/// Which handle the client method is on.
enum On {
    /// A `Copy` sub-client with a lifetime (`McApi<'a>`).
    Group(Ident),
    /// The client itself, by reference.
    Client(Path),
}

#[derive(Default)]
struct Args {
    http: Option<LitStr>,
    op: Option<LitStr>,
    reply: Option<Reply>,
    body: Option<String>,
    idempotent: Option<bool>,
    min_level: Option<(String, u32)>,
    needs: Vec<String>,
    no_auth: bool,
    sensitive: bool,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    method_override: Option<String>,
    on: Option<On>,
    call: Option<Ident>,
    validate: bool,
}

fn parse_args(args: TokenStream) -> syn::Result<Args> {
    let mut a = Args::default();
    let parser = syn::meta::parser(|m| {
        let key = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
        let text = |m: &syn::meta::ParseNestedMeta<'_>| -> syn::Result<String> { Ok(m.value()?.parse::<LitStr>()?.value()) };
        match key.as_str() {
            "http" => a.http = Some(m.value()?.parse()?),
            "op" => a.op = Some(m.value()?.parse()?),
            "output" => a.reply = Some(Reply::Typed(m.value()?.parse::<LitStr>()?.parse()?)),
            "reply" => {
                a.reply = Some(match text(&m)?.as_str() {
                    "unit" => Reply::Unit,
                    "bytes" => Reply::Bytes,
                    _ => return Err(m.error("`reply` is \"unit\" or \"bytes\" (or use `output = Type`)")),
                });
            }
            "body" => a.body = Some(text(&m)?),
            "idempotent" => a.idempotent = Some(m.value()?.parse::<LitBool>()?.value),
            "min_level" => {
                let t = text(&m)?;
                let (app, level) = t.split_once(':').ok_or_else(|| m.error("`min_level = \"app:level\"`"))?;
                let level = level.parse().map_err(|_| m.error("the level is a number"))?;
                a.min_level = Some((app.to_owned(), level));
            }
            "needs" => a.needs.push(text(&m)?),
            "no_auth" => a.no_auth = true,
            "sensitive" => a.sensitive = true,
            "header" => {
                let t = text(&m)?;
                let (k, v) = t.split_once(':').ok_or_else(|| m.error("`header = \"Name: value\"`"))?;
                a.headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "content_type" => a.content_type = Some(text(&m)?),
            "method_override" => a.method_override = Some(text(&m)?),
            "group" => a.on = Some(On::Group(m.value()?.parse::<LitStr>()?.parse()?)),
            "client" => a.on = Some(On::Client(m.value()?.parse::<LitStr>()?.parse()?)),
            "call" => a.call = Some(m.value()?.parse::<LitStr>()?.parse_with(syn::Ident::parse_any)?),
            "validate" => a.validate = true,
            _ => return Err(m.error("unknown `request` setting")),
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(a)
}

/// One field of the request.
struct F {
    id: Ident,
    setter: String,
    wire: String,
    ty: Type,
    /// The type a setter takes (the `Option`'s inner type for an optional field).
    inner: Type,
    kind: Kind,
    required: bool,
    w: FieldWire,
    doc: String,
}

impl F {
    /// A setter's parameter type and the value it stores (`impl Into<T>` for text and secrets).
    fn setter_arg(&self) -> (TokenStream, TokenStream) {
        let t = &self.inner;
        if self.kind.takes_into() { (quote!(impl Into<#t>), quote!(value.into())) } else { (quote!(#t), quote!(value)) }
    }
}

pub fn expand(args: TokenStream, mut input: DeriveInput) -> syn::Result<TokenStream> {
    let a = parse_args(args)?;
    let span = input.ident.clone();
    let need = |what: &str| syn::Error::new_spanned(&span, format!("`#[request]` needs `{what}`"));
    let http = a.http.clone().ok_or_else(|| need("http = \"METHOD /path\""))?;
    let (method, path) =
        http.value().split_once(' ').map(|(m, p)| (m.to_owned(), p.to_owned())).ok_or_else(|| need("http = \"METHOD /path\""))?;
    let on = a.on.as_ref().ok_or_else(|| need("group = Type or client = Type"))?;
    let id = input.ident.clone();
    // Defaults from the names: `McCreateConfRequest` is operation `mc_create_conf`, replies
    // `McCreateConfResponse`, and is `create_conf()` on `McApi` (`mc_create_conf()` on a client).
    let base = id.to_string().strip_suffix("Request").unwrap_or(&id.to_string()).to_owned();
    let op = a.op.clone().unwrap_or_else(|| LitStr::new(&snake(&base), id.span()));
    let call = match &a.call {
        Some(c) => c.clone(),
        None => {
            let full = snake(&base);
            let name = match on {
                On::Group(g) => {
                    let prefix = format!("{}_", snake(g.to_string().strip_suffix("Api").unwrap_or(&g.to_string())));
                    full.strip_prefix(&prefix).filter(|r| r.starts_with(|c: char| c.is_ascii_alphabetic())).unwrap_or(&full).to_owned()
                }
                On::Client(_) => full,
            };
            syn::parse_str::<Ident>(&name).map_err(|_| need("call = method_name"))?
        }
    };
    let default_reply = Reply::Typed(syn::parse_str(&format!("{base}Response"))?);
    let reply = a.reply.as_ref().unwrap_or(&default_reply);

    let builder = format_ident!("{}Builder", id);
    let fields_id = format_ident!("{}Fields", id);
    let syn::Data::Struct(data) = &mut input.data else { return Err(syn::Error::new_spanned(&span, "`#[request]` takes a struct")) };
    let Fields::Named(named) = &mut data.fields else { return Err(syn::Error::new_spanned(&span, "`#[request]` needs named fields")) };
    let mut fields = Vec::new();
    for f in &mut named.named {
        let w = take_field_wire(&mut f.attrs)?;
        let fid = f.ident.clone().expect("named");
        let setter = fid.to_string().trim_start_matches("r#").to_owned();
        let inner = option_inner(&f.ty).cloned();
        let required = inner.is_none();
        let inner = inner.unwrap_or_else(|| f.ty.clone());
        let doc = doc_lines(&f.attrs).first().map(|l| l.trim().to_owned()).unwrap_or_default();
        fields.push(F {
            wire: w.rename.clone().unwrap_or_else(|| setter.clone()),
            id: fid,
            setter,
            ty: f.ty.clone(),
            kind: kind(&inner),
            inner,
            required,
            w,
            doc,
        });
    }
    // The docs of the type and of the client method end with the HTTP call.
    let logical = a.method_override.clone().unwrap_or_else(|| method.clone()).to_ascii_uppercase();
    let http_doc = format!(" `{logical} {path}`");
    input.attrs.push(syn::parse_quote!(#[doc = ""]));
    input.attrs.push(syn::parse_quote!(#[doc = #http_doc]));
    let struct_doc = doc_lines(&input.attrs);

    // ----- the request type -----
    let call_name = call.to_string();
    let required: Vec<&F> = fields.iter().filter(|f| f.required).collect();
    let ctor = if required.len() <= MAX_ARGS {
        let params = required.iter().map(|f| {
            let (fid, t) = (&f.id, &f.ty);
            if f.kind.takes_into() { quote!(#fid: impl Into<#t>) } else { quote!(#fid: #t) }
        });
        let inits = fields.iter().map(|f| {
            let fid = &f.id;
            match (f.required, f.kind.takes_into()) {
                (true, true) => quote!(#fid: #fid.into(),),
                (true, false) => quote!(#fid,),
                (false, _) => quote!(#fid: None,),
            }
        });
        quote! {
            /// A request with the required fields; optional fields are unset.
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits)* }
            }
        }
    } else {
        quote!()
    };
    let build_how = if required.len() <= MAX_ARGS {
        format!(" Build it with [`{id}::builder`] or [`{id}::new`], or call the client's fluent `{call_name}()` builder.")
    } else {
        format!(" Build it with [`{id}::builder`], or call the client's fluent `{call_name}()` builder.")
    };
    input.attrs.push(syn::parse_quote!(#[doc = ""]));
    input.attrs.push(syn::parse_quote!(#[doc = #build_how]));
    let validate = if a.validate {
        quote!()
    } else {
        quote! {
            /// Check every validation rule (this request has none).
            #[allow(clippy::unused_self)]
            pub fn validate(&self) -> conf_core::Result<()> {
                Ok(())
            }
        }
    };
    // Optional fields also have a setter on the request value (`X::new(..).field(v)`).
    let value_setters = fields.iter().filter(|f| !f.required).map(|f| {
        let fid = &f.id;
        let d = format!(" Set `{}`.", f.wire);
        let (arg, val) = f.setter_arg();
        quote! {
            #[doc = #d]
            pub fn #fid(mut self, value: #arg) -> Self {
                self.#fid = Some(#val);
                self
            }
        }
    });
    let shape = shape(&a, &method, &path, &op)?;
    let encode = fields.iter().map(encode_field).collect::<syn::Result<Vec<_>>>()?;

    // ----- the builder -----
    let b_fields = fields.iter().map(|f| {
        let (fid, t) = (&f.id, &f.inner);
        quote!(#fid: Option<#t>,)
    });
    let setters = fields.iter().map(|f| {
        let fid = &f.id;
        let d = format!(" {}{}", f.doc, if f.required { " Required." } else { "" });
        let (arg, val) = f.setter_arg();
        quote! {
            #[doc = #d]
            pub fn #fid(mut self, value: #arg) -> Self {
                self.fields.#fid = Some(#val);
                self
            }
        }
    });
    let b_inits = fields.iter().map(|f| {
        let fid = &f.id;
        if f.required {
            let (w, s) = (&f.wire, &f.setter);
            quote!(#fid: conf_core::codegen::required(self.#fid, #w, #s)?,)
        } else {
            quote!(#fid: self.#fid,)
        }
    });
    let builder_doc = format!(
        " Builder of [`{id}`]: from [`{id}::builder`] (finish with `build()`), or from the client's `{call_name}()` (finish with `send()`). A setter per field; a required field left unset is `Error::InvalidInput` naming it, before anything is sent."
    );

    // ----- typed operation and client method -----
    let (ret, deserializer) = match reply {
        Reply::Typed(t) => (quote!(#t), quote!(decode)),
        Reply::Unit => (
            quote!(()),
            quote! {
                |op, response| {
                    let _: conf_core::__private::serde::de::IgnoredAny = decode(op, response)?;
                    Ok(())
                }
            },
        ),
        Reply::Bytes => (quote!(conf_core::__private::bytes::Bytes), quote!(|_, response| Ok(response.body.clone()))),
    };
    let with_id = format_ident!("{}_with", call_name.trim_start_matches("r#"));
    let with_doc = format!(" Send a [`{id}`] built elsewhere: the same call as `{call_name}()`…`.send()`.");
    let method_doc = struct_doc.iter().map(|l| quote!(#[doc = #l]));
    let methods = match on {
        On::Group(g) => quote! {
            impl<'a> #g<'a> {
                #(#method_doc)*
                pub fn #call(&self) -> #builder<#g<'a>> {
                    #builder::with_handle(*self)
                }

                #[doc = #with_doc]
                pub async fn #with_id(self, req: #id) -> conf_core::Result<#ret> {
                    conf_core::ClientHandle::send(&self, req).await
                }
            }
        },
        On::Client(c) => quote! {
            impl #c {
                #(#method_doc)*
                pub fn #call(&self) -> #builder<&Self> {
                    #builder::with_handle(self)
                }

                #[doc = #with_doc]
                pub async fn #with_id(&self, req: #id) -> conf_core::Result<#ret> {
                    conf_core::ClientHandle::send(self, req).await
                }
            }
        },
    };

    Ok(quote! {
        #input

        impl #id {
            /// A builder with every field unset.
            pub fn builder() -> #builder {
                #builder::with_handle(())
            }

            #ctor

            #(#value_setters)*

            #validate

            /// Validate and describe the call for the transport.
            pub fn into_operation(self) -> conf_core::Result<conf_core::Operation> {
                self.validate()?;
                let mut w = conf_core::codegen::wire::Wire::new(#shape);
                #(#encode)*
                w.finish()
            }
        }

        #[doc = #builder_doc]
        #[derive(Debug, Clone)]
        #[must_use]
        pub struct #builder<H = ()> {
            handle: H,
            fields: #fields_id,
        }

        #[derive(Debug, Clone, Default)]
        struct #fields_id {
            #(#b_fields)*
        }

        impl<H> #builder<H> {
            fn with_handle(handle: H) -> Self {
                Self { handle, fields: #fields_id::default() }
            }

            #(#setters)*

            /// The request; a required field left unset is `Error::InvalidInput` naming it.
            /// Validation rules are checked when it is sent.
            pub fn build(self) -> conf_core::Result<#id> {
                self.fields.build()
            }

            fn into_parts(self) -> (H, conf_core::Result<#id>) {
                (self.handle, self.fields.build())
            }
        }

        impl #fields_id {
            #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
            fn build(self) -> conf_core::Result<#id> {
                Ok(#id { #(#b_inits)* })
            }
        }

        impl<H: conf_core::ClientHandle> #builder<H> {
            /// Build and send: a required field left unset or a broken validation rule is
            /// `Error::InvalidInput`, before anything is sent.
            pub async fn send(self) -> conf_core::Result<#ret> {
                let (handle, req) = self.into_parts();
                conf_core::ClientHandle::send(&handle, req?).await
            }
        }

        impl conf_core::TypedOperation for #id {
            type Output = #ret;

            fn serialize(self) -> conf_core::Result<conf_core::Operation> {
                self.into_operation()
            }

            fn deserializer(&self) -> conf_core::Deserializer<#ret> {
                #deserializer
            }
        }

        #methods
    })
}

/// The `Shape` literal of the endpoint.
fn shape(a: &Args, method: &str, path: &str, op: &LitStr) -> syn::Result<TokenStream> {
    let sent = if a.method_override.is_some() { "POST".to_owned() } else { method.to_ascii_uppercase() };
    let logical = a.method_override.clone().unwrap_or_else(|| method.to_owned()).to_ascii_uppercase();
    let m = format_ident!("{}", sent);
    let body = match a.body.as_deref() {
        Some("none") => quote!(None),
        Some("query") => quote!(Query),
        Some("form") => quote!(Form),
        Some("json") => quote!(Json),
        Some("multipart") => quote!(Multipart),
        Some("params_json") => quote!(ParamsJson),
        Some(other) => return Err(syn::Error::new_spanned(op, format!("unknown body `{other}`"))),
        None if a.method_override.is_some() => quote!(Form),
        None if matches!(logical.as_str(), "GET" | "DELETE" | "HEAD") => quote!(Query),
        None => quote!(Form),
    };
    let idempotent = a.idempotent.unwrap_or(matches!(logical.as_str(), "GET" | "PUT" | "DELETE" | "HEAD"));
    let min_level = match &a.min_level {
        Some((app, level)) => quote!(Some((#app, #level))),
        None => quote!(None),
    };
    let needs = &a.needs;
    let (no_auth, sensitive) = (a.no_auth, a.sensitive);
    let headers = a.headers.iter().map(|(k, v)| quote!((#k, #v)));
    let opt = |v: &Option<String>| match v {
        Some(s) => quote!(Some(#s)),
        None => quote!(None),
    };
    let (ct, mo) = (opt(&a.content_type), opt(&a.method_override.as_ref().map(|m| m.to_ascii_uppercase())));
    Ok(quote! {
        conf_core::codegen::wire::Shape {
            vendor: VENDOR,
            name: #op,
            method: conf_core::__private::http::Method::#m,
            template: #path,
            body: conf_core::codegen::wire::BodyKind::#body,
            idempotent: #idempotent,
            min_level: #min_level,
            needs: &[#(#needs),*],
            no_auth: #no_auth,
            sensitive: #sensitive,
            headers: &[#(#headers),*],
            content_type: #ct,
            method_override: #mo,
        }
    })
}

/// The statements writing one field (its spec default when unset).
fn encode_field(f: &F) -> syn::Result<TokenStream> {
    let wire = &f.wire;
    let loc = match f.w.location.as_deref() {
        None => quote!(Auto),
        Some("path") => quote!(Path),
        Some("query") => quote!(Query),
        Some("header") => quote!(Header),
        Some("form") => quote!(Form),
        Some("params") => quote!(Params),
        Some("json") => quote!(Json),
        Some("multipart") => quote!(Multipart),
        Some(other) => return Err(syn::Error::new_spanned(&f.id, format!("unknown location `{other}`"))),
    };
    let loc = quote!(conf_core::codegen::wire::Loc::#loc);
    let flag = |x: TokenStream| -> syn::Result<TokenStream> {
        Ok(match f.w.encode.as_deref() {
            None => x,
            Some("int01") => quote!(conf_core::codegen::wire::Flag::Int01(#x)),
            Some("bool01") => quote!(conf_core::codegen::wire::Flag::Bool01(#x)),
            Some("boolyesno") => quote!(conf_core::codegen::wire::Flag::YesNo(#x)),
            Some("booltruefalse") => quote!(conf_core::codegen::wire::Flag::TrueFalse(#x)),
            Some(other) => return Err(syn::Error::new_spanned(&f.id, format!("unknown encoding `{other}`"))),
        })
    };
    let expose = quote!(conf_core::ExposeSecret::expose_secret);
    let unix = quote!(conf_core::codegen::unix_secs);
    let emit = match &f.kind {
        Kind::File => quote!(w.file(#wire, v);),
        Kind::List(i) if **i == Kind::File => quote!(for x in v { w.file(#wire, x); }),
        Kind::Secret => quote!(w.put_secret(#wire, #loc, #expose(v))?;),
        Kind::List(i) if **i == Kind::Secret => quote!(w.put_secret(#wire, #loc, &v.iter().map(#expose).collect::<Vec<_>>())?;),
        Kind::Time => quote!(w.put(#wire, #loc, &#unix(v))?;),
        Kind::List(i) if **i == Kind::Time => quote!(w.put(#wire, #loc, &v.iter().map(#unix).collect::<Vec<_>>())?;),
        Kind::Bool if f.w.encode.is_some() => {
            let x = flag(quote!(*v))?;
            quote!(w.put(#wire, #loc, &#x)?;)
        }
        Kind::List(i) if **i == Kind::Bool && f.w.encode.is_some() => {
            let x = flag(quote!(*x))?;
            quote!(w.put(#wire, #loc, &v.iter().map(|x| #x).collect::<Vec<_>>())?;)
        }
        Kind::Map(i) if matches!(**i, Kind::Secret | Kind::Time) => {
            let conv = if **i == Kind::Secret { quote!(#expose(x)) } else { quote!(#unix(x)) };
            quote!(w.put(#wire, #loc, &v.iter().map(|(k, x)| (k, #conv)).collect::<std::collections::BTreeMap<_, _>>())?;)
        }
        _ => quote!(w.put(#wire, #loc, v)?;),
    };
    let fid = &f.id;
    Ok(match (f.required, &f.w.default) {
        (true, _) => quote!({ let v = &self.#fid; #emit }),
        (false, Some(d)) => quote!(if let Some(v) = &self.#fid { #emit } else { w.default_json(#wire, #loc, #d); }),
        (false, None) => quote!(if let Some(v) = &self.#fid { #emit }),
    })
}

/// `McCreateConf` -> `mc_create_conf` (an underscore before each capital).
fn snake(name: &str) -> String {
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
}
