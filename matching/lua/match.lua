-- Pair waiting seekers with available helpers, atomically: no seeker is ever given to two
-- helpers and no helper goes over capacity, however many server processes call this at once.
--
-- Order: the queue is a sorted set scored by (priority, time queued), so the longest-waiting
-- seeker of the highest priority is served first. A seeker no available helper can serve (no
-- shared language) is skipped, not allowed to block those behind. Among the helpers who speak the
-- seeker's language: one who takes the topic first, then the fewest active sessions, then the one
-- who has waited longest since their last assignment.
--
-- Every key it touches is one of its KEYS, all under the hash tag {m} (one Redis Cluster slot):
-- the caller reads the head of the queue and the available helpers first and names their keys
-- (MatchQueue.match). Nothing read then is trusted: each helper must still be available and
-- under capacity, each seeker still queued with an entry, now, inside this atomic call; a
-- seeker or helper who arrived since is paired by the next call.
--
-- KEYS[1] queue (zset)   KEYS[2] available helpers (set)   KEYS[3] recent waits   KEYS[4] recent match times
-- then for each helper named: KEYS helper hash, helper-sessions set;
-- then for each seeker named: KEYS entry hash, blocked-pairs set (the helpers never to pair
-- with that seeker)
-- ARGV[1] now (ms)   ARGV[2] max pairs   ARGV[3] helpers named (h)   ARGV[4] seekers named (n)
-- ARGV[5 .. 4+h] helper uids   ARGV[5+h .. 4+h+n] session ids, in queue order
--
-- Never paired, checked here so that no interleaving can slip past it: a helper in the
-- seeker's blocked set (either of them blocked the other), or the helper named in the entry's
-- 'avoid' (',uid,': the one who handed this session on).
-- Returns a flat list: session, helper, wait_ms, session, helper, wait_ms, ...
local now = tonumber(ARGV[1])
local nh, ns = tonumber(ARGV[3]), tonumber(ARGV[4])
local helpers = {}
local free_total = 0
for i = 1, nh do
  local uid = ARGV[4 + i]
  local hkey, hskey = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  if redis.call('SISMEMBER', KEYS[2], uid) == 1 then
    local h = redis.call('HMGET', hkey, 'capacity', 'langs', 'topics', 'cooldown_until',
                         'last_assigned')
    local cap = tonumber(h[1] or '0') or 0
    local active = redis.call('SCARD', hskey)
    local cooldown = tonumber(h[4] or '0') or 0
    if active < cap and cooldown <= now then
      helpers[#helpers + 1] = {uid = uid, key = hkey, sessions = hskey, free = cap - active,
                               active = active, langs = h[2] or '', topics = h[3] or '',
                               last = tonumber(h[5] or '0') or 0}
      free_total = free_total + cap - active
    end
  end
end
if free_total == 0 then return {} end

local out = {}
local max_pairs = tonumber(ARGV[2])
local base = 4 + 2 * nh
for j = 1, ns do
  local sid = ARGV[4 + nh + j]
  local ekey, bkey = KEYS[base + 2 * j - 1], KEYS[base + 2 * j]
  local e = redis.call('HMGET', ekey, 'lang', 'topic', 'enqueued', 'seeker', 'avoid')
  if not redis.call('ZSCORE', KEYS[1], sid) then
    -- paired or gone since the caller read the queue
  elseif not e[3] then
    redis.call('ZREM', KEYS[1], sid)  -- an entry without details cannot be served; drop it
  else
    local lang = e[1] or ''
    local topic = e[2] or ''
    local best, best_miss = nil, 2
    local barred = {}
    if e[4] and e[4] ~= '' then
      for _, uid in ipairs(redis.call('SMEMBERS', bkey)) do barred[uid] = true end
    end
    local avoid = e[5] or ''
    for _, h in ipairs(helpers) do
      if h.free > 0 and not barred[h.uid]
         and (avoid == '' or not string.find(avoid, ',' .. h.uid .. ',', 1, true))
         and (lang == '' or string.find(h.langs, ',' .. lang .. ',', 1, true)) then
        local miss = 1
        if h.topics == '' or string.find(h.topics, ',' .. topic .. ',', 1, true) then miss = 0 end
        if best == nil or miss < best_miss
           or (miss == best_miss and (h.active < best.active
               or (h.active == best.active and h.last < best.last))) then
          best, best_miss = h, miss
        end
      end
    end
    if best then
      redis.call('ZREM', KEYS[1], sid)
      redis.call('DEL', ekey)
      redis.call('SADD', best.sessions, sid)
      redis.call('HSET', best.key, 'last_assigned', now)
      best.active = best.active + 1
      best.free = best.free - 1
      best.last = now
      local wait = now - tonumber(e[3])
      redis.call('LPUSH', KEYS[3], wait)
      redis.call('LPUSH', KEYS[4], now)
      out[#out + 1] = sid
      out[#out + 1] = best.uid
      out[#out + 1] = tostring(wait)
      free_total = free_total - 1
      if free_total == 0 or #out >= 3 * max_pairs then break end
    end
  end
end
if #out > 0 then
  redis.call('LTRIM', KEYS[3], 0, 99)
  redis.call('LTRIM', KEYS[4], 0, 99)
end
return out
