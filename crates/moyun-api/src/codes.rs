//! The typed view of moyun error codes: [`ErrorCode`] implements
//! [`conf_core::VendorCode`], so `err.vendor_code_as::<moyun_api::ErrorCode>()` reads any
//! moyun failure (also when wrapped in an auth or outcome-unknown error) as its table entry.

use conf_core::{RequestInfo, VendorCode};

use crate::generated::ErrorCode;

impl VendorCode for ErrorCode {
    const VENDOR: &'static str = crate::envelope::VENDOR;

    /// The entry in the scope of the app that answered: VRS paths read the VRS table
    /// (nine VRS codes reuse platform numbers with other wording), every other path the
    /// platform table. Codes not in the table are `Unknown`.
    fn from_vendor_code(code: &str, request: &RequestInfo) -> Self {
        Self::from_scoped_code(if crate::envelope::is_vrs(request) { "vrs" } else { "platform" }, code)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &'static str) -> RequestInfo {
        RequestInfo::new(crate::envelope::VENDOR, "t", http::Method::POST, path)
    }

    #[test]
    fn the_app_that_answered_picks_the_table() {
        let err = |path| conf_core::Error::vendor(at(path), crate::envelope::VENDOR, "24107", "x", false);
        assert_eq!(err("/api/v1/vc/confs").vendor_code_as::<ErrorCode>(), Some(ErrorCode::RequestedFileDoesNotMatchConference));
        assert_eq!(err("/api/v2/vrs/records").vendor_code_as::<ErrorCode>(), Some(ErrorCode::FileDoesNotMatchRemoteCapabilities));
        let busy = ErrorCode::from_vendor_code("20003", &at("/api/v1/mc/confs"));
        assert!(VendorCode::is_retryable(&busy) && VendorCode::meaning(&busy).is_some());
        assert_eq!(VendorCode::code(&busy), "20003");
        assert_eq!(ErrorCode::from_vendor_code("777777", &at("/x")), ErrorCode::Unknown("777777".into()));
    }
}
