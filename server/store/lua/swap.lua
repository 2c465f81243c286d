-- Compare and set: replace a string only if it still holds the expected value.
-- KEYS[1] the key   ARGV[1] expected value   ARGV[2] new value ('' = delete the key)
-- ARGV[3] time to live of the new value (ms)
-- Returns 1 when replaced (or deleted), 0 when the key held something else.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
