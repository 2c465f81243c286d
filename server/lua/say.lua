-- Store one chat message, give it its place in the session, and publish it to the server
-- processes that hold the other participants: one atomic round trip per message.
--
-- KEYS[1] session hash, KEYS[2] session stream, KEYS[3] refs already stored (hash)
-- ARGV[1] sender uid     ARGV[2] sender role    ARGV[3] sender alias   ARGV[4] text (as delivered)
-- ARGV[5] origin node    ARGV[6] loc key prefix ARGV[7] node channel prefix
-- ARGV[8] live ttl (ms)  ARGV[9] severity       ARGV[10] risk context ('' = unchanged)
-- ARGV[11] session id   ARGV[12] sender's ref key ('' = the frame had no ref)
-- ARGV[13] digest of the text as sent   ARGV[14] 1 if the client marked the frame as a re-send
-- Returns {'ok', id, seq, ts}, {'dup', id, seq, ts} for a re-send (marked by the client) of a ref
-- and text this sender already had stored (a lost ack: stored once, acked again), or
-- {'err', code}. Unmarked frames are always new messages: the contract does not make refs unique.
-- One read of the session's hash for everything below (each call from Lua costs Redis CPU).
local h = redis.call('HMGET', KEYS[1], 'state', 'seeker', 'helper', 'counselor', 'max_sev',
                    'ttl_at')
local state = h[1]
if not state then return {'err', 'not_in_session'} end
local members = {h[2], h[3], h[4]}
local role_uid = (ARGV[2] == 'seeker' and h[2]) or (ARGV[2] == 'helper' and h[3])
                 or (ARGV[2] == 'counselor' and h[4]) or false
if role_uid ~= ARGV[1] then return {'err', 'not_in_session'} end
if state == 'ended' then return {'err', 'session_ended'} end
if ARGV[12] ~= '' and ARGV[14] == '1' then
  local prev = redis.call('HGET', KEYS[3], ARGV[12])
  if prev then
    local pid, pseq, pts, pdigest = string.match(prev, '^(%S+) (%d+) (%d+) (%S+)$')
    if pdigest == ARGV[13] then return {'dup', pid, tonumber(pseq), tonumber(pts)} end
  end
end

local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local id = redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', ARGV[2], 'alias', ARGV[3],
                      'text', ARGV[4], 'sev', ARGV[9])
local ts = tonumber(string.match(id, '^(%d+)'))
if ARGV[12] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[12], id .. ' ' .. seq .. ' ' .. ts .. ' ' .. ARGV[13])
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
end
-- The session's hash and transcript live ARGV[8] ms after the last message. Their expiry is
-- pushed back when an eighth of that has passed since the last push, not on every message
-- (two calls fewer per message): they always outlive the last message by 7/8 of the time.
local hash_fields = {}
if ARGV[10] ~= '' then
  hash_fields[#hash_fields + 1] = 'risk'
  hash_fields[#hash_fields + 1] = ARGV[10]
end
local sev = tonumber(ARGV[9])
if sev > tonumber(h[5] or '0') then
  hash_fields[#hash_fields + 1] = 'max_sev'
  hash_fields[#hash_fields + 1] = sev
end
local live = tonumber(ARGV[8])
local extend = (ts - tonumber(h[6] or '0')) * 8 >= live
if extend then
  hash_fields[#hash_fields + 1] = 'ttl_at'
  hash_fields[#hash_fields + 1] = ts
end
if #hash_fields > 0 then redis.call('HSET', KEYS[1], unpack(hash_fields)) end
if extend then
  redis.call('PEXPIRE', KEYS[1], live)
  redis.call('PEXPIRE', KEYS[2], live)
end

local sent = {[ARGV[5]] = true}
local payload = nil
for i = 1, 3 do
  local uid = members[i]
  if uid and uid ~= '' and uid ~= ARGV[1] then
    local node = redis.call('GET', ARGV[6] .. uid)
    if node and not sent[node] then
      sent[node] = true
      if not payload then
        payload = cmsgpack.pack({k = 'msg', session = ARGV[11], id = id, seq = seq,
                                 from = ARGV[2], alias = ARGV[3], text = ARGV[4], ts = ts})
      end
      redis.call('PUBLISH', ARGV[7] .. node, payload)
    end
  end
end
return {'ok', id, seq, ts}
