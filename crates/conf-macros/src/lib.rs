//! Attribute macros behind the code `cargo xtask codegen` generates (see `docs/codegen.md`).
//! They keep the checked-in generated code declarative: a struct with its fields, doc
//! comments and `#[wire(...)]` settings says everything; the macros write the serde
//! attributes, builders, encoders and client methods that follow from it. Use them through
//! `conf_core::codegen::{model, request}`.
//!
//! - `#[model]` on a struct: serde `Serialize` + `Deserialize` with the SDK's rules (a
//!   missing required field is an error unless `#[wire(missing_ok)]`; lenient scalar
//!   decoding unless `#[wire(strict)]`; flag encodings `#[wire(int01)]`, `bool01`,
//!   `boolyesno`, `booltruefalse`; `#[wire(rename = "x")]`). `#[model(response)]` never
//!   serializes secrets.
//! - `#[model]` on an enum: an open enum. Each variant carries `#[wire(1)]` or
//!   `#[wire("text")]`; the last is `Unknown(i64)` / `Unknown(String)`.
//! - `#[request(http = "POST /path", group = "McApi", ...)]` on a request struct (optional:
//!   `op`, `output = "T"`, `reply = "unit" | "bytes"`, `client = "Path"` instead of `group`,
//!   `call`, `body`, `idempotent`, `min_level = "app:n"`, `needs`, `no_auth`, `sensitive`,
//!   `header = "K: v"`, `content_type`, `method_override`, `validate`): `builder()`, `new(..)` (up to five required fields), the fluent
//!   builder `<T>Builder<H>` with a setter per field and `send()`, `into_operation()`, the
//!   `TypedOperation` impl, and the client methods `m()` / `m_with(req)` on the group or
//!   client. The module must define `const VENDOR: &str` and bring the vendor's `decode`
//!   function into scope.

mod attrs;
mod model;
mod request;
mod types;

use proc_macro::TokenStream;

/// Serde for a generated struct, or an open enum (see the crate docs).
#[proc_macro_attribute]
pub fn model(args: TokenStream, item: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(item as syn::DeriveInput);
    model::expand(args.into(), input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Builder, wire encoding, typed operation and client method of a request (see the crate docs).
#[proc_macro_attribute]
pub fn request(args: TokenStream, item: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(item as syn::DeriveInput);
    request::expand(args.into(), input).unwrap_or_else(syn::Error::into_compile_error).into()
}
