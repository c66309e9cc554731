//! The Lua scripts: each runs atomically on the server (compare-and-set).

use std::sync::LazyLock;

use redis::Script;

/// Take the lease (`SET NX PX`) and, only when taken, the next fencing generation.
/// KEYS: lease, fence. ARGV: holder, ttl ms. Returns the generation, 0 when held.
/// Sent again by the same holder (its reply was lost), it returns the same generation.
///
/// A generation is at least the server's clock in microseconds, so generations keep
/// growing even when Redis lost its data (restart without persistence, eviction).
pub(crate) static LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return tonumber(redis.call('GET', KEYS[2])) end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local g = redis.call('INCR', KEYS[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if g < now then
  redis.call('SET', KEYS[2], string.format('%d', now))
  g = now
end
return g
",
    )
});

/// Store a credential unless a generation as new or newer is stored (fencing), then notify.
/// KEYS: value. ARGV: generation, expiry unix ms (0: none), sealed value, channel, keep ms after expiry.
/// Returns 1 when stored (or already stored under this generation: a generation
/// belongs to one lease, so a repeat finds its own value), 0 when fenced off.
pub(crate) static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cur = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if cur == tonumber(ARGV[1]) then return 1 end
if cur > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'gen', ARGV[1], 'exp', ARGV[2], 'val', ARGV[3])
local exp = tonumber(ARGV[2])
if exp > 0 then redis.call('PEXPIREAT', KEYS[1], exp + tonumber(ARGV[5])) else redis.call('PERSIST', KEYS[1]) end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
",
    )
});

/// Extend the lease if `holder` still has it. KEYS: lease. ARGV: holder, ttl ms.
/// Returns 1 when renewed, 0 when lost.
pub(crate) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
",
    )
});

/// Free the lease if `holder` still has it, then notify.
/// KEYS: lease. ARGV: holder, channel.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], '0')
return 1
",
    )
});

/// Take or renew an ownership. KEYS: owner. ARGV: holder, ttl ms. Returns 1 when owned.
pub(crate) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
",
    )
});

/// Give up an ownership held by `holder`. KEYS: owner. ARGV: holder.
pub(crate) static UNCLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
",
    )
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RedisServer;

    /// A command whose reply was lost is sent again (`RedisStore::run`): each script
    /// must give the same answer the second time.
    #[tokio::test]
    async fn every_script_is_safe_to_send_twice() {
        let server = RedisServer::start().expect("redis-server");
        let client = redis::Client::open(server.url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let lease = |holder: &'static str| {
            let mut call = LEASE.prepare_invoke();
            call.key("l").key("f").arg(holder).arg(5000);
            call
        };
        let first: u64 = lease("h1").invoke_async(&mut c).await.unwrap();
        assert!(first > 0);
        let again: u64 = lease("h1").invoke_async(&mut c).await.unwrap();
        assert_eq!(again, first, "the holder's repeat gets its generation");
        let other: u64 = lease("h2").invoke_async(&mut c).await.unwrap();
        assert_eq!(other, 0, "another holder is still refused");

        let publish = |generation: u64| {
            let mut call = PUBLISH.prepare_invoke();
            call.key("v").arg(generation).arg(0).arg(b"sealed".to_vec()).arg("ch").arg(1000);
            call
        };
        let stored: u8 = publish(first).invoke_async(&mut c).await.unwrap();
        let repeated: u8 = publish(first).invoke_async(&mut c).await.unwrap();
        assert_eq!((stored, repeated), (1, 1), "a repeat finds its own generation stored");
        let stale: u8 = publish(first - 1).invoke_async(&mut c).await.unwrap();
        assert_eq!(stale, 0, "an older generation is still fenced off");

        let renew = |holder: &'static str| {
            let mut call = RENEW.prepare_invoke();
            call.key("l").arg(holder).arg(60_000);
            call
        };
        for _ in 0..2 {
            let renewed: u8 = renew("h1").invoke_async(&mut c).await.unwrap();
            assert_eq!(renewed, 1);
        }
        let pttl: i64 = redis::cmd("PTTL").arg("l").query_async(&mut c).await.unwrap();
        assert!(pttl > 10_000, "renewed to 60 s: {pttl}");
        let theirs: u8 = renew("h2").invoke_async(&mut c).await.unwrap();
        assert_eq!(theirs, 0, "another holder cannot renew");

        for _ in 0..2 {
            let mut call = RELEASE.prepare_invoke();
            call.key("l").arg("h1").arg("ch");
            let _: u8 = call.invoke_async(&mut c).await.unwrap();
        }
        let mut claim = CLAIM.prepare_invoke();
        claim.key("o").arg("p1").arg(5000);
        let (a, b): (u8, u8) = (claim.invoke_async(&mut c).await.unwrap(), claim.invoke_async(&mut c).await.unwrap());
        assert_eq!((a, b), (1, 1));
        let next: u64 = lease("h2").invoke_async(&mut c).await.unwrap();
        assert!(next > first, "released twice, the lease is free and the generation grows");
        let lost: u8 = renew("h1").invoke_async(&mut c).await.unwrap();
        assert_eq!(lost, 0, "a released lease is not renewed");
    }
}
