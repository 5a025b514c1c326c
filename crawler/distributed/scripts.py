"""The Lua scripts of the queue: each claim, renewal and hand-over runs in Redis as one atomic step.

Times are Redis's own clock (``TIME``), so workers on machines whose clocks disagree still agree on leases. Keys are
those of ``crawler.distributed.jobs.JobKeys`` (a job's) and ``crawler.distributed.frontier.FrontierKeys`` (a blog's);
a script that reaches a blog's frontier builds its key names from the prefix it is given, so the queue needs one
Redis server (not a Redis Cluster).

Grace after an outage: every renewal and claim keeps ``up`` alive for one lease. When ``up`` has expired (Redis was
down, or restarted after an outage longer than a lease, or no worker ran for that long), the first claim sets
``grace`` for one lease, and no expired lease is taken over until it is gone: the live holders reconnect and renew
first; only the blogs of workers that really died are taken over.
"""

from __future__ import annotations

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: waiting, running, holders, attempts, holding, up, grace, failed, sites
# ARGV: job, worker id, holder JSON (without since/attempt), lease ms, max attempts, frontier prefix (ends with
#       "site:"), then preferred sites
# -> nil | {"claimed", site, site JSON, attempt} | {"failed", site, attempts}
CLAIM = (
    _NOW
    + """
local job, worker, lease, max_attempts, prefix = ARGV[1], ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
if redis.call('EXISTS', KEYS[6]) == 0 then redis.call('SET', KEYS[7], '1', 'PX', lease) end
redis.call('SET', KEYS[6], '1', 'PX', lease)
local can_take = redis.call('EXISTS', KEYS[7]) == 0
local function free(site)
  local other = redis.call('HGET', KEYS[5], site)
  return (not other) or other == job
end
local function expired(site)
  local expiry = redis.call('ZSCORE', KEYS[2], site)
  return expiry and can_take and tonumber(expiry) < now
end
local site = nil
for i = 7, #ARGV do
  local s = ARGV[i]
  if (redis.call('ZSCORE', KEYS[1], s) and free(s)) or expired(s) then site = s break end
end
if not site and can_take then
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - 1, 'LIMIT', 0, 1)
  if #old > 0 then site = old[1] end
end
if not site then
  for _, s in ipairs(redis.call('ZRANGE', KEYS[1], 0, 199)) do
    if free(s) then site = s break end
  end
end
if not site then return nil end
local attempt = redis.call('HINCRBY', KEYS[4], site, 1)
redis.call('ZREM', KEYS[1], site)
if attempt > max_attempts then
  redis.call('ZREM', KEYS[2], site)
  redis.call('HDEL', KEYS[3], site)
  if redis.call('HGET', KEYS[5], site) == job then redis.call('HDEL', KEYS[5], site) end
  redis.call('HSET', KEYS[8], site, cjson.encode({status = 'failed', finish_reason = 'too_many_attempts',
    attempts = attempt - 1}))
  redis.call('DEL', prefix .. site .. ':requests', prefix .. site .. ':dupefilter',
    prefix .. site .. ':inflight', prefix .. site .. ':stored')
  return {'failed', site, tostring(attempt - 1)}
end
local holder = cjson.decode(ARGV[3])
holder['since'] = now
holder['attempt'] = attempt
redis.call('ZADD', KEYS[2], now + lease, site)
redis.call('HSET', KEYS[3], site, cjson.encode(holder))
redis.call('HSET', KEYS[5], site, job)
-- what the last holder took from the frontier and did not make durable goes back to it
local inflight = prefix .. site .. ':inflight'
for _, entry in ipairs(redis.call('HVALS', inflight)) do
  local cut = string.find(entry, ' ', 1, true)
  redis.call('ZADD', prefix .. site .. ':requests', string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1))
end
redis.call('DEL', inflight)
return {'claimed', site, redis.call('HGET', KEYS[9], site) or '{}', tostring(attempt)}
"""
)

# KEYS: running, holders, up; ARGV: worker id, lease ms, sites... -> the sites this worker no longer holds
RENEW = (
    _NOW
    + """
local lease = tonumber(ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', lease)
local lost = {}
for i = 3, #ARGV do
  local h = redis.call('HGET', KEYS[2], ARGV[i])
  if h and cjson.decode(h)['worker'] == ARGV[1] then
    redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
)

# KEYS: running, holders, holding, target (done or failed), waiting
# ARGV: job, site, worker id, result JSON, frontier prefix -> -1 (not the holder) | blogs still waiting or running
COMPLETE = """
local job, site, worker = ARGV[1], ARGV[2], ARGV[3]
local h = redis.call('HGET', KEYS[2], site)
if not h or cjson.decode(h)['worker'] ~= worker then return -1 end
redis.call('HSET', KEYS[4], site, ARGV[4])
redis.call('ZREM', KEYS[1], site)
redis.call('HDEL', KEYS[2], site)
if redis.call('HGET', KEYS[3], site) == job then redis.call('HDEL', KEYS[3], site) end
local p = ARGV[5] .. site
redis.call('DEL', p .. ':requests', p .. ':dupefilter', p .. ':inflight', p .. ':stored')
return redis.call('ZCARD', KEYS[5]) + redis.call('ZCARD', KEYS[1])
"""

# KEYS: running, holders, holding, waiting; ARGV: job, site, worker id, rank -> 1 released | 0 not the holder
RELEASE = """
local job, site = ARGV[1], ARGV[2]
local h = redis.call('HGET', KEYS[2], site)
if not h or cjson.decode(h)['worker'] ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], site)
redis.call('HDEL', KEYS[2], site)
if redis.call('HGET', KEYS[3], site) == job then redis.call('HDEL', KEYS[3], site) end
redis.call('ZADD', KEYS[4], ARGV[4], site)
return 1
"""

# KEYS: waiting, running -> {waiting (a blog whose lease expired counts), held by a live worker}
OPEN_WORK = (
    _NOW
    + """
local expired = redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. now)
return {redis.call('ZCARD', KEYS[1]) + expired, redis.call('ZCOUNT', KEYS[2], now, '+inf')}
"""
)

# KEYS: requests, dupefilter; ARGV: encoded request, score, fingerprint ("" = not filtered) -> 1 queued | 0 seen
PUSH = """
if ARGV[3] ~= '' and redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
"""

# KEYS: requests, inflight -> the encoded request with the lowest score, now in flight (nil when none); inflight
# holds it under the SHA-1 of its bytes (frontier.token_of), as "SCORE ENCODED-REQUEST"
POP = """
local got = redis.call('ZPOPMIN', KEYS[1])
if #got == 0 then return nil end
redis.call('HSET', KEYS[2], redis.sha1hex(got[1]), got[2] .. ' ' .. got[1])
return got[1]
"""
