-- Publish an event to the server processes holding a session's participants (not the origin,
-- which delivers locally). With a sender, check first that the sender is in the active session.
--
-- KEYS[1] session hash
-- ARGV[1] sender uid ('' = the server itself)   ARGV[2] sender role
-- ARGV[3] origin node   ARGV[4] loc key prefix   ARGV[5] node channel prefix   ARGV[6] payload
-- ARGV[7] extra uid to reach ('' = none), e.g. a helper who just left the session
-- Returns 'ok' or 'err <code>': a string, not a table, for the reason given in say.lua.
local state = redis.call('HGET', KEYS[1], 'state')
if ARGV[1] ~= '' then
  if not state then return 'err not_in_session' end
  if redis.call('HGET', KEYS[1], ARGV[2]) ~= ARGV[1] then return 'err not_in_session' end
  if state == 'ended' then return 'err session_ended' end
end
local members = redis.call('HMGET', KEYS[1], 'seeker', 'helper', 'counselor', 'monitors')
local monitors = members[4]
members[4] = false
if ARGV[7] ~= '' then members[4] = ARGV[7] end
-- Supervisors watching the session (',uid,uid,'), after the members.
if monitors and monitors ~= '' then
  for uid in string.gmatch(monitors, '[^,]+') do members[#members + 1] = uid end
end
local sent = {[ARGV[3]] = true}
for i = 1, #members do
  local uid = members[i]
  if uid and uid ~= '' then
    local node = redis.call('GET', ARGV[4] .. uid)
    if node and not sent[node] then
      sent[node] = true
      redis.call('PUBLISH', ARGV[5] .. node, ARGV[6])
    end
  end
end
return 'ok'
