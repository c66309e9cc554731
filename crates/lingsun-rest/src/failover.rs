//! Domain failover (切换域名) as a conf-core [`EndpointResolver`].
//!
//! For each call the attempts go, in order, to:
//! 1. the starting host: the host that last answered (remembered for
//!    [`HOST_MEMORY`]), else the primary domain;
//! 2. the same host once more;
//! 3. the other primary domain, unless the starting host's last failure was a
//!    network failure that is not a DNS failure (the document then skips to step 4);
//! 4. the regional hosts next to the one in use, in order; then the plan repeats.
//!
//! The retry policy of the client decides how many attempts a call makes and how
//! long to back off between them; conf-core retries a non-idempotent POST only when
//! nothing was sent (connect and DNS failures), which is exactly the failover case.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use conf_core::{AttemptOutcome, EndpointResolver, Error, Operation};
use tokio::time::Instant;
use url::Url;

use crate::domains::Hosts;

/// How long the host that last answered is preferred.
pub const HOST_MEMORY: Duration = Duration::from_secs(30);

/// How long a call's starting host is kept (longer than any reasonable operation deadline).
const CALL_MEMORY: Duration = Duration::from_secs(300);

/// Past this many calls in the table, stale entries are swept.
const CALL_SWEEP_AT: usize = 1024;

struct State {
    hosts: Hosts,
    remembered: Option<(Url, Instant)>,
    last_failure: HashMap<String, AttemptOutcome>,
    /// Starting host of each call in flight, keyed by the address of its (shared) operation.
    calls: HashMap<usize, (Url, Instant)>,
}

/// Chooses the host of each attempt (see the module documentation).
pub struct FailoverResolver {
    state: Mutex<State>,
    memory: Duration,
}

impl std::fmt::Debug for FailoverResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock();
        f.debug_struct("FailoverResolver").field("hosts", &st.hosts).field("memory", &self.memory).finish_non_exhaustive()
    }
}

fn origin(u: &Url) -> String {
    u.origin().ascii_serialization()
}

impl FailoverResolver {
    /// A resolver over `hosts` remembering the working host for [`HOST_MEMORY`].
    pub fn new(hosts: Hosts) -> Self {
        Self::with_memory(hosts, HOST_MEMORY)
    }

    /// A resolver with another host memory.
    pub fn with_memory(hosts: Hosts, memory: Duration) -> Self {
        Self { state: Mutex::new(State { hosts, remembered: None, last_failure: HashMap::new(), calls: HashMap::new() }), memory }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replace the hosts (private routing); forgets the remembered host.
    pub fn set_hosts(&self, hosts: Hosts) {
        let mut st = self.lock();
        st.hosts = hosts;
        st.remembered = None;
        st.last_failure.clear();
    }

    /// The hosts.
    pub fn hosts(&self) -> Hosts {
        self.lock().hosts.clone()
    }

    /// The host that answered last, while it is remembered.
    pub fn remembered(&self) -> Option<Url> {
        let st = self.lock();
        st.remembered.as_ref().filter(|(_, at)| at.elapsed() < self.memory).map(|(u, _)| u.clone())
    }

    /// The hosts a call starting at `start` tries, in order (before repeating), given
    /// the last failure of `start`.
    pub fn plan(hosts: &Hosts, start: &Url, start_failure: Option<AttemptOutcome>) -> Vec<Url> {
        let mut plan = vec![start.clone(), start.clone()];
        let skip_secondary = start_failure == Some(AttemptOutcome::NetworkFailure) && !hosts.regional.is_empty();
        let mut rest: Vec<&Url> = Vec::new();
        if origin(start) != origin(&hosts.primary) {
            rest.push(&hosts.primary);
        }
        if !skip_secondary {
            rest.push(&hosts.secondary);
        }
        rest.extend(hosts.regional.iter());
        for u in rest {
            if origin(u) != origin(start) && !plan.iter().any(|p| origin(p) == origin(u)) {
                plan.push(u.clone());
            }
        }
        plan
    }
}

impl EndpointResolver for FailoverResolver {
    fn resolve(&self, op: &Operation, attempt: u32) -> Result<Url, Error> {
        let key = std::ptr::from_ref(op) as usize;
        let now = Instant::now();
        let mut st = self.lock();
        let start = if attempt <= 1 {
            if st.calls.len() >= CALL_SWEEP_AT {
                st.calls.retain(|_, (_, at)| now.duration_since(*at) < CALL_MEMORY);
            }
            let start = match &st.remembered {
                Some((u, at)) if now.duration_since(*at) < self.memory => u.clone(),
                _ => st.hosts.primary.clone(),
            };
            st.calls.insert(key, (start.clone(), now));
            start
        } else {
            match st.calls.get(&key) {
                Some((u, _)) => u.clone(),
                None => st.hosts.primary.clone(),
            }
        };
        let failure = st.last_failure.get(&origin(&start)).copied();
        let plan = Self::plan(&st.hosts, &start, failure);
        let index = (attempt.max(1) - 1) as usize % plan.len();
        Ok(plan[index].clone())
    }

