-- Hand an active session from one helper to a named one, atomically: the new helper must be
-- available, out of cooldown, under capacity and not barred from this seeker, however many
-- processes pair or transfer at once.
--
-- KEYS[1] sessions of the helper handing on   KEYS[2] sessions of the new helper
-- KEYS[3] the new helper's hash   KEYS[4] available helpers   KEYS[5] the seeker's blocked set
-- ARGV[1] session id   ARGV[2] new helper uid   ARGV[3] now (ms)
-- Returns 'ok', or why not: 'gone' (no longer the first helper's), 'unavailable', 'blocked',
-- 'full'.
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 'gone' end
if redis.call('SISMEMBER', KEYS[4], ARGV[2]) == 0 then return 'unavailable' end
if redis.call('SISMEMBER', KEYS[5], ARGV[2]) == 1 then return 'blocked' end
local h = redis.call('HMGET', KEYS[3], 'capacity', 'cooldown_until')
if (tonumber(h[2] or '0') or 0) > tonumber(ARGV[3]) then return 'unavailable' end
if redis.call('SCARD', KEYS[2]) >= (tonumber(h[1] or '0') or 0) then return 'full' end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'last_assigned', ARGV[3])
return 'ok'
