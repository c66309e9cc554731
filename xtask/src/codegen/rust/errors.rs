//! Error-code enums, table-driven: the enum lists the variants, one static table holds each
//! code's wire text, messages, scope and retryability (in variant order), and the accessors
//! look rows up (by variant: binary search in declaration order; by code: a sorted index).

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{ErrorEnum, ModuleGen, doc, lit};

/// A generated error enum: its items (formatted with the module) and its row table, as text
/// kept one row a line (`#[rustfmt::skip]`) so a long message never spreads a row over 8 lines.
pub struct ErrorItems {
    pub items: TokenStream,
    pub table: String,
}

impl ModuleGen<'_> {
    // ---------- error codes ----------

    pub fn error_enum(&self, e: &ErrorEnum) -> ErrorItems {
        let id = format_ident!("{}", e.name);
        let rows_id = format_ident!("{}", rows_name(&e.name));
        let index_id = format_ident!("{}", index_name(&e.name));
        let n = e.codes.len();
        let d = doc(&format!(
            "Error codes of {} (from `{}`), with the vendor's messages.\n\nThe codes, messages and retryability are one static table (`{}`); a code not in it is `Unknown`.",
            self.service.vendor,
            self.spec_path,
            rows_name(&e.name)
        ));
        let mut variants = Vec::new();
        for c in &e.codes {
            let v = format_ident!("{}", c.variant);
            let text = [c.zh.as_deref(), c.en.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ");
            let vd = doc(&format!(
                "`{}`{}{}",
                c.code,
                c.scope.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
                if text.is_empty() { String::new() } else { format!(": {text}") }
            ));
            variants.push(quote!(#vd #v,));
        }
        // Rows sorted by code (stable: the first listed of a code wins `from_code`).
        let mut by_code: Vec<usize> = (0..n).collect();
        by_code.sort_by(|a, b| e.codes[*a].code.cmp(&e.codes[*b].code));
        by_code.dedup_by(|a, b| e.codes[*a].code == e.codes[*b].code);
        let idx_len = Literal::usize_unsuffixed(by_code.len());
        let idx: Vec<Literal> = by_code.iter().map(|i| Literal::u16_unsuffixed(u16::try_from(*i).unwrap_or(u16::MAX))).collect();
        let scoped_fns = if e.codes.iter().any(|c| c.scope.is_some()) {
            quote! {
                /// The code as listed for `scope` (falls back to [`Self::from_code`]).
                pub fn from_scoped_code(scope: &str, code: &str) -> Self {
                    let code = code.trim();
                    #rows_id
                        .iter()
                        .find(|r| r.scope == Some(scope) && r.code == code)
                        .map_or_else(|| Self::from_code(code), |r| r.variant.clone())
                }

                /// The scope the code is listed under, when the table has scopes.
                pub fn scope(&self) -> Option<&'static str> {
                    self.row().and_then(|r| r.scope)
                }
            }
        } else {
            quote!()
        };
        let items = quote! {
            #d
            #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum #id {
                #(#variants)*
                /// A code this SDK does not know (kept as sent).
                Unknown(String),
            }

            impl #id {
                /// The table row of a listed code (rows are in variant order).
                fn row(&self) -> Option<&'static super::support::CodeRow<Self>> {
                    #rows_id.binary_search_by(|r| r.variant.cmp(self)).ok().map(|i| &#rows_id[i])
                }

                /// The variant for a vendor code (`Unknown` when not listed).
                pub fn from_code(code: &str) -> Self {
                    let code = code.trim();
                    super::support::CodeRow::by_code(&#rows_id, &#index_id, code)
                        .map_or_else(|| Self::Unknown(code.to_owned()), |r| r.variant.clone())
                }

                /// The vendor's code.
                pub fn code(&self) -> &str {
                    match self {
                        Self::Unknown(c) => c,
                        known => known.row().map_or("", |r| r.code),
                    }
                }

                /// The vendor's Chinese message.
                pub fn zh(&self) -> Option<&'static str> {
                    self.row().and_then(|r| r.zh)
                }

                /// An English message.
                pub fn en(&self) -> Option<&'static str> {
                    self.row().and_then(|r| r.en)
                }

                /// The best message known: English, else Chinese.
                pub fn message(&self) -> Option<&'static str> {
                    self.en().or_else(|| self.zh())
                }

                /// Whether the vendor documents this code as transient.
                pub fn is_retryable(&self) -> bool {
                    self.row().is_some_and(|r| r.retryable)
                }

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

            /// Rows of the table sorted by code (the first listed row of a code).
            static #index_id: [u16; #idx_len] = [#(#idx),*];
        };
        ErrorItems { items, table: table_text(e) }
    }
}

/// The row table of an enum, one row a line.
fn table_text(e: &ErrorEnum) -> String {
    let opt = |s: &Option<String>| s.as_ref().map_or_else(|| "None".to_owned(), |s| format!("Some({})", lit(s)));
    let mut table = format!(
        "/// One row per code of [`{name}`], in variant order: code, scope, Chinese and English message, retryable.\n\
             #[rustfmt::skip]\n\
             static {rows}: [super::support::CodeRow<{name}>; {n}] = [\n",
        name = e.name,
        rows = rows_name(&e.name),
        n = e.codes.len()
    );
    for c in &e.codes {
        table.push_str(&format!(
            "    super::support::CodeRow {{ variant: {}::{}, code: {}, scope: {}, zh: {}, en: {}, retryable: {} }},\n",
            e.name,
            c.variant,
            lit(&c.code),
            opt(&c.scope),
            opt(&c.zh),
            opt(&c.en),
            c.retryable
        ));
    }
    table.push_str("];\n");
    table
}

/// `ErrorCode` -> `ERROR_CODE_ROWS`.
fn rows_name(enum_name: &str) -> String {
    format!("{}_ROWS", screaming(enum_name))
}

/// `ErrorCode` -> `ERROR_CODE_BY_CODE`.
fn index_name(enum_name: &str) -> String {
    format!("{}_BY_CODE", screaming(enum_name))
}

fn screaming(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        assert_eq!(rows_name("ErrorCode"), "ERROR_CODE_ROWS");
        assert_eq!(index_name("VrsErrorCode"), "VRS_ERROR_CODE_BY_CODE");
    }
}
