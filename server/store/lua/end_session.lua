-- End a session once: mark it ended, free the helper's capacity, take it out of the queue, and
-- start the retention clock on its hash and transcript.
--
-- KEYS[1] session hash, KEYS[2] session stream, KEYS[3] queue, KEYS[4] stored refs
-- KEYS[5] staff log (whispers, notes, handover notes: kept exactly as long as the transcript)
-- ARGV[1] ended by   ARGV[2] reason   ARGV[3] now (ms)   ARGV[4] retention (ms)
-- ARGV[5] escalated retention (ms)    ARGV[6] helper-sessions key prefix   ARGV[7] entry key prefix
-- ARGV[8] session id   ARGV[9] retention (ms) of a session that was never matched
-- Returns {1, seeker, helper, counselor, escalated} or {0} when it had already ended.
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'ended' then return {0} end
redis.call('HSET', KEYS[1], 'state', 'ended', 'ended_by', ARGV[1], 'end_reason', ARGV[2],
           'ended_at', ARGV[3])
local m = redis.call('HMGET', KEYS[1], 'seeker', 'helper', 'counselor', 'escalated',
                     'matched_at')
if m[2] and m[2] ~= '' then redis.call('SREM', ARGV[6] .. m[2], ARGV[8]) end
redis.call('ZREM', KEYS[3], ARGV[8])
redis.call('DEL', ARGV[7] .. ARGV[8])
-- An escalated session keeps longest; one that never reached a helper holds little worth
-- keeping (a cancelled request), and a script repeating request+leave must leave nothing for
-- long (issue 16, defect 7).
local keep = ARGV[4]
if m[4] == '1' then keep = ARGV[5] elseif not m[5] then keep = ARGV[9] end
redis.call('PEXPIRE', KEYS[1], keep)
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], keep) end
if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('PEXPIRE', KEYS[4], keep) end
if KEYS[5] and redis.call('EXISTS', KEYS[5]) == 1 then redis.call('PEXPIRE', KEYS[5], keep) end
return {1, m[1] or '', m[2] or '', m[3] or '', m[4] or ''}
