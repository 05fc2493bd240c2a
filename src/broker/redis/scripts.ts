/**
 * Lua scripts of the shared connection registry. Each one runs atomically in
 * Redis, so two instances never race on a limit or on who reports a session.
 *
 * Data model (P = key prefix):
 *   P reg:session:<sessionId>  sorted set, member "<instanceId>:<connectionId>", score = expiry (ms, Redis clock)
 *   P reg:ip:<ip>              sorted set, same members and scores (every connection, listener or broadcaster)
 *   P reg:sessions             sorted set, member = sessionId, score = latest expiry of its members;
 *                              a session is in it from its first registration until exactly one
 *                              caller takes it out (last release, or the sweeper once all expired)
 * A member whose score is <= now is expired: it counts for nothing and is removed lazily.
 * Live instances push their members' expiry forward on a timer; a crashed one stops,
 * so its members expire on their own. Registry keys also carry a key TTL so that
 * nothing outlives its members (e.g. the IP set of a crashed instance).
 * All times come from Redis (TIME), never from the instances' clocks.
 */

/** Shared prelude: `now` (ms) and helpers. */
const prelude = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowStr = string.format('%.0f', now)
local function prune(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', nowStr)
  return redis.call('ZCARD', key)
end
local function keepKey(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
local function bumpIndex(index, sessionId, expiry)
  local current = redis.call('ZSCORE', index, sessionId)
  if not current or tonumber(current) < expiry then redis.call('ZADD', index, expiry, sessionId) end
end
`;

/**
 * Checks the limits and registers one connection.
 * KEYS: [ipKey, sessionKey, index] (sessionKey unused when ARGV[5] is '')
 * ARGV: [member, ttlMs, perSession (0 = none), perIp (0 = none), sessionId or '']
 * Returns {1, first (1|0)} or {0, 'session_limit' | 'ip_limit'}.
 * Acquiring a member that is already registered refreshes it and never counts twice.
 */
export const acquireLua = `${prelude}
local member = ARGV[1]
local ttl = tonumber(ARGV[2])
local perSession = tonumber(ARGV[3])
local perIp = tonumber(ARGV[4])
local sessionId = ARGV[5]
local expiry = now + ttl
local ipKey = KEYS[1]
local ipCount = prune(ipKey)
if perIp > 0 and ipCount >= perIp and not redis.call('ZSCORE', ipKey, member) then
  return {0, 'ip_limit'}
end
local first = 0
if sessionId ~= '' then
  local sessionKey = KEYS[2]
  local sessionCount = prune(sessionKey)
  if perSession > 0 and sessionCount >= perSession and not redis.call('ZSCORE', sessionKey, member) then
    return {0, 'session_limit'}
  end
  if sessionCount == 0 then first = 1 end
  redis.call('ZADD', sessionKey, expiry, member)
  keepKey(sessionKey, ttl)
  bumpIndex(KEYS[3], sessionId, expiry)
end
redis.call('ZADD', ipKey, expiry, member)
keepKey(ipKey, ttl)
return {1, first}
`;

/**
 * Unregisters one connection.
 * KEYS: [ipKey, sessionKey, index]; ARGV: [member, sessionId or '']
 * Returns 1 when this call took the session's last live member away (the caller
 * reports it offline), else 0. Whoever removes the session from the index owns
 * that report, so a session is never reported offline twice (release vs sweeper).
 */
export const releaseLua = `${prelude}
local member = ARGV[1]
local sessionId = ARGV[2]
redis.call('ZREM', KEYS[1], member)
if sessionId == '' then return 0 end
local removed = redis.call('ZREM', KEYS[2], member)
if prune(KEYS[2]) > 0 then return 0 end
local unindexed = redis.call('ZREM', KEYS[3], sessionId)
if removed == 1 or unindexed == 1 then return 1 end
return 0
`;

/**
 * Pushes the expiry of this instance's members forward (re-adding any that
 * Redis lost, e.g. after a restart without persistence).
 * KEYS: [index, key2, key3, ...]; ARGV: [ttlMs, member(key2), sessionId(key2) or '', member(key3), ...]
 * Returns how many members had to be re-added.
 */
export const refreshLua = `${prelude}
local ttl = tonumber(ARGV[1])
local expiry = now + ttl
local readded = 0
for i = 2, #KEYS do
  local key = KEYS[i]
  local member = ARGV[2 * i - 2]
  local sessionId = ARGV[2 * i - 1]
  readded = readded + redis.call('ZADD', key, expiry, member)
  keepKey(key, ttl)
  if sessionId ~= '' then bumpIndex(KEYS[1], sessionId, expiry) end
end
return readded
`;

/**
 * Sessions whose every member may have expired (index score <= now).
 * KEYS: [index]; ARGV: [limit]
 */
export const sweepCandidatesLua = `${prelude}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowStr, 'LIMIT', 0, tonumber(ARGV[1]))
`;

/**
 * Re-checks candidates and takes out the sessions that have no live member left.
 * KEYS: [index, sessionKey(ARGV[1]), sessionKey(ARGV[2]), ...]; ARGV: [sessionId, ...]
 * Returns the sessionIds this call took out: the caller, and nobody else, reports them offline.
 */
export const sweepLua = `${prelude}
local expired = {}
for i = 2, #KEYS do
  local sessionId = ARGV[i - 1]
  local score = redis.call('ZSCORE', KEYS[1], sessionId)
  if score and tonumber(score) <= now then
    prune(KEYS[i])
    local top = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
    if #top == 0 then
      redis.call('ZREM', KEYS[1], sessionId)
      expired[#expired + 1] = sessionId
    else
      redis.call('ZADD', KEYS[1], top[2], sessionId)
    end
  end
end
return expired
`;

/**
 * Which sessions have at least one live member.
 * KEYS: [sessionKey, ...]; returns {1|0, ...} in the same order.
 */
export const onlineLua = `${prelude}
local out = {}
for i = 1, #KEYS do
  if redis.call('ZCOUNT', KEYS[i], '(' .. nowStr, '+inf') > 0 then out[i] = 1 else out[i] = 0 end
end
return out
`;

/**
 * The sessions with a live member, from the index (scores are their latest expiry).
 * KEYS: [index]; ARGV: [max]. Returns up to `max` sessionIds.
 */
export const onlineIdsLua = `${prelude}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. nowStr, '+inf', 'LIMIT', 0, tonumber(ARGV[1]))
`;

/** How many sessions have a live member. KEYS: [index]. */
export const onlineCountLua = `${prelude}
return redis.call('ZCOUNT', KEYS[1], '(' .. nowStr, '+inf')
`;
