-- Reserve one sign-in attempt for an account name, or say how long to wait.
--
-- The attempt is counted here, before the password is checked, so that guesses sent at the
-- same moment cannot all pass one check and be counted afterwards (issue 16: 15 of 60
-- concurrent guesses were evaluated under a limit of 10). A sign-in that succeeds deletes the key.
--
-- KEYS[1] the name's gate (hash: n = attempts since the last success, until = next allowed, ms)
-- ARGV[1] now (ms)   ARGV[2] attempts without delay   ARGV[3] first delay (ms)
-- ARGV[4] longest delay (ms)   ARGV[5] forget the name after this long without attempts (ms)
-- Returns {1, n} when attempt n is reserved, {0, wait_ms} when it must wait.
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'n', 'until')
local n = tonumber(h[1]) or 0
local next_at = tonumber(h[2]) or 0
if next_at > now then return {0, next_at - now} end
n = n + 1
local free = tonumber(ARGV[2])
local delay = 0
if n > free then
  -- Exponential: first delay after the free attempts, doubling, capped (never a lockout).
  delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(n - free - 1, 40))
end
redis.call('HSET', KEYS[1], 'n', n, 'until', math.floor(now + delay))
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[5]) + delay))
return {1, n}
