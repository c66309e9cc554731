//! Conveniences on generated types.

use crate::generated::Party;

impl Party {
    /// A party to dial: display name and phone number.
    pub fn new(name: impl Into<String>, phone: impl Into<String>) -> Self {
        Self { name: name.into(), phone: phone.into() }
    }
}
