//! The fault matrix: faults, expected outcomes, and the runner that checks each cell.
//!
//! Every vendor implements [`Flow`]: an idempotent call ("read"), a non-idempotent call
//! ("create") whose arrivals the emulator counts, and how it authenticates. A cell starts a
//! fresh emulator and client, injects one fault once into the read and once into the create,
//! and checks what the client reported against what the emulator saw; afterwards the same
//! client must work again. Stream faults are run by the vendors that have an event stream.

use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use conf_core::{ClientConfig, Error, RetryPolicy};
use conf_sandbox::harness::LoggedRequest;
use conf_sandbox::{Fault, FaultRule, Server};
use futures_util::FutureExt as _;
use http::Method;
use serde::Serialize;

/// Per-attempt timeout of every client in the matrix.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a delayed response waits: well past [`ATTEMPT_TIMEOUT`].
pub const DELAY: Duration = Duration::from_millis(900);
/// The `Retry-After` value (seconds) of the 429 fault.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The retry policy of every client in the matrix: 3 attempts, 5-20 ms backoff.
pub fn retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .max_retry_after(Duration::from_secs(2))
}

/// The transport settings of every client in the matrix.
pub fn core_config(c: ClientConfig) -> ClientConfig {
    c.proxy_from_env(false)
        .attempt_timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .operation_deadline(Duration::from_secs(10))
        .retry(retry_policy())
}

/// One fault of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// The port refuses connections.
    Refused,
    /// The connection is closed before the request body is read; no response.
    ResetBeforeResponse,
    /// The request is handled (state changes), then the connection is closed unanswered.
    ResetAfterBody,
    /// The response comes after the per-attempt timeout.
    Timeout,
    /// 429 with `Retry-After`.
    TooManyRequests,
    /// 500 with an empty body.
    Status500,
    /// nginx's 502 HTML page.
    Nginx502,
    /// 503.
    Status503,
    /// 504.
    Status504,
    /// A 200 whose JSON document is cut in half.
    TruncatedJson,
    /// A 200 `application/json` body that is not JSON.
    MalformedJson,
    /// A valid success envelope whose payload has the wrong shape.
    UnexpectedShape,
    /// The platform expires the client's credentials while a call is in flight.
    CredentialsExpired,
    /// The event stream breaks mid-stream.
    StreamDropped,
    /// The event stream stays open but silent past the client's watchdog.
    StreamSilent,
}

impl Case {
    /// Every case, in table order.
    pub const ALL: [Case; 15] = [
        Case::Refused,
        Case::ResetBeforeResponse,
        Case::ResetAfterBody,
        Case::Timeout,
        Case::TooManyRequests,
        Case::Status500,
        Case::Nginx502,
        Case::Status503,
        Case::Status504,
        Case::TruncatedJson,
        Case::MalformedJson,
        Case::UnexpectedShape,
        Case::CredentialsExpired,
        Case::StreamDropped,
        Case::StreamSilent,
    ];

