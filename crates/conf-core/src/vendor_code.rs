//! Typed vendor codes: one way to read any vendor's error code as its own type.
//!
//! Every vendor failure is an [`Error::Vendor`] carrying the code as the vendor spells it
//! ([`Error::vendor_code`] gives that text). Each vendor crate also has a typed, open code
//! type (an enum with an `Unknown` value that keeps codes the SDK does not know) that
//! implements [`VendorCode`]; [`Error::vendor_code_as`] reads an error as that type:
//!
//! ```
//! use conf_core::{Error, RequestInfo, VendorCode};
//!
//! /// A vendor's codes (normally the vendor crate's generated `ErrorCode`).
//! #[derive(Debug, PartialEq)]
//! enum DemoCode { Busy, Unknown(String) }
//!
//! impl VendorCode for DemoCode {
//!     const VENDOR: &'static str = "demo";
//!     fn from_vendor_code(code: &str, _request: &RequestInfo) -> Self {
//!         if code == "9999" { Self::Busy } else { Self::Unknown(code.to_owned()) }
//!     }
//!     fn code(&self) -> &str {
//!         match self { Self::Busy => "9999", Self::Unknown(c) => c }
//!     }
//! }
//!
//! let err = Error::vendor(RequestInfo::none("demo", "op"), "demo", "9999", "busy", true);
//! assert_eq!(err.vendor_code(), Some("9999"));
//! assert_eq!(err.vendor_code_as::<DemoCode>(), Some(DemoCode::Busy));
//! // Another vendor's error is never read as this vendor's code.
//! let other = Error::vendor(RequestInfo::none("ytx", "op"), "ytx", "9999", "x", false);
//! assert_eq!(other.vendor_code_as::<DemoCode>(), None);
//! ```

use crate::error::{Error, RequestInfo};

/// A vendor's typed error code (implemented by each vendor crate's `ErrorCode`).
///
/// Parsing never fails: a code the SDK does not know is kept as the type's `Unknown`
/// value, so a new vendor code never turns an error into a different one.
pub trait VendorCode: Sized {
    /// The vendor name this vendor's errors carry ([`Error::Vendor`]'s `vendor`:
    /// `"moyun"`, `"vmr"`, `"webapi"`, `"ytx"`, `"lingsun"`).
    const VENDOR: &'static str;

    /// The typed code for `code`, as the vendor spells it. `request` is the request the
    /// error concerns: most vendors ignore it; some read which service answered (moyun's
    /// VRS reuses platform numbers with other meanings).
    fn from_vendor_code(code: &str, request: &RequestInfo) -> Self;

    /// The code as the vendor spells it (`"10002"`, `"-205"`, `"pin_invalid"`).
    fn code(&self) -> &str;

    /// What the code means, in the SDK's words (`None` when the SDK does not know it).
    fn meaning(&self) -> Option<&'static str> {
        None
    }

    /// Whether the vendor documents this code as transient (trying again can help).
    fn is_retryable(&self) -> bool {
        false
    }
}

impl Error {
    /// The vendor code of this error as vendor type `C` (e.g. `moyun_api::ErrorCode`).
    ///
    /// Some for an [`Error::Vendor`] of `C`'s vendor, also when it is wrapped (the source
    /// of an [`Error::Auth`], the cause of an [`Error::OutcomeUnknown`] or
    /// [`Error::Discovery`]); `None` for any other error, including another vendor's.
    ///
    /// [`Error::vendor_code`] is the same code as the vendor's text; this is its typed
    /// view (a separate name, so the text form needs no type annotation).
    pub fn vendor_code_as<C: VendorCode>(&self) -> Option<C> {
        let (vendor, code, request) = self.vendor_failure()?;
        (vendor == C::VENDOR).then(|| C::from_vendor_code(code, request))
    }

    /// The innermost vendor failure: its vendor, code and request.
    fn vendor_failure(&self) -> Option<(&'static str, &str, &RequestInfo)> {
        match self {
            Self::Vendor { vendor, code, request, .. } => Some((vendor, code, request)),
            Self::Auth { source: Some(e), .. } | Self::OutcomeUnknown { cause: e, .. } | Self::Discovery { cause: e, .. } => {
                e.vendor_failure()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Code(String, &'static str);

    impl VendorCode for Code {
        const VENDOR: &'static str = "a";
        fn from_vendor_code(code: &str, request: &RequestInfo) -> Self {
            Self(code.to_owned(), request.path)
        }
        fn code(&self) -> &str {
            &self.0
        }
    }

    fn info(vendor: &'static str) -> RequestInfo {
        RequestInfo::new(vendor, "op", http::Method::POST, "/p").attempts(1)
    }

    #[test]
    fn typed_code_of_own_vendor_only_also_when_wrapped() {
        let own = Error::vendor(info("a"), "a", "42", "m", false);
        assert_eq!(own.vendor_code_as::<Code>(), Some(Code("42".into(), "/p")));
        let auth = Error::Auth { request: info("a"), message: "x".into(), source: Some(Box::new(own.clone())) };
        assert_eq!(auth.vendor_code_as::<Code>().map(|c| c.0), Some("42".into()));
        let unknown = Error::OutcomeUnknown { request: info("a"), cause: Box::new(own.clone()) };
        assert_eq!(unknown.vendor_code_as::<Code>().map(|c| c.0), Some("42".into()));
        let discovery = Error::Discovery { request: info("a"), app: "mc", cause: Box::new(own) };
        assert_eq!(discovery.vendor_code_as::<Code>().map(|c| c.0), Some("42".into()));
        // The same code text from another vendor is not this vendor's code.
        let other = Error::vendor(info("b"), "b", "42", "m", false);
        assert_eq!(other.vendor_code(), Some("42"));
        assert_eq!(other.vendor_code_as::<Code>(), None);
        let auth_none = Error::Auth { request: info("a"), message: "x".into(), source: None };
        assert_eq!(auth_none.vendor_code_as::<Code>(), None);
        assert_eq!(Error::invalid_input("f", "r").vendor_code_as::<Code>(), None);
        let code = Code("1".into(), "");
        assert_eq!((code.meaning(), code.is_retryable()), (None, false));
    }
}
