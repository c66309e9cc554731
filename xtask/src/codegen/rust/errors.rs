//! Error-code enums.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{ErrorEnum, ModuleGen, doc, lit};

impl ModuleGen<'_> {
    // ---------- error codes ----------

    #[allow(clippy::many_single_char_names)]
    pub fn error_enum(&self, e: &ErrorEnum) -> TokenStream {
        let id = format_ident!("{}", e.name);
        let d = doc(&format!("Error codes of {} (from `{}`), with the vendor's messages.", self.service.vendor, self.spec_path));
        let mut variants = Vec::new();
        let mut from = Vec::new();
        let mut code = Vec::new();
        let mut zh = Vec::new();
        let mut en = Vec::new();
        let mut scope = Vec::new();
        let mut scoped = Vec::new();
        let mut retry = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in &e.codes {
            let v = format_ident!("{}", c.variant);
            let cl = lit(&c.code);
            let text = [c.zh.as_deref(), c.en.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ");
            let vd = doc(&format!(
                "`{}`{}{}",
                c.code,
                c.scope.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
                if text.is_empty() { String::new() } else { format!(": {text}") }
            ));
            variants.push(quote!(#vd #v,));
            if seen.insert(c.code.clone()) {
                from.push(quote!(#cl => Self::#v,));
            }
            code.push(quote!(Self::#v => #cl,));
            let opt = |s: &Option<String>| match s {
                Some(s) => quote!(Some(#s)),
                None => quote!(None),
            };
            let (z, n) = (opt(&c.zh), opt(&c.en));
            zh.push(quote!(Self::#v => #z,));
            en.push(quote!(Self::#v => #n,));
            if let Some(s) = &c.scope {
                scope.push(quote!(Self::#v => Some(#s),));
                scoped.push(quote!((#s, #cl) => Self::#v,));
            } else {
                scope.push(quote!(Self::#v => None,));
            }
            if c.retryable {
                retry.push(quote!(Self::#v));
            }
        }
        let retryable = if retry.is_empty() {
            quote! {
                /// Whether the vendor documents this code as transient (none are).
                #[allow(clippy::unused_self)]
                pub fn is_retryable(&self) -> bool {
                    false
                }
            }
        } else {
            quote! {
                /// Whether the vendor documents this code as transient.
                pub fn is_retryable(&self) -> bool {
                    matches!(self, #(#retry)|*)
                }
            }
        };
        let scoped_fns = if e.codes.iter().any(|c| c.scope.is_some()) {
            quote! {
                /// The code as listed for `scope` (falls back to [`Self::from_code`]).
                pub fn from_scoped_code(scope: &str, code: &str) -> Self {
                    match (scope, code.trim()) {
                        #(#scoped)*
                        _ => Self::from_code(code),
                    }
                }

                /// The scope the code is listed under, when the table has scopes.
                pub fn scope(&self) -> Option<&'static str> {
                    match self {
                        #(#scope)*
                        Self::Unknown(_) => None,
                    }
                }
            }
        } else {
            quote!()
        };
        quote! {
            #d
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            pub enum #id {
                #(#variants)*
                /// A code this SDK does not know (kept as sent).
                Unknown(String),
            }

            impl #id {
                /// The variant for a vendor code (`Unknown` when not listed).
                pub fn from_code(code: &str) -> Self {
                    match code.trim() {
                        #(#from)*
                        other => Self::Unknown(other.to_owned()),
                    }
                }

                /// The vendor's code.
                pub fn code(&self) -> &str {
                    match self {
                        #(#code)*
                        Self::Unknown(c) => c,
                    }
                }

                /// The vendor's Chinese message.
                pub fn zh(&self) -> Option<&'static str> {
                    match self {
                        #(#zh)*
                        Self::Unknown(_) => None,
                    }
                }

                /// An English message.
                pub fn en(&self) -> Option<&'static str> {
                    match self {
                        #(#en)*
                        Self::Unknown(_) => None,
                    }
                }

                /// The best message known: English, else Chinese.
                pub fn message(&self) -> Option<&'static str> {
                    self.en().or_else(|| self.zh())
                }

                #retryable

                #scoped_fns
            }

            impl std::fmt::Display for #id {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    match self.message() {
                        Some(m) => write!(f, "{} ({m})", self.code()),
                        None => f.write_str(self.code()),
                    }
                }
            }
        }
    }
}