    /// Short name used in the report.
    pub fn name(self) -> &'static str {
        match self {
            Case::Refused => "connection refused",
            Case::ResetBeforeResponse => "reset before response",
            Case::ResetAfterBody => "reset after request handled",
            Case::Timeout => "response past attempt timeout",
            Case::TooManyRequests => "429 + Retry-After",
            Case::Status500 => "500",
            Case::Nginx502 => "502 (nginx HTML)",
            Case::Status503 => "503",
            Case::Status504 => "504",
            Case::TruncatedJson => "truncated JSON",
            Case::MalformedJson => "malformed JSON",
            Case::UnexpectedShape => "unexpected shape",
            Case::CredentialsExpired => "credentials expired",
            Case::StreamDropped => "stream dropped",
            Case::StreamSilent => "stream silent",
        }
    }

    /// What is expected, in words (for the report). For the injected faults the text is
    /// rendered from [`Case::expectation`], the very predicate the cell checks.
    pub fn expected(self) -> String {
        match self {
            Case::Refused => {
                "read and create fail with `nothing sent`, no request logged, nothing created; the same client works once the port listens"
                    .into()
            }
            Case::StreamDropped | Case::StreamSilent => {
                "the stream reconnects by itself and the roster / subscription set equals the platform's again".into()
            }
            _ => self.expectation().map(|e| e.describe()).unwrap_or_default(),
        }
    }

    /// The predicate an injected fault's cell checks; `None` for the cases checked by their
    /// own runner (refused connections, streams).
    pub fn expectation(self) -> Option<Expectation> {
        use Outcome::{Decode, NothingSent, Ok, Status, Unknown, UnknownStatus};
        let recovers = Phase::one(Alt::new(&[Ok]).attempts(2));
        let decode_once = Phase::one(Alt::new(&[Decode]).attempts(1));
        let refused_create = |status: &'static [Outcome]| Phase::one(Alt::new(status).created(Created::Exactly(0)).attempts(1));
        let e = match self {
            Case::ResetBeforeResponse => Expectation::new(
                recovers,
                Phase {
                    alts: vec![
                        Alt::new(&[Ok]).created(Created::Exactly(1)),
                        Alt::new(&[Unknown, NothingSent]).created(Created::Exactly(0)),
                    ],
                    ..Phase::default()
                },
            )
            .why("never executed twice"),
            Case::ResetAfterBody => {
                Expectation::new(recovers, Phase::one(Alt::new(&[Unknown, Ok]).created(Created::Exactly(1)).attempts(1)))
                    .why("not replayed")
            }
            Case::Timeout => Expectation::new(
                recovers,
                Phase {
                    alts: vec![Alt::new(&[Unknown]).created(Created::AtMost(1)).attempts(1), Alt::new(&[Ok]).created(Created::Exactly(1))],
                    ..Phase::default()
                },
            )
            .why("not replayed"),
            Case::TooManyRequests => Expectation::new(
                Phase { min_wait: Some(Duration::from_secs(RETRY_AFTER_SECS)), ..recovers },
                refused_create(&[Status(429)]),
            )
            .why("not replayed"),
            Case::Status500 => Expectation::new(Phase::one(Alt::new(&[Status(500)]).attempts(1)), refused_create(&[Status(500)]))
                .why("the platforms answer 500 for application errors: not transient"),
            Case::Nginx502 => Expectation::new(recovers, refused_create(&[Status(502)])).why("not replayed"),
            Case::Status503 => Expectation::new(recovers, refused_create(&[Status(503)])).why("not replayed"),
            Case::Status504 => Expectation::new(recovers, refused_create(&[UnknownStatus(504)]))
                .why("a gateway timeout cannot prove the platform did nothing; not replayed"),
            Case::TruncatedJson => {
                Expectation::new(decode_once.clone(), Phase::one(Alt::new(&[Decode]).created(Created::Exactly(1)).attempts(1)))
                    .why("the create took effect once and was not replayed")
            }
            Case::MalformedJson | Case::UnexpectedShape => {
                Expectation::new(decode_once, Phase::one(Alt::new(&[Decode]).created(Created::Exactly(0)).attempts(1)))
            }
            Case::CredentialsExpired => Expectation::new(
                Phase { reauth: Some(1), ..Phase::one(Alt::new(&[Ok])) },
                Phase { reauth: Some(1), ..Phase::one(Alt::new(&[Ok]).created(Created::Exactly(1))) },
            ),
            Case::Refused | Case::StreamDropped | Case::StreamSilent => return None,
        };
        Some(e)
    }
}

/// How a call ended, as the matrix classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success.
    Ok,
    /// `Error::HttpStatus` with this status.
    Status(u16),
    /// `Error::Decode`.
    Decode,
    /// `Error::OutcomeUnknown`, whatever the cause.
    Unknown,
    /// `Error::OutcomeUnknown` carrying this HTTP status.
    UnknownStatus(u16),
    /// An error for which nothing was sent.
    NothingSent,
}

impl Outcome {
    /// Whether `r` ended this way.
    pub fn matches(self, r: &Result<(), Error>) -> bool {
        match self {
            Outcome::Ok => r.is_ok(),
            Outcome::Status(s) => is_status(r, s),
            Outcome::Decode => is_decode(r),
            Outcome::Unknown => is_unknown(r),
            Outcome::UnknownStatus(s) => is_unknown(r) && r.as_ref().err().and_then(Error::http_status) == Some(s),
            Outcome::NothingSent => r.as_ref().is_err_and(Error::nothing_sent),
        }
    }

    fn describe(self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Status(s) => format!("HTTP {s}"),
            Outcome::Decode => "a decode error".into(),
            Outcome::Unknown => "outcome unknown".into(),
            Outcome::UnknownStatus(s) => format!("outcome unknown carrying HTTP {s}"),
            Outcome::NothingSent => "nothing sent".into(),
        }
    }
}

