-- Store one chat message, give it its place in the session, and publish it to the server
-- processes that hold the other participants: one atomic round trip per message.
--
-- Every key it touches is one of its KEYS, and all three share the session's hash tag
-- ({<session id>}): one Redis Cluster slot. Where each participant is connected is read from
-- the session's own hash ('at.<uid>', kept by SessionStore.locate), not from their 'loc:' keys,
-- which live in other slots.
--
-- KEYS[1] session hash, KEYS[2] session stream, KEYS[3] refs already stored (hash)
-- ARGV[1] sender uid   ARGV[2] sender role   ARGV[3] sender alias   ARGV[4] text (as delivered)
-- ARGV[5] severity (one digit, 0-3)   ARGV[6] risk context ('' = unchanged)
-- ARGV[7] the sender's ref key ('' = the frame had no ref; '!' first = marked as a re-send)
-- ARGV[8] origin node
-- Returns 'ok <id> <seq>', 'dup <id> <seq>' for a re-send (marked by the client) of a ref and
-- text this sender already had stored (a lost ack: stored once, acked again), or 'err <code>'.
-- Unmarked frames are always new messages: the contract does not make refs unique.
--
-- One string, not a table: Redis 6 answers a table through a reply block of its own, and
-- writes each block with its own write(2), so a pipeline of N calls came back in N writes
-- (one TCP segment each) instead of one. Redis 7 writes them with one writev; a string costs
-- neither any more.
--
-- Every argument costs Redis a Lua string and a table slot on every call, so what is the same
-- for every call of a deployment is written into the script when it is loaded
-- (SessionStore.__init__): the prefix of node channels, the live TTL, and whether to publish
-- here ('1') or leave it to the caller ('0'): with durability 'replica' nothing of a message
-- may leave before a replica holds it, so the caller publishes once WAIT confirms, and the
-- reply then names the nodes to publish to ('ok <id> <seq> <node> ...').
local CHANNEL = '@CHANNEL_PREFIX@'
local LIVE = '@LIVE_MS@'
local INLINE = '@PUBLISH_INLINE@' == '1'

-- One read of the session's hash for everything below (each call from Lua costs Redis CPU).
-- These fields come first in the hash (SessionStore.create): a small hash is a list that
-- HMGET walks from the front for each field.
local h = redis.call('HMGET', KEYS[1], 'state', 'seeker', 'helper', 'counselor', 'max_sev',
                    'ttl_next', 'refs_ttl', 'monitors')
local state = h[1]
if not state then return 'err not_in_session' end
local sender, role = ARGV[1], ARGV[2]
local role_uid = (role == 'seeker' and h[2]) or (role == 'helper' and h[3])
                 or (role == 'counselor' and h[4]) or false
if role_uid ~= sender then return 'err not_in_session' end
if state == 'ended' then return 'err session_ended' end
local ref_key = ARGV[7]
local dup_id, dup_seq = nil, nil
if string.byte(ref_key, 1) == 33 then
  -- A re-send: the same ref with the same text is the message already stored.
  ref_key = string.sub(ref_key, 2)
  local prev = redis.call('HGET', KEYS[3], ref_key)
  if prev then
    prev = string.match(prev, '^(%S+)')  -- (older servers stored 'id seq ts digest')
    local entry = redis.call('XRANGE', KEYS[2], prev, prev)[1]
    if entry then
      local fields, pseq, ptext = entry[2], nil, nil
      for i = 1, #fields, 2 do
        if fields[i] == 'seq' then pseq = fields[i + 1]
        elseif fields[i] == 'text' then ptext = fields[i + 1] end
      end
      if ptext == ARGV[4] then
        -- Stored already. Its first sending may never have been delivered: with durability
        -- 'replica' it got 'unavailable' before any delivery; with any durability its call
        -- may have run after its caller gave up on the reply (Redis frozen, a connection
        -- lost), so its sender's process never delivered it to its own connections. So the
        -- caller is told where the others are (below) and delivers it again: a connection
        -- that had it drops the second copy (SessionOrder).
        -- The caller's WAIT must cover the stored message, written perhaps on another
        -- connection: this write (propagated, like any) moves this connection's replication
        -- offset past it.
        redis.call('HINCRBY', KEYS[1], 'resent', 1)
        dup_id, dup_seq = prev, pseq
      end
    end
  end
end

local id, seq, ts, reply
if dup_id then
  id, seq, reply = dup_id, dup_seq, 'dup ' .. dup_id .. ' ' .. dup_seq
