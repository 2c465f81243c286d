-- Take a session back from a helper who dropped and did not come back, and put the seeker at the
-- front of the queue (priority 'requeued'), unless the session has meanwhile ended.
-- KEYS[1] queue   KEYS[2] helper-sessions set of that helper   KEYS[3] entry hash
-- ARGV[1] session id   ARGV[2] score   ARGV[3] lang   ARGV[4] topic   ARGV[5] enqueued (ms)
-- ARGV[6] priority   ARGV[7] the seeker's uid (for blocked pairs)   ARGV[8] helpers to avoid
-- (',uid,': one who handed the session on is not given it back; '' = none)
-- Returns 1 if requeued, 0 if the helper no longer had the session.
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[3], 'lang', ARGV[3], 'topic', ARGV[4], 'enqueued', ARGV[5],
           'priority', ARGV[6], 'seeker', ARGV[7] or '', 'avoid', ARGV[8] or '')
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