/// How many creates the emulator may have executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// Not checked (reads).
    Any,
    /// Exactly this many.
    Exactly(u64),
    /// At most this many.
    AtMost(u64),
}

/// One acceptable ending of a call: any of `outcomes`, with the count of creates and of
/// attempts the server saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alt {
    /// Acceptable outcomes.
    pub outcomes: &'static [Outcome],
    /// Creates the emulator executed.
    pub created: Created,
    /// Attempts the server saw (`None`: not checked).
    pub attempts: Option<usize>,
}

impl Alt {
    fn new(outcomes: &'static [Outcome]) -> Self {
        Self { outcomes, created: Created::Any, attempts: None }
    }
    fn created(mut self, c: Created) -> Self {
        self.created = c;
        self
    }
    fn attempts(mut self, n: usize) -> Self {
        self.attempts = Some(n);
        self
    }

    fn holds(&self, o: &Observed<'_>) -> bool {
        self.outcomes.iter().any(|x| x.matches(o.result))
            && match self.created {
                Created::Any => true,
                Created::Exactly(n) => o.created == n,
                Created::AtMost(n) => o.created <= n,
            }
            && self.attempts.is_none_or(|n| o.attempts == n)
    }

    fn describe(&self) -> String {
        let mut d = self.outcomes.iter().map(|o| o.describe()).collect::<Vec<_>>().join(" or ");
        if let Some(n) = self.attempts {
            let _ = write!(d, " after {n} attempt{}", if n == 1 { "" } else { "s" });
        }
        match self.created {
            Created::Any => {}
            Created::Exactly(n) => {
                let _ = write!(d, ", created {n}");
            }
            Created::AtMost(n) => {
                let _ = write!(d, ", created at most {n}");
            }
        }
        d
    }
}

/// What one call (the read or the create) of a cell must show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    /// Acceptable endings (one must hold).
    pub alts: Vec<Alt>,
    /// Re-authentications the call must have caused.
    pub reauth: Option<u64>,
    /// Least time the call must have waited (a `Retry-After`).
    pub min_wait: Option<Duration>,
}

impl Phase {
    fn one(alt: Alt) -> Self {
        Self { alts: vec![alt], ..Self::default() }
    }

    /// Whether the observation satisfies this phase.
    pub fn holds(&self, o: &Observed<'_>) -> bool {
        self.alts.iter().any(|a| a.holds(o)) && self.reauth.is_none_or(|n| o.reauth == n) && self.min_wait.is_none_or(|w| o.waited >= w)
    }

    fn describe(&self) -> String {
        let mut d = self.alts.iter().map(Alt::describe).collect::<Vec<_>>().join("; or ");
        if let Some(w) = self.min_wait {
            let _ = write!(d, ", having waited Retry-After (>= {} s)", w.as_secs());
        }
        if let Some(n) = self.reauth {
            let _ = write!(d, ", after exactly {n} re-authentication{}", if n == 1 { "" } else { "s" });
        }
        d
    }
}

/// What one call of a cell showed.
#[derive(Debug)]
pub struct Observed<'a> {
    /// The call's result.
    pub result: &'a Result<(), Error>,
    /// Requests of this call the server logged.
    pub attempts: usize,
    /// Creates the emulator executed during the call.
    pub created: u64,
    /// Re-authentications during the call.
    pub reauth: u64,
    /// How long the call took.
    pub waited: Duration,
}

/// The expected outcome of an injected fault: the read's and the create's predicates, and
/// why (for the report). The report's "expected" column is rendered from this value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The idempotent call.
    pub read: Phase,
    /// The non-idempotent call.
    pub create: Phase,
    /// The reason, in words.
    pub why: &'static str,
}

impl Expectation {
    fn new(read: Phase, create: Phase) -> Self {
        Self { read, create, why: "" }
    }
    fn why(mut self, why: &'static str) -> Self {
        self.why = why;
        self
    }

    /// The expectation in words: exactly what [`Phase::holds`] checks.
    pub fn describe(&self) -> String {
        let mut d = format!("read: {}; create: {}", self.read.describe(), self.create.describe());
        if !self.why.is_empty() {
            let _ = write!(d, " ({})", self.why);
        }
        d
    }
}

