-- Claim an open alert for one counselor: exactly one claim wins, across all processes.
-- KEYS[1] alert hash   KEYS[2] open alerts (zset)   KEYS[3] audit stream
-- ARGV[1] counselor uid   ARGV[2] counselor alias   ARGV[3] now (ms)   ARGV[4] session key prefix
-- ARGV[5] session key suffix   ARGV[6] alert id   ARGV[7] the counselor's level ('' = unknown)
-- Returns {'ok', session} for the winner, {'taken', claimed_by} when too late,
-- {'missing'} for an unknown alert.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
if state ~= 'open' then return {'taken', redis.call('HGET', KEYS[1], 'claimed_by') or ''} end
local sid = redis.call('HGET', KEYS[1], 'session')
local raised = tonumber(redis.call('HGET', KEYS[1], 'raised_at'))
redis.call('HSET', KEYS[1], 'state', 'claimed', 'claimed_by', ARGV[1], 'claimed_alias', ARGV[2],
           'claimed_at', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[6])
local skey = ARGV[4] .. sid .. ARGV[5]
if redis.call('EXISTS', skey) == 1 then
  redis.call('HSET', skey, 'counselor', ARGV[1], 'counselor_alias', ARGV[2])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'event', 'claimed',
           'alert', ARGV[6], 'session', sid, 'by', ARGV[1],
           'seconds_to_claim', string.format('%.3f', (tonumber(ARGV[3]) - raised) / 1000),
           'ts', ARGV[3], 'level', ARGV[7] or '',
           'department', redis.call('HGET', KEYS[1], 'department') or '')
return {'ok', sid}
