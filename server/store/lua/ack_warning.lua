-- Acknowledge an early warning once: the first person's name and time stay.
-- KEYS[1] the warning hash   ARGV[1] "<ms>|<username>"
-- Returns 0 if there is no such warning (never recreates an expired one), else 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'acked', ARGV[1])
return 1