/// One cell of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Vendor crate.
    pub vendor: String,
    /// Fault name ([`Case::name`]).
    pub fault: String,
    /// Whether the fault applies to this vendor.
    pub applicable: bool,
    /// Expected outcome (or why the cell does not apply).
    pub expected: String,
    /// Observed outcome.
    pub observed: String,
    /// Whether the observation matches the expectation (`true` for cells that do not apply).
    pub pass: bool,
    /// Wall time of the cell, in milliseconds.
    pub millis: u64,
    /// Secrets the flow used (configuration and credentials seen on the wire); not reported.
    #[serde(skip)]
    pub secrets: Vec<String>,
    /// Every error text (Display and Debug) the cell produced; not reported, audited.
    #[serde(skip)]
    pub texts: Vec<String>,
}

/// What a vendor-specific part of a cell found.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Observed outcome.
    pub observed: String,
    /// Whether it is as expected.
    pub pass: bool,
    /// Error texts produced (for the secret audit).
    pub texts: Vec<String>,
}

/// A call the matrix targets: method, exact path, and (for APIs that dispatch on a body
/// field) a body needle.
#[derive(Debug, Clone)]
pub struct Target {
    /// HTTP method.
    pub method: Method,
    /// Exact path as the server logs it.
    pub path: String,
    /// A byte string the body must contain.
    pub body: Option<String>,
}

impl Target {
    /// A target without body filter.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self { method, path: path.into(), body: None }
    }

    /// Also require `needle` in the body.
    pub fn body(mut self, needle: impl Into<String>) -> Self {
        self.body = Some(needle.into());
        self
    }

    /// A rule applying `fault` once to this call.
    pub fn rule(&self, fault: Fault) -> FaultRule {
        let mut rule = FaultRule::new(fault).method(self.method.clone()).path_exact(self.path.clone()).once();
        if let Some(b) = &self.body {
            rule = rule.body_contains(b.as_bytes());
        }
        rule
    }

    /// Whether `r` is a request of this call.
    pub fn matches(&self, r: &LoggedRequest) -> bool {
        r.method == self.method.as_str()
            && r.path == self.path
            && self.body.as_ref().is_none_or(|b| r.body.windows(b.len()).any(|w| w == b.as_bytes()))
    }
}

/// A vendor's core flow against its emulator.
#[allow(async_fn_in_trait)]
pub trait Flow: Sized {
    /// Vendor crate name.
    const VENDOR: &'static str;

    /// Start an emulator and a client, and run the warm-up (authentication, one create so
    /// reads have something to read). Panics if the clean flow fails.
    async fn start() -> Self;
    /// The emulator's server.
    fn server(&self) -> &Server;
    /// The idempotent call.
    async fn read(&self) -> Result<(), Error>;
    /// Where the idempotent call goes.
    fn read_target(&self) -> Target;
    /// The non-idempotent call.
    async fn create(&self) -> Result<(), Error>;
    /// Where the non-idempotent call goes.
    fn create_target(&self) -> Target;
    /// How many creates the emulator has executed.
    fn created(&self) -> u64;
    /// Successful authentications so far; `Err(reason)` when nothing the client holds can expire.
    fn authentications(&self) -> Result<u64, &'static str>;
    /// `(read, create)` bodies: a valid success envelope with a payload of the wrong shape.
    fn unexpected_shapes(&self) -> (String, String);
    /// Run a stream case; `Err(reason)` when the vendor has no event stream.
    async fn stream(&self, case: Case) -> Result<Verdict, &'static str>;
    /// Secrets this flow used: configured credentials and those issued on the wire.
    fn secrets(&self) -> Vec<String>;
}

static PANICS: AtomicU64 = AtomicU64::new(0);
static HOOK: Once = Once::new();

/// Count every panic of the process (any thread, any task), then run the previous hook.
pub fn install_panic_counter() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// Panics counted so far.
pub fn panics() -> u64 {
    PANICS.load(Ordering::SeqCst)
}

/// A short classification of an error: `nothing-sent transport`, `HTTP 503`, `decode`, ...
pub fn kind(e: &Error) -> String {
    match e {
        Error::Transport { sent: false, .. } => "transport (nothing sent)".into(),
        Error::Transport { .. } => "transport (sent)".into(),
        Error::Timeout { .. } => "timeout".into(),
        Error::HttpStatus { status, .. } => format!("HTTP {status}"),
        Error::Vendor { code, .. } => format!("vendor {code}"),
        Error::Decode { .. } => "decode".into(),
        Error::Auth { .. } => "auth".into(),
        Error::Unsupported { .. } => "unsupported".into(),
        Error::InvalidInput { .. } => "invalid input".into(),
        Error::OutcomeUnknown { cause, .. } => format!("outcome unknown ({})", kind(cause)),
        Error::Discovery { cause, .. } => format!("API-Level discovery failed ({})", kind(cause)),
        Error::Redirect { status, .. } => format!("redirect {status} not followed"),
        Error::LimitExceeded { what, .. } => format!("{what} limit"),
        _ => "other".into(),
    }
}

