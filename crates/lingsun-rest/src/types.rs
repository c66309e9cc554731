//! Conveniences on generated types.

use crate::generated::OrderPayload;

impl OrderPayload {
    /// An order of one period of package `package_id` for one device (set more with
    /// [`order_number`](Self::order_number)).
    pub fn new(
        app_id: impl Into<String>,
        user_id: impl Into<String>,
        device_id: impl Into<String>,
        payment_order_id: impl Into<String>,
        package_id: i64,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            user_id: user_id.into(),
            device_id: device_id.into(),
            payment_order_id: payment_order_id.into(),
            package_id,
            order_number: 1,
        }
    }

    /// Set the number of periods bought (wire `orderNumber`).
    #[must_use]
    pub fn order_number(mut self, periods: i64) -> Self {
        self.order_number = periods;
        self
    }
}
