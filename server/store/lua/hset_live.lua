-- Set fields of a hash only if it still exists: an HSET on a session that has expired would
-- make a hash with no expiry. Used for the session's 'at.<uid>' (where each person is
-- connected, for say.lua and relay.lua) and for the counselor who claimed its alert.
--
-- KEYS[1] the hash   ARGV field, value, field, value, ...
-- Returns 1 when set, 0 when the hash is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