fn describe(r: &Result<(), Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => kind(e),
    }
}

fn texts_of(r: &Result<(), Error>, out: &mut Vec<String>) {
    if let Err(e) = r {
        out.push(format!("{e}"));
        out.push(format!("{e:?}"));
    }
}

/// Run every case for one vendor, one fresh emulator per cell, in order.
pub async fn run_vendor<F: Flow>() -> Vec<Cell> {
    install_panic_counter();
    let mut cells = Vec::new();
    for case in Case::ALL {
        let before = panics();
        let started = Instant::now();
        let outcome = AssertUnwindSafe(run_case::<F>(case)).catch_unwind().await;
        let millis = started.elapsed().as_millis() as u64;
        let mut cell = match outcome {
            Ok(cell) => cell,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_default();
                Cell {
                    vendor: F::VENDOR.into(),
                    fault: case.name().into(),
                    applicable: true,
                    expected: case.expected(),
                    observed: format!("PANIC: {msg}"),
                    pass: false,
                    millis: 0,
                    secrets: Vec::new(),
                    texts: vec![msg],
                }
            }
        };
        cell.millis = millis;
        let panicked = panics() - before;
        if panicked > 0 {
            cell.pass = false;
            let _ = write!(cell.observed, "; {panicked} panic(s) during the cell");
        }
        cells.push(cell);
    }
    cells
}

/// Run every vendor's cells (vendors one after the other).
pub async fn run_all() -> Vec<Cell> {
    use crate::flows::{lingsun::LingsunFlow, moyun::MoyunFlow, vmr::VmrFlow, webapi::WebApiFlow, ytx::YtxFlow};
    let mut cells = run_vendor::<MoyunFlow>().await;
    cells.extend(run_vendor::<VmrFlow>().await);
    cells.extend(run_vendor::<WebApiFlow>().await);
    cells.extend(run_vendor::<YtxFlow>().await);
    cells.extend(run_vendor::<LingsunFlow>().await);
    cells
}

fn not_applicable<F: Flow>(case: Case, reason: &str) -> Cell {
    Cell {
        vendor: F::VENDOR.into(),
        fault: case.name().into(),
        applicable: false,
        expected: format!("n/a: {reason}"),
        observed: "n/a".into(),
        pass: true,
        millis: 0,
        secrets: Vec::new(),
        texts: Vec::new(),
    }
}

async fn run_case<F: Flow>(case: Case) -> Cell {
    if case == Case::CredentialsExpired {
        // Ask a throw-away flow whether anything can expire, without starting one twice.
        let flow = F::start().await;
        if let Err(reason) = flow.authentications() {
            return not_applicable::<F>(case, reason);
        }
        return finish::<F>(case, &flow, injected(case, &flow).await);
    }
    let flow = F::start().await;
    let verdict = match case {
        Case::StreamDropped | Case::StreamSilent => match flow.stream(case).await {
            Ok(v) => v,
            Err(reason) => return not_applicable::<F>(case, reason),
        },
        Case::Refused => refused(&flow).await,
        _ => injected(case, &flow).await,
    };
    finish::<F>(case, &flow, verdict)
}

fn finish<F: Flow>(case: Case, flow: &F, v: Verdict) -> Cell {
    Cell {
        vendor: F::VENDOR.into(),
        fault: case.name().into(),
        applicable: true,
        expected: case.expected(),
        observed: v.observed,
        pass: v.pass,
        millis: 0,
        secrets: flow.secrets(),
        texts: v.texts,
    }
}

async fn refused<F: Flow>(flow: &F) -> Verdict {
    let server = flow.server();
    let mut texts = Vec::new();
    let c0 = flow.created();
    server.set_refusing(true);
    let logged = server.log().len();
    let read = flow.read().await;
    let create = flow.create().await;
    let during = flow.created() - c0;
    let reached = server.log().len() - logged;
    server.set_refusing(false);
    let read_again = flow.read().await;
    let create_again = flow.create().await;
    let after = flow.created() - c0;
    texts_of(&read, &mut texts);
    texts_of(&create, &mut texts);
    texts_of(&read_again, &mut texts);
    texts_of(&create_again, &mut texts);
    let pass = read.as_ref().is_err_and(Error::nothing_sent)
        && create.as_ref().is_err_and(Error::nothing_sent)
        && during == 0
        && reached == 0
        && read_again.is_ok()
        && create_again.is_ok()
        && after == 1;
    Verdict {
        observed: format!(
            "read: {}; create: {}, created {during}, requests logged {reached}; after listening again: read {}, create {} (created {after})",
            describe(&read),
            describe(&create),
            describe(&read_again),
            describe(&create_again)
        ),
        pass,
        texts,
    }
}

