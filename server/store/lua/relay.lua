-- Publish an event to the server processes holding a session's participants (not the origin,
-- which delivers locally). With a sender, check first that the sender is in the active session.
--
-- One key: where each participant is connected is read from the session's own hash
-- ('at.<uid>', kept by SessionStore.locate), so the script stays in the session's Cluster slot.
--
-- KEYS[1] session hash
-- ARGV[1] sender uid ('' = the server itself)   ARGV[2] sender role
-- ARGV[3] origin node   ARGV[4] node channel prefix   ARGV[5] payload
-- ARGV[6] extra uid to reach ('' = none), e.g. a helper who just left the session
-- ARGV[7] '1': publish here; '0' (a Redis Cluster): name the nodes to the caller, who publishes
--         with SPUBLISH (a script may only SPUBLISH to its own slot's channels, and a plain
--         PUBLISH in a cluster crosses the bus to every node)
-- Returns 'ok', 'nodes <node> ...' (ARGV[7] '0') or 'err <code>': a string, not a table, for
-- the reason given in say.lua.
local state = redis.call('HGET', KEYS[1], 'state')
if ARGV[1] ~= '' then
  if not state then return 'err not_in_session' end
  if redis.call('HGET', KEYS[1], ARGV[2]) ~= ARGV[1] then return 'err not_in_session' end
  if state == 'ended' then return 'err session_ended' end
end
local members = redis.call('HMGET', KEYS[1], 'seeker', 'helper', 'counselor', 'monitors')
local fields = {}
for i = 1, 3 do
  if members[i] and members[i] ~= '' then fields[#fields + 1] = 'at.' .. members[i] end
end
if ARGV[6] ~= '' then fields[#fields + 1] = 'at.' .. ARGV[6] end
-- Supervisors watching the session (',uid,uid,'), after the members.
local monitors = members[4]
if monitors and monitors ~= '' then
  for uid in string.gmatch(monitors, '[^,]+') do fields[#fields + 1] = 'at.' .. uid end
end
if #fields == 0 then return 'ok' end
local nodes = redis.call('HMGET', KEYS[1], unpack(fields))
local sent = {[ARGV[3]] = true}
local named = {}
for i = 1, #nodes do
  local node = nodes[i]
  if node and not sent[node] then
    sent[node] = true
    if ARGV[7] == '0' then
      named[#named + 1] = node
    else
      redis.call('PUBLISH', ARGV[4] .. node, ARGV[5])
    end
  end
end
if ARGV[7] == '0' then return 'nodes ' .. table.concat(named, ' ') end
return 'ok'
