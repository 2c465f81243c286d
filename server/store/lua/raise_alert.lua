-- The session's side of raising an alert: it has one open alert at a time.
-- Its own key only (the alert, the indices and the audit are other Cluster slots, written by
-- AlertStore.raise_for in steps of their own).
--
-- KEYS[1] session hash
-- ARGV[1] new alert id   ARGV[2] the alert id the caller found closed or gone ('' = none)
-- Returns {1, new id} when the session now points at the new alert, {0, current id} when it
-- points at another one (the caller reads that alert's state: if it is closed or gone, it
-- calls again with it as ARGV[2]), {-1} when the session does not exist.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
local current = redis.call('HGET', KEYS[1], 'alert') or ''
if current ~= '' and current ~= ARGV[2] and current ~= ARGV[1] then return {0, current} end
redis.call('HSET', KEYS[1], 'alert', ARGV[1], 'escalated', 1)
return {1, ARGV[1]}