fn fault_for(case: Case, shapes: &(String, String), create: bool) -> Fault {
    match case {
        Case::ResetBeforeResponse => Fault::DropBeforeBody,
        Case::ResetAfterBody => Fault::DropAfterHandling,
        Case::Timeout => Fault::Delay(DELAY),
        Case::TooManyRequests => Fault::retry_after(429, RETRY_AFTER_SECS.to_string()),
        Case::Status500 => Fault::status(500),
        Case::Nginx502 => Fault::NginxHtml(502),
        Case::Status503 => Fault::status(503),
        Case::Status504 => Fault::status(504),
        Case::TruncatedJson => Fault::TruncatedJson,
        Case::MalformedJson => Fault::MalformedJson,
        Case::UnexpectedShape => Fault::json(200, if create { shapes.1.clone() } else { shapes.0.clone() }),
        Case::CredentialsExpired => Fault::ExpireCredentials,
        Case::Refused | Case::StreamDropped | Case::StreamSilent => unreachable!("not an injected fault"),
    }
}

fn is_status(r: &Result<(), Error>, status: u16) -> bool {
    matches!(r, Err(Error::HttpStatus { status: s, .. }) if *s == status)
}

fn is_decode(r: &Result<(), Error>) -> bool {
    matches!(r, Err(Error::Decode { .. }))
}

fn is_unknown(r: &Result<(), Error>) -> bool {
    matches!(r, Err(Error::OutcomeUnknown { .. }))
}

/// Inject the case's fault once into the read, then once into the create, then check the
/// client still works.
async fn injected<F: Flow>(case: Case, flow: &F) -> Verdict {
    let server = flow.server();
    let shapes = flow.unexpected_shapes();
    let mut texts = Vec::new();

    // The idempotent call.
    let target = flow.read_target();
    let auth0 = flow.authentications().unwrap_or(0);
    let from = server.log().len();
    let rule = server.faults().add(target.rule(fault_for(case, &shapes, false)));
    let started = Instant::now();
    let read = flow.read().await;
    let waited = started.elapsed();
    let applied = server.faults().applied(rule).unwrap_or(0);
    server.faults().clear();
    let read_attempts = server.log().entries().iter().skip(from).filter(|r| target.matches(r)).count();
    let read_auth = flow.authentications().unwrap_or(0) - auth0;
    texts_of(&read, &mut texts);

    // The non-idempotent call.
    let target = flow.create_target();
    let c0 = flow.created();
    let auth1 = flow.authentications().unwrap_or(0);
    let from = server.log().len();
    let rule = server.faults().add(target.rule(fault_for(case, &shapes, true)));
    let create = flow.create().await;
    let create_applied = server.faults().applied(rule).unwrap_or(0);
    server.faults().clear();
    if case == Case::Timeout {
        // A delayed request may still be handled once its delay ends: wait it out before counting.
        tokio::time::sleep(DELAY + Duration::from_millis(300)).await;
    }
    let created = flow.created() - c0;
    let create_attempts = server.log().entries().iter().skip(from).filter(|r| target.matches(r)).count();
    let create_auth = flow.authentications().unwrap_or(0) - auth1;
    texts_of(&create, &mut texts);

    // The same client afterwards.
    let healthy = flow.read().await;
    texts_of(&healthy, &mut texts);

    // The same predicate the report's "expected" column is rendered from.
    let expect = case.expectation().expect("an injected fault has an expectation");
    let read_ok = expect.read.holds(&Observed { result: &read, attempts: read_attempts, created: 0, reauth: read_auth, waited });
    let create_ok =
        expect.create.holds(&Observed { result: &create, attempts: create_attempts, created, reauth: create_auth, waited: Duration::ZERO });
    let fired = applied == 1 && create_applied == 1;
    let mut observed = format!(
        "read: {} ({read_attempts} attempt(s){}); create: {} ({create_attempts} attempt(s), created {created}{}); then read: {}",
        describe(&read),
        if case == Case::TooManyRequests { format!(", waited {} ms", waited.as_millis()) } else { String::new() },
        describe(&create),
        if case == Case::CredentialsExpired { format!(", re-authentications {read_auth} + {create_auth}") } else { String::new() },
        describe(&healthy),
    );
    if !fired {
        let _ = write!(observed, "; FAULT NOT APPLIED (read {applied}, create {create_applied})");
    }
    Verdict { observed, pass: fired && read_ok && create_ok && healthy.is_ok(), texts }
}

