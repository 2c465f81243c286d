-- Claim an open alert for one counselor: exactly one claim wins, across all processes.
-- The alert's own key only: the indices, the session and the audit are other Cluster slots,
-- written by AlertStore.claim after this one decided.
--
-- KEYS[1] alert hash
-- ARGV[1] counselor uid   ARGV[2] counselor alias   ARGV[3] now (ms)
-- Returns {'ok', session, raised_at} for the winner, {'taken', claimed_by} when too late,
-- {'missing'} for an unknown alert.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
if state ~= 'open' then return {'taken', redis.call('HGET', KEYS[1], 'claimed_by') or ''} end
redis.call('HSET', KEYS[1], 'state', 'claimed', 'claimed_by', ARGV[1], 'claimed_alias', ARGV[2],
           'claimed_at', ARGV[3])
local m = redis.call('HMGET', KEYS[1], 'session', 'raised_at')
return {'ok', m[1] or '', m[2] or ARGV[3]}
