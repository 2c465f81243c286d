-- Raise the one open alert of a session, or return the one it already has.
-- KEYS[1] session hash   KEYS[2] alert hash   KEYS[3] open alerts (zset)   KEYS[4] all alerts (zset)
-- KEYS[5] audit stream
-- ARGV[1] alert id   ARGV[2] severity   ARGV[3] excerpt   ARGV[4] reason   ARGV[5] categories
-- ARGV[6] now (ms)   ARGV[7] raised by (moderation | helper | counselor | first_words)
-- ARGV[8] alert key prefix   ARGV[9] session id   ARGV[10] flagged message id ('' = none)
-- ARGV[11] how long the alert is kept (ms): it holds the seeker's words (an excerpt)
-- Returns {1, alert id} when raised now, {0, existing alert id} when one was open already,
-- {-1} when the session does not exist.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
local current = redis.call('HGET', KEYS[1], 'alert')
if current and current ~= '' then
  local st = redis.call('HGET', ARGV[8] .. current, 'state')
  if st == 'open' or st == 'claimed' then return {0, current} end
end
redis.call('HSET', KEYS[2], 'session', ARGV[9], 'severity', ARGV[2], 'excerpt', ARGV[3],
           'reason', ARGV[4], 'categories', ARGV[5], 'raised_at', ARGV[6], 'raised_by', ARGV[7],
           'state', 'open', 'tier', 0, 'message', ARGV[10])
redis.call('PEXPIRE', KEYS[2], ARGV[11])
redis.call('HSET', KEYS[1], 'alert', ARGV[1], 'escalated', 1)
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[6]) - tonumber(ARGV[11]))
-- The index expires with its newest alert: trimmed on each raise, and gone altogether once no
-- alert has been raised for the escalated retention (issue 16, defect 8).
redis.call('PEXPIRE', KEYS[4], ARGV[11])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100000, '*', 'event', 'raised', 'alert', ARGV[1],
           'session', ARGV[9], 'severity', ARGV[2], 'by', ARGV[7], 'ts', ARGV[6])
return {1, ARGV[1]}