/// Poll `cond` every 10 ms for up to `within`.
pub async fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !cond() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// Credentials the client sent, as the server logged them: bearer tokens, cookies, token
/// headers and credential fields of form and JSON bodies.
pub fn wire_secrets(server: &Server) -> Vec<String> {
    const FIELDS: [&str; 10] = [
        "token",
        "account_token",
        "refresh_token",
        "access_token",
        "password",
        "client_secret",
        "key",
        "oauth_consumer_secret",
        "pwd",
        "authToken",
    ];
    let mut out = Vec::new();
    for r in server.log().entries() {
        for (name, value) in &r.headers {
            let Ok(v) = value.to_str() else { continue };
            match name.as_str() {
                "authorization" => {
                    if let Some(t) = v.strip_prefix("Bearer ") {
                        out.push(t.to_string());
                    }
                }
                "cookie" => {
                    for kv in v.split(';') {
                        if let Some((_, val)) = kv.split_once('=') {
                            out.push(val.trim().to_string());
                        }
                    }
                }
                "token" | "x-token" => out.push(v.to_string()),
                _ => {}
            }
        }
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&r.body) {
            collect_json(&json, &FIELDS, &mut out);
        } else {
            for (k, v) in url::form_urlencoded::parse(&r.body) {
                if FIELDS.contains(&k.as_ref()) {
                    out.push(v.into_owned());
                }
            }
        }
        if let Some(q) = &r.query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                if FIELDS.contains(&k.as_ref()) {
                    out.push(v.into_owned());
                }
            }
        }
    }
    out.retain(|s| s.len() >= 6);
    out.sort();
    out.dedup();
    out
}

