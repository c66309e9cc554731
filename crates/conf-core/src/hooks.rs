//! Hooks: the named points of the pipeline where a vendor crate (and a user) changes
//! or observes a call.
//!
//! A call runs, in order:
//!
//! 1. serialize (the typed request becomes an [`Operation`]);
//! 2. [`Hook::modify_operation`], once per call: vendor path prefixes, fields every
//!    request of the vendor carries, cross-field rules;
//! 3. the API-Level/capability gate, then the identity (credential) once per call;
//! 4. per attempt: the request is assembled, [`Hook::modify_before_signing`], then the
//!    signer puts the identity on it, then it is sent (timeout, resolver/failover);
//! 5. per attempt: the vendor's [`Envelope`](crate::Envelope) checks the answer, then
//!    [`Hook::classify_response`] may turn an accepted answer into an error; a failure
//!    is classified as credential-rejected (by the identity resolver) or retryable
//!    (the error's own verdict, or [`Hook::classify_retry`]);
//! 6. once per call: [`Hook::modify_before_deserialization`], then the typed
//!    deserializer, then [`Hook::read_after_deserialization`].
//!
//! Hooks are registered on the [`ClientBuilder`](crate::ClientBuilder) (vendor
//! hooks when the vendor client is built, then the user's), run in that order, and
//! apply to every path that sends through the client: typed calls, `execute`,
//! `execute_json` and streams (steps 2 and 4). Every method has a default that does nothing.

use std::any::Any;
use std::sync::Arc;

use crate::error::{Error, RequestInfo};
use crate::operation::Operation;
use crate::request::{AttemptParts, RawResponse};

/// One participant in the pipeline's named hook points (see the [module](self) docs).
pub trait Hook: Send + Sync + 'static {
    /// A short name for logs and `Debug` (e.g. `ytx.appid`).
    fn name(&self) -> &'static str;

    /// Change the operation once per call, before the gate and the credential. An
    /// error (e.g. [`Error::InvalidInput`]) ends the call before anything is sent.
    fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        let _ = op;
        Ok(())
    }

    /// Change one attempt's request before the signer signs it.
    fn modify_before_signing(&self, op: &Operation, request: &mut AttemptParts) -> Result<(), Error> {
        let _ = (op, request);
        Ok(())
    }

    /// Judge an answer the envelope accepted: `Err` makes it a failed attempt (a
    /// vendor error the envelope cannot see), classified and retried like any other.
    fn classify_response(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        let _ = (request, response);
        Ok(())
    }

    /// Whether a failed attempt's error may be retried, overriding the error's own
    /// verdict ([`Error::is_retryable`]); `None` keeps it. Idempotency still rules:
    /// a non-idempotent request that may have reached the server is never replayed.
    fn classify_retry(&self, op: &Operation, error: &Error) -> Option<bool> {
        let _ = (op, error);
        None
    }

    /// Change the final answer once per call, before it is deserialized.
    fn modify_before_deserialization(&self, op: &Operation, response: &mut RawResponse) -> Result<(), Error> {
        let _ = (op, response);
        Ok(())
    }

    /// Observe the typed outcome of a call (the output is the operation's
    /// `Output` type: downcast it to read it).
    fn read_after_deserialization(&self, op: &Operation, outcome: Result<&(dyn Any + Send), &Error>) {
        let _ = (op, outcome);
    }
}

/// The hooks of one client, in registration order.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    list: Arc<[Arc<dyn Hook>]>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list.iter().map(|h| h.name())).finish()
    }
}

impl Hooks {
    pub(crate) fn new(list: Vec<Arc<dyn Hook>>) -> Self {
        Self { list: list.into() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|h| h.name()).collect()
    }

    pub(crate) fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        self.list.iter().try_for_each(|h| h.modify_operation(op))
    }

    pub(crate) fn modify_before_signing(&self, op: &Operation, request: &mut AttemptParts) -> Result<(), Error> {
        self.list.iter().try_for_each(|h| h.modify_before_signing(op, request))
    }

    pub(crate) fn classify_response(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        self.list.iter().try_for_each(|h| h.classify_response(request, response))
    }

    pub(crate) fn classify_retry(&self, op: &Operation, error: &Error) -> Option<bool> {
        self.list.iter().find_map(|h| h.classify_retry(op, error))
    }

    pub(crate) fn modify_before_deserialization(&self, op: &Operation, response: &mut RawResponse) -> Result<(), Error> {
        self.list.iter().try_for_each(|h| h.modify_before_deserialization(op, response))
    }

    pub(crate) fn read_after_deserialization(&self, op: &Operation, outcome: Result<&(dyn Any + Send), &Error>) {
        for h in self.list.iter() {
            h.read_after_deserialization(op, outcome);
        }
    }
}
