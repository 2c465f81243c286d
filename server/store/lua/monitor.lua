-- Add or remove a supervisor watching a session. The session hash keeps them in 'monitors'
-- (',uid,uid,', read by say.lua and relay.lua to reach their processes) and each one's alias
-- in 'mon.<uid>' (for a helper's console that reconnects): one script so the two never differ.
--
-- KEYS[1] session hash
-- ARGV[1] 'add' | 'remove'   ARGV[2] supervisor uid   ARGV[3] alias (add)
-- Returns 'ok new' / 'ok again' (add), 'ok removed' / 'ok none' (remove), or 'err <code>'.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'err not_in_session' end
local list = redis.call('HGET', KEYS[1], 'monitors') or ''
local item = ',' .. ARGV[2] .. ','
local at, stop = nil, nil
if list ~= '' then at, stop = string.find(list, item, 1, true) end
if ARGV[1] == 'add' then
  if state == 'ended' then return 'err session_ended' end
  if at then
    redis.call('HSET', KEYS[1], 'mon.' .. ARGV[2], ARGV[3])
    return 'ok again'
  end
  if list == '' then list = item else list = list .. ARGV[2] .. ',' end
  redis.call('HSET', KEYS[1], 'monitors', list, 'mon.' .. ARGV[2], ARGV[3])
  return 'ok new'
end
if not at then return 'ok none' end
list = string.sub(list, 1, at) .. string.sub(list, stop + 1)
if list == ',' then list = '' end
redis.call('HSET', KEYS[1], 'monitors', list)
redis.call('HDEL', KEYS[1], 'mon.' .. ARGV[2])
return 'ok removed'
