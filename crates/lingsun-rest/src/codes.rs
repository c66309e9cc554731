//! The typed view of lingsun reply codes: [`ErrorCode`] implements [`conf_core::VendorCode`],
//! so `err.vendor_code_as::<lingsun_rest::ErrorCode>()` reads any lingsun failure (also
//! when wrapped in an auth or outcome-unknown error) as its typed code.

use conf_core::{RequestInfo, VendorCode};

use crate::generated::ErrorCode;

impl VendorCode for ErrorCode {
    const VENDOR: &'static str = "lingsun";

    fn from_vendor_code(code: &str, _request: &RequestInfo) -> Self {
        Self::from_code(code)
    }

    fn code(&self) -> &str {
        ErrorCode::code(self)
    }

    fn meaning(&self) -> Option<&'static str> {
        self.message()
    }

    fn is_retryable(&self) -> bool {
        ErrorCode::is_retryable(self)
    }
}