    fn report(&self, base: &Url, outcome: AttemptOutcome) {
        let mut st = self.lock();
        let key = origin(base);
        match outcome {
            AttemptOutcome::Answered => {
                st.last_failure.remove(&key);
                st.remembered = Some((base.clone(), Instant::now()));
            }
            failure => {
                tracing::debug!(host = %key, ?failure, "lingsun host failed");
                st.last_failure.insert(key.clone(), failure);
                if st.remembered.as_ref().is_some_and(|(u, _)| origin(u) == key) {
                    st.remembered = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttemptOutcome::{Answered, DnsFailure, NetworkFailure};

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn hosts(regional: &[&str]) -> Hosts {
        Hosts::custom(u("https://p.test"), u("https://s.test"), regional.iter().map(|r| u(r)).collect())
    }

    fn op() -> Operation {
        Operation::new("lingsun", "t", http::Method::POST, "/x", "/x")
    }

    /// Run one call: each attempt resolves a host and reports the outcome the table
    /// gives for that host (hosts not listed answer). Returns the hosts tried.
    fn run(r: &FailoverResolver, outcomes: &[(&str, AttemptOutcome)], max_attempts: u32) -> Vec<String> {
        let op = op();
        let mut tried = Vec::new();
        for attempt in 1..=max_attempts {
            let base = r.resolve(&op, attempt).unwrap();
            let host = base.host_str().unwrap().to_string();
            let outcome = outcomes.iter().find(|(h, _)| *h == host).map_or(Answered, |(_, o)| *o);
            r.report(&base, outcome);
            tried.push(host);
            if outcome == Answered {
                break;
            }
        }
        tried
    }

    /// Case name, regional hosts, outcome per host, hosts tried.
    type Row<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, AttemptOutcome)], &'a [&'a str]);

    #[tokio::test]
    async fn failover_order_table() {
        let two = &["https://r1.test", "https://r2.test"][..];
        #[rustfmt::skip]
        let table: &[Row] = &[
            ("primary answers", two, &[], &["p.test"]),
            ("dns failure: same host once more, then the other primary",
                two, &[("p.test", DnsFailure)], &["p.test", "p.test", "s.test"]),
            ("network failure: the other primary is skipped",
                two, &[("p.test", NetworkFailure)], &["p.test", "p.test", "r1.test"]),
            ("dns failure everywhere: every host in order",
                two, &[("p.test", DnsFailure), ("s.test", DnsFailure), ("r1.test", DnsFailure)], &["p.test", "p.test", "s.test", "r1.test", "r2.test"]),
            ("network failure everywhere: regional hosts, then the plan repeats",
                two, &[("p.test", NetworkFailure), ("r1.test", NetworkFailure), ("r2.test", NetworkFailure)], &["p.test", "p.test", "r1.test", "r2.test", "p.test"]),
            ("no regional host: a network failure still tries the other primary",
                &[], &[("p.test", NetworkFailure)], &["p.test", "p.test", "s.test"]),
        ];
        for (name, regional, outcomes, expected) in table {
            let r = FailoverResolver::new(hosts(regional));
            assert_eq!(run(&r, outcomes, 5), *expected, "{name}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn working_host_is_remembered_for_30_seconds() {
        let r = FailoverResolver::new(hosts(&["https://r1.test"]));
        assert_eq!(run(&r, &[("p.test", DnsFailure)], 5), ["p.test", "p.test", "s.test"]);
        assert_eq!(r.remembered().unwrap().host_str(), Some("s.test"));
        // the next calls start at the host that worked
        assert_eq!(run(&r, &[("p.test", DnsFailure)], 5), ["s.test"]);
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(run(&r, &[("p.test", DnsFailure)], 5), ["s.test"]);
        // 30 s after the last answer, calls start at the primary again
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(r.remembered().is_none());
        assert_eq!(run(&r, &[], 5), ["p.test"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_remembered_host_is_retried_once_then_left() {
        let r = FailoverResolver::new(hosts(&["https://r1.test"]));
        run(&r, &[("p.test", DnsFailure)], 5);
        assert_eq!(r.remembered().unwrap().host_str(), Some("s.test"));
        let tried = run(&r, &[("s.test", DnsFailure)], 5);
        assert_eq!(tried, ["s.test", "s.test", "p.test"]);
        assert_eq!(r.remembered().unwrap().host_str(), Some("p.test"));
    }

    #[tokio::test]
    async fn area_decides_the_primary() {
        use crate::domains::Area;
        let op = op();
        let cn = FailoverResolver::new(Hosts::for_area(Area::ChinaMainland, None).unwrap());
        let global = FailoverResolver::new(Hosts::for_area(Area::Global, Some("eu-central-1")).unwrap());
        assert_eq!(cn.resolve(&op, 1).unwrap().host_str(), Some("api.sd-rtn.com"));
        assert_eq!(global.resolve(&op, 1).unwrap().host_str(), Some("api.agora.io"));
        global.report(&u("https://api.agora.io"), DnsFailure);
        let order: Vec<_> = (2..=5).map(|a| global.resolve(&op, a).unwrap().host_str().unwrap().to_string()).collect();
        assert_eq!(order, ["api.agora.io", "api.sd-rtn.com", "api-eu-west-1.agora.io", "api-eu-west-1.sd-rtn.com"]);
    }

    #[tokio::test]
    async fn replaced_hosts_are_used_and_memory_forgotten() {
        let r = FailoverResolver::new(hosts(&[]));
        run(&r, &[], 1);
        assert!(r.remembered().is_some());
        r.set_hosts(Hosts::single(u("http://127.0.0.1:9")));
        assert!(r.remembered().is_none());
        assert_eq!(r.resolve(&op(), 1).unwrap().as_str(), "http://127.0.0.1:9/");
    }
}
