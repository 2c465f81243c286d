-- End a session once: mark it ended and start the retention clock on its hash and transcript.
-- Its keys only, all under the session's hash tag (one Cluster slot); the matching side (the
-- queue, the helper's place) is freed by the caller in a step of its own
-- (SessionStore.release_matching), after this one.
--
-- KEYS[1] session hash, KEYS[2] session stream, KEYS[3] stored refs
-- KEYS[4] staff log (whispers, notes, handover notes: kept exactly as long as the transcript)
-- ARGV[1] ended by   ARGV[2] reason   ARGV[3] now (ms)   ARGV[4] retention (ms)
-- ARGV[5] escalated retention (ms)   ARGV[6] retention (ms) of a session that was never matched
-- Returns {1, seeker, helper, counselor, escalated}, or {0, helper} when it had already ended
-- (so that a repeated call still frees the matching side), {0} when there is no such session.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {0} end
if state == 'ended' then return {0, redis.call('HGET', KEYS[1], 'helper') or ''} end
redis.call('HSET', KEYS[1], 'state', 'ended', 'ended_by', ARGV[1], 'end_reason', ARGV[2],
           'ended_at', ARGV[3])
local m = redis.call('HMGET', KEYS[1], 'seeker', 'helper', 'counselor', 'escalated',
                     'matched_at')
-- An escalated session keeps longest; one that never reached a helper holds little worth
-- keeping (a cancelled request), and a script repeating request+leave must leave nothing for
-- long (issue 16, defect 7).
local keep = ARGV[4]
if m[4] == '1' then keep = ARGV[5] elseif not m[5] then keep = ARGV[6] end
redis.call('PEXPIRE', KEYS[1], keep)
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], keep) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], keep) end
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 1 then redis.call('PEXPIRE', KEYS[4], keep) end
return {1, m[1] or '', m[2] or '', m[3] or '', m[4] or ''}
