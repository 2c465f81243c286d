-- One sign-in attempt through a trusted-device cookie: counted before the password is checked.
-- KEYS[1] the device (hash: name = name digest, fails = wrong passwords since the last success)
-- ARGV[1] the name digest being signed in   ARGV[2] wrong passwords allowed through this device
-- Returns 1 when the device is trusted for this name (and the attempt is counted), else 0; a
-- device past its allowance is deleted (its attempts go through the name's gate again).
local owner = redis.call('HGET', KEYS[1], 'name')
if not owner or owner ~= ARGV[1] then return 0 end
local fails = redis.call('HINCRBY', KEYS[1], 'fails', 1)
if fails > tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return 0
end
return 1
