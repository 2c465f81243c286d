-- Store one chat message, give it its place in the session, and publish it to the server
-- processes that hold the other participants: one atomic round trip per message.
--
-- KEYS[1] session hash, KEYS[2] session stream, KEYS[3] refs already stored (hash)
-- ARGV[1] session id     ARGV[2] sender uid   ARGV[3] sender role   ARGV[4] sender alias
-- ARGV[5] text (as delivered)                 ARGV[6] severity      ARGV[7] risk context ('' = unchanged)
-- ARGV[8] sender's ref key ('' = the frame had no ref)   ARGV[9] 1 if the client marked the frame as a re-send
-- ARGV[10] origin node   ARGV[11] loc key prefix   ARGV[12] node channel prefix   ARGV[13] live ttl (ms)
-- (The last four are the same for every call from one process: the caller packs them once.)
-- Returns {'ok', id, seq, ts}, {'dup', id, seq, ts} for a re-send (marked by the client) of a ref
-- and text this sender already had stored (a lost ack: stored once, acked again), or
-- {'err', code}. Unmarked frames are always new messages: the contract does not make refs unique.
-- One read of the session's hash for everything below (each call from Lua costs Redis CPU).
local h = redis.call('HMGET', KEYS[1], 'state', 'seeker', 'helper', 'counselor', 'max_sev',
                    'ttl_at', 'refs_ttl')
local state = h[1]
if not state then return {'err', 'not_in_session'} end
local members = {h[2], h[3], h[4]}
local role = ARGV[3]
local role_uid = (role == 'seeker' and h[2]) or (role == 'helper' and h[3])
                 or (role == 'counselor' and h[4]) or false
if role_uid ~= ARGV[2] then return {'err', 'not_in_session'} end
if state == 'ended' then return {'err', 'session_ended'} end
if ARGV[8] ~= '' and ARGV[9] == '1' then
  -- A re-send: the same ref with the same text is the message already stored.
  local prev = redis.call('HGET', KEYS[3], ARGV[8])
  if prev then
    prev = string.match(prev, '^(%S+)')  -- (older servers stored 'id seq ts digest')
    local entry = redis.call('XRANGE', KEYS[2], prev, prev)[1]
    if entry then
      local fields, pseq, ptext = entry[2], nil, nil
      for i = 1, #fields, 2 do
        if fields[i] == 'seq' then pseq = fields[i + 1]
        elseif fields[i] == 'text' then ptext = fields[i + 1] end
      end
      if ptext == ARGV[5] then
        return {'dup', prev, tonumber(pseq), tonumber(string.match(prev, '^(%d+)'))}
      end
    end
  end
end

local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local id = redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', role, 'alias', ARGV[4],
                      'text', ARGV[5], 'sev', ARGV[6])
local ts = string.match(id, '^(%d+)')  -- kept a string: Lua formats numbers with printf
-- The session's hash, transcript and refs live ARGV[13] ms after the last message. Their
-- expiry is pushed back when an eighth of that has passed since the last push, not on every
-- message (three calls fewer per message): they always outlive the last message by 7/8 of the
-- time. The refs hash gets its first expiry when it is created ('refs_ttl' says it has).
local hash_fields = {}
local live = ARGV[13]
local extend = (tonumber(ts) - tonumber(h[6] or '0')) * 8 >= tonumber(live)
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[8], id)
  if not h[7] then
    if not extend then redis.call('PEXPIRE', KEYS[3], live) end
    hash_fields[#hash_fields + 1] = 'refs_ttl'
    hash_fields[#hash_fields + 1] = '1'
  end
end
if ARGV[7] ~= '' then
  hash_fields[#hash_fields + 1] = 'risk'
  hash_fields[#hash_fields + 1] = ARGV[7]
end
if tonumber(ARGV[6]) > tonumber(h[5] or '0') then
  hash_fields[#hash_fields + 1] = 'max_sev'
  hash_fields[#hash_fields + 1] = ARGV[6]
end
if extend then
  hash_fields[#hash_fields + 1] = 'ttl_at'
  hash_fields[#hash_fields + 1] = ts
end
if #hash_fields > 0 then redis.call('HSET', KEYS[1], unpack(hash_fields)) end
if extend then
  redis.call('PEXPIRE', KEYS[1], live)
  redis.call('PEXPIRE', KEYS[2], live)
  if h[7] or ARGV[8] ~= '' then redis.call('PEXPIRE', KEYS[3], live) end
end

local sent = {[ARGV[10]] = true}
local payload = nil
for i = 1, 3 do
  local uid = members[i]
  if uid and uid ~= '' and uid ~= ARGV[2] then
    local node = redis.call('GET', ARGV[11] .. uid)
    if node and not sent[node] then
      sent[node] = true
      if not payload then
        payload = cmsgpack.pack({k = 'msg', session = ARGV[1], id = id, seq = seq,
                                 from = role, alias = ARGV[4], text = ARGV[5],
                                 ts = tonumber(ts)})
      end
      redis.call('PUBLISH', ARGV[12] .. node, payload)
    end
  end
end
return {'ok', id, seq, ts}