fn collect_json(v: &serde_json::Value, fields: &[&str], out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match v {
                    serde_json::Value::String(s) if fields.contains(&k.as_str()) => out.push(s.clone()),
                    other => collect_json(other, fields, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_json(v, fields, out)),
        _ => {}
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The whole of `docs/reliability.md`'s generated part, rendered once from the cells (the
/// fault matrix test prints it and `cargo xtask faults` writes it).
pub fn report(cells: &[Cell]) -> String {
    let mut vendors: Vec<&str> = Vec::new();
    for c in cells {
        if !vendors.contains(&c.vendor.as_str()) {
            vendors.push(&c.vendor);
        }
    }
    let faults: Vec<&str> = Case::ALL.iter().map(|c| c.name()).filter(|f| cells.iter().any(|c| c.fault == *f)).collect();
    let applicable: Vec<&Cell> = cells.iter().filter(|c| c.applicable).collect();
    let passed = applicable.iter().filter(|c| c.pass).count();
    let na = cells.len() - applicable.len();
    let total_ms: u64 = cells.iter().map(|c| c.millis).sum();

    let mut d = String::new();
    d.push_str("# Reliability: the fault matrix\n\n");
    d.push_str(
        "Generated by `cargo xtask faults` from `tests/tests/fault_matrix.rs` (rendered by `conf_sdk_tests::matrix::report`; the *expected* column is rendered from the predicates the cells check); do not edit by hand above the hand-written marker at the end.\n\n\
         Every vendor's core flow runs against its conf-sandbox emulator once per fault, the fault \
         injected by the emulator harness (`conf_sandbox::harness`). Each cell starts a fresh \
         emulator and client, injects the fault once into an idempotent call (the *read*) and once \
         into a non-idempotent call (the *create*, whose arrivals the emulator counts), compares \
         what the client reported with what the emulator saw, and then calls the same client \
         again. Clients use a 300 ms per-attempt timeout, 3 attempts and 5-20 ms backoff.\n\n",
    );
    let _ = writeln!(
        d,
        "**Totals:** {} cells; {} apply, **{passed} as expected**, {} not; {na} do not apply (n/a). Run time of the cells: {:.1} s.\n",
        cells.len(),
        applicable.len(),
        applicable.len() - passed,
        total_ms as f64 / 1000.0
    );
    d.push_str("| fault |");
    for v in &vendors {
        let _ = write!(d, " {v} |");
    }
    d.push_str("\n|---|");
    for _ in &vendors {
        d.push_str("---|");
    }
    d.push('\n');
    for f in &faults {
        let _ = write!(d, "| {f} |");
        for v in &vendors {
            let mark = cells.iter().find(|c| c.vendor == *v && c.fault == *f).map_or("?", |c| {
                if !c.applicable {
                    "n/a"
                } else if c.pass {
                    "as expected"
                } else {
                    "**NOT as expected**"
                }
            });
            let _ = write!(d, " {mark} |");
        }
        d.push('\n');
    }

    d.push_str("\n## Expected outcome per fault\n\n| fault | expected |\n|---|---|\n");
    for f in &faults {
        if let Some(c) = cells.iter().find(|c| c.fault == *f && c.applicable) {
            let _ = writeln!(d, "| {f} | {} |", escape(&c.expected));
        }
    }

    d.push_str("\n## Cells that do not apply\n\n| vendor | fault | why |\n|---|---|---|\n");
    for c in cells.iter().filter(|c| !c.applicable) {
        let why = c.expected.trim_start_matches("n/a: ");
        let _ = writeln!(d, "| {} | {} | {} |", c.vendor, c.fault, escape(why));
    }

    d.push_str("\n## Observed, cell by cell\n\n| vendor | fault | observed | ms | as expected |\n|---|---|---|---|---|\n");
    for c in &applicable {
        let _ = writeln!(
            d,
            "| {} | {} | {} | {} | {} |",
            c.vendor,
            c.fault,
            escape(&c.observed),
            c.millis,
            if c.pass { "yes" } else { "**no**" }
        );
    }

    d.push_str(
        "\n## Notes\n\n\
         - *Read* / *create* per vendor: moyun `vc.list_confs` / `mc.create_conf`; vmr \
         `service_status` / `dial` (in a session); webapi `getmeetingfile` / `meetingcreate`; ytx \
         `meetingState` / `createMeeting`; lingsun `getAll` packages / `open` order.\n\
         - *created* counts what the emulator executed (conferences, dial requests, meetings, \
         orders), so a replayed non-idempotent call would show as 2.\n\
         - 500 is not retried: the platforms answer 500 for application errors, not for overload. \
         429/502/503/504 are retried for idempotent calls only; a non-idempotent call gets the \
         status back and was not replayed, except 504: a gateway timeout does not prove the platform \
         did nothing, so a create answered 504 is reported as outcome unknown (carrying the 504).\n\
         - A truncated or malformed 200 is a decode error and is not retried; for a create the \
         emulator did execute it (truncation happens after handling), which the cell checks: \
         executed once, not replayed.\n\
         - *credentials expired*: the harness runs the emulator's expiry hook (moyun: account \
         token and cookie session; vmr: session token; lingsun: OAuth access token) just before \
         handling the call; the client must re-authenticate exactly once (moyun: one login; vmr: \
         one new session after the refused refresh; lingsun: one grant) and replay the rejected call.\n\
         - *stream dropped*: vmr `abort_streams` (connection cut mid-stream, roster changed while \
         down); moyun `abort_streams` on the CometD long poll. *stream silent*: the server stalls \
         the stream; the client's watchdog must give up and reconnect (vmr silence timeout 800 ms; \
         moyun long poll 300 ms + 200 ms margin).\n\
         - *unexpected shape*: a success envelope whose payload has a field of the wrong type (an \
         object where a list or text is expected); every client reports a decode error. Not in the \
         matrix: a success envelope that *lacks* a field. ytx `createMeeting` answering \
         `{\"statusCode\":\"0\"}` without `meid` is rejected as a decode error naming `meid` (no \
         meeting with an empty id is returned); known gap: vmr `dial` answering a result with no \
         uuids returns an empty list. Both are checked by \
         `a_success_reply_without_the_created_id_is_a_decode_error` in `tests/tests/fault_matrix.rs`.\n\
         - Every cell also counts panics in any thread (a panic hook): one panic fails the cell.\n\
         - The same flows run again under a TRACE subscriber in `tests/tests/secret_audit.rs`, \
         which searches everything logged and reported for the secrets used.\n\n\
         ## Reproduce\n\n\
         ```sh\n\
         cargo xtask faults                                      # runs the matrix, rewrites this file\n\
         cargo test -p conf-sdk-tests --test fault_matrix -- --nocapture   # the same cells, as CI runs them\n\
         ```\n",
    );
    d
}
