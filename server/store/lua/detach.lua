-- Forget where a user is connected, but only if it is still this process: a newer connection
-- on another process must not be forgotten by the old one closing.
-- KEYS[1] loc key   ARGV[1] this node
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