else
  seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  id = redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', role, 'alias', ARGV[3],
                      'text', ARGV[4], 'sev', ARGV[5])
  -- Numbers stay strings where they can: Lua converts with strtod and printf, which showed in
  -- Redis's profile. Times are compared as digit strings of one length (ms since 1970: 13
  -- digits until the year 2286), severities as single digits.
  ts = string.match(id, '^(%d+)')
  -- The session's hash, transcript and refs live LIVE ms after the last message. Their expiry
  -- is pushed back once an eighth of that has passed since the last push ('ttl_next'), not on
  -- every message (three calls fewer per message): they always outlive the last message by 7/8
  -- of the time. The refs hash gets its first expiry when it is created ('refs_ttl').
  local hash_fields = {}
  local next_push = h[6] or '0'
  local extend = #ts > #next_push or (#ts == #next_push and ts >= next_push)
  if ref_key ~= '' then
    if h[7] ~= '1' then
      -- The refs hash is born a hash table: the '~' field's value is longer than the 64 bytes
      -- up to which Redis keeps a small hash as a list ('hash-max-listpack-value'), and a list
      -- is scanned whole by every HSET of a new ref: Redis's instructions per call rose from
      -- 95,000 to 181,000 over a 500-message conversation (the table stays at 90,000, at
      -- 48 bytes more per ref; docs/performance.md). No ref key is '~': each is '<uid>:<ref>'.
      redis.call('HSET', KEYS[3], ref_key, id, '~', string.rep('~', 65))
      if not extend then redis.call('PEXPIRE', KEYS[3], LIVE) end
      hash_fields[#hash_fields + 1] = 'refs_ttl'
      hash_fields[#hash_fields + 1] = '1'
    else
      redis.call('HSET', KEYS[3], ref_key, id)
    end
  end
  if ARGV[6] ~= '' then
    hash_fields[#hash_fields + 1] = 'risk'
    hash_fields[#hash_fields + 1] = ARGV[6]
  end
  if ARGV[5] ~= '0' and ARGV[5] > (h[5] or '0') then
    hash_fields[#hash_fields + 1] = 'max_sev'
    hash_fields[#hash_fields + 1] = ARGV[5]
  end
  if extend then
    hash_fields[#hash_fields + 1] = 'ttl_next'
    hash_fields[#hash_fields + 1] = string.format('%d', tonumber(ts) + math.floor(LIVE / 8))
  end
  if #hash_fields > 0 then redis.call('HSET', KEYS[1], unpack(hash_fields)) end
  if extend then
    redis.call('PEXPIRE', KEYS[1], LIVE)
    redis.call('PEXPIRE', KEYS[2], LIVE)
    if h[7] == '1' or ref_key ~= '' then redis.call('PEXPIRE', KEYS[3], LIVE) end
  end
  reply = 'ok ' .. id .. ' ' .. seq
end

-- The other participants' processes, each once (a session has at most two others, and
-- supervisors watching it, ',uid,uid,': usually none; they see every message, and are not
-- members, so nobody else is told they are there). This process delivers to its own
-- connections itself. Their nodes are the 'at.<uid>' fields of the session's hash. INLINE: the
-- message is published to them here; else (and for a re-sent one) their nodes are added to the
-- reply for the caller.
local others = {}
for i = 2, 4 do
  local uid = h[i]
  if uid and uid ~= '' and uid ~= sender then others[#others + 1] = 'at.' .. uid end
end
if h[8] and h[8] ~= '' then
  for uid in string.gmatch(h[8], '[^,]+') do others[#others + 1] = 'at.' .. uid end
end
if #others == 0 then return reply end
local nodes
if #others == 1 then  -- the usual case: one other person
  nodes = {redis.call('HGET', KEYS[1], others[1])}
else
  nodes = redis.call('HMGET', KEYS[1], unpack(others))
end
local sent, payload = {[ARGV[8]] = true}, nil
for i = 1, #others do
  local node = nodes[i]
  if node and not sent[node] then
    sent[node] = true
    if INLINE and not dup_id then
      if not payload then
        payload = cmsgpack.pack({k = 'msg', session = string.match(KEYS[1], '{([^{}]*)}$'),
                                 id = id, seq = seq, from = role, alias = ARGV[3],
                                 text = ARGV[4], ts = tonumber(ts)})
      end
      redis.call('PUBLISH', CHANNEL .. node, payload)
    else
      reply = reply .. ' ' .. node
    end
  end
end
return reply
