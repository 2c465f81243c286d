-- Pair waiting seekers with available helpers, atomically: no seeker is ever given to two
-- helpers and no helper goes over capacity, however many server processes call this at once.
--
-- Order: the queue is a sorted set scored by (priority, time queued), so the longest-waiting
-- seeker of the highest priority is served first. A seeker no available helper can serve (no
-- shared language) is skipped, not allowed to block those behind. Among the helpers who speak the
-- seeker's language: one who takes the topic first, then the fewest active sessions, then the one
-- who has waited longest since their last assignment.
--
-- KEYS[1] queue (zset)   KEYS[2] available helpers (set)   KEYS[3] recent waits   KEYS[4] recent match times
-- ARGV[1] now (ms)   ARGV[2] max pairs   ARGV[3] how many queued seekers to look at
-- ARGV[4] entry key prefix   ARGV[5] helper key prefix   ARGV[6] helper-sessions key prefix
-- ARGV[7] blocked-pairs key prefix (a set per seeker of the helpers never to pair them with)
--
-- Never paired, checked here so that no interleaving can slip past it: a helper in the
-- seeker's blocked set (either of them blocked the other), or the helper named in the entry's
-- 'avoid' (',uid,': the one who handed this session on).
-- Returns a flat list: session, helper, wait_ms, session, helper, wait_ms, ...
local now = tonumber(ARGV[1])
local helpers = {}
local free_total = 0
for _, uid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local h = redis.call('HMGET', ARGV[5] .. uid, 'capacity', 'langs', 'topics', 'cooldown_until',
                       'last_assigned')
  local cap = tonumber(h[1] or '0') or 0
  local active = redis.call('SCARD', ARGV[6] .. uid)
  local cooldown = tonumber(h[4] or '0') or 0
  if active < cap and cooldown <= now then
    helpers[#helpers + 1] = {uid = uid, free = cap - active, active = active,
                             langs = h[2] or '', topics = h[3] or '',
                             last = tonumber(h[5] or '0') or 0}
    free_total = free_total + cap - active
  end
end
if free_total == 0 then return {} end

local out = {}
local max_pairs = tonumber(ARGV[2])
local queue = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
for _, sid in ipairs(queue) do
  local e = redis.call('HMGET', ARGV[4] .. sid, 'lang', 'topic', 'enqueued', 'seeker', 'avoid')
  if not e[3] then
    redis.call('ZREM', KEYS[1], sid)  -- an entry without details cannot be served; drop it
  else
    local lang = e[1] or ''
    local topic = e[2] or ''
    local best, best_miss = nil, 2
    local barred = {}
    if e[4] and e[4] ~= '' then
      for _, uid in ipairs(redis.call('SMEMBERS', ARGV[7] .. e[4])) do barred[uid] = true end
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
      redis.call('DEL', ARGV[4] .. sid)
      redis.call('SADD', ARGV[6] .. best.uid, sid)
      redis.call('HSET', ARGV[5] .. best.uid, 'last_assigned', now)
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
