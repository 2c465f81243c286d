-- Mark a session as counted for one statistic (once), and read what the count needs.
-- KEYS[1] the session hash   ARGV[1] the marker field (stats_matched, stats_risk)
-- Returns {0} if the session is gone (never recreates it), else
-- {1 if marked now / 0 if it was already, created, topic, department}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local first = redis.call('HSETNX', KEYS[1], ARGV[1], 1)
local f = redis.call('HMGET', KEYS[1], 'created', 'topic', 'department')
return {first, f[1] or '0', f[2] or '', f[3] or ''}
