//! The Lua scripts: each runs atomically on the server (compare-and-set).

use std::sync::LazyLock;

use redis::Script;

/// Take the lease (`SET NX PX`) and, only when taken, the next fencing generation.
/// KEYS: lease, fence. ARGV: holder, ttl ms. Returns the generation, 0 when held.
///
/// A generation is at least the server's clock in microseconds, so generations keep
/// growing even when Redis lost its data (restart without persistence, eviction).
pub(crate) static LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
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
/// Returns 1 when stored, 0 when fenced off.
pub(crate) static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cur = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if cur >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'gen', ARGV[1], 'exp', ARGV[2], 'val', ARGV[3])
local exp = tonumber(ARGV[2])
if exp > 0 then redis.call('PEXPIREAT', KEYS[1], exp + tonumber(ARGV[5])) else redis.call('PERSIST', KEYS[1]) end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
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
