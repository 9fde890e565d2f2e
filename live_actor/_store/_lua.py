"""The Redis side of the store rules (``_api``): one Lua script per operation.

Each script runs atomically on the server and reads the server's clock
(``TIME``), so leases do not depend on the workers' clocks.  Keys (``P`` is
the store's prefix; a single Redis server or a primary with replicas, not a
cluster, since scripts touch several sessions' keys):

``P:s:<id>``   hash: ``config``, ``state``, ``transcript`` (sealed), ``owner``, ``token``
``P:e:<id>``   hash: ledger id -> sealed frame
``P:w:<w>``    the lease of worker ``w`` (expires after the lease TTL)
``P:ws:<w>``   set: the sessions ``w`` owns
``P:workers``  sorted set: worker -> lease expiry (ms), to find orphans fast
``P:released`` set: sessions handed over (owner ``""``)

Replies are arrays whose first item says what happened (``ok``, ``fenced``,
``owned``, ``exists``, ``missing``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CLAIM", "CREATE", "DELETE", "END", "HEARTBEAT", "LOAD", "ORPHANS", "RELEASE", "WRITE"]

_NOW: Final = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# ARGV: prefix, worker, ttl_ms, first ("1": release what a previous process left),
#       then the ids of the sessions the worker drives
HEARTBEAT: Final = (
    _NOW
    + """
local p, w, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
redis.call('SET', p .. ':w:' .. w, '1', 'PX', ttl)
redis.call('ZADD', p .. ':workers', now_ms() + ttl, w)
local mine = p .. ':ws:' .. w
if ARGV[4] == '1' then
  for _, id in ipairs(redis.call('SMEMBERS', mine)) do
    local s = p .. ':s:' .. id
    if redis.call('HGET', s, 'owner') == w then
      redis.call('HSET', s, 'owner', '')
      redis.call('HINCRBY', s, 'token', 1)
      redis.call('SADD', p .. ':released', id)
    end
  end
  redis.call('DEL', mine)
end
local lost = {}
for i = 5, #ARGV do
  if redis.call('HGET', p .. ':s:' .. ARGV[i], 'owner') ~= w then
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
)

# ARGV: prefix, id, worker, config, state, retention_ms
CREATE: Final = """
local p, id, w = ARGV[1], ARGV[2], ARGV[3]
local s = p .. ':s:' .. id
if redis.call('EXISTS', s) == 1 then
  local owner = redis.call('HGET', s, 'owner')
  if owner and owner ~= '' and redis.call('EXISTS', p .. ':w:' .. owner) == 1 then
    return {'owned', owner}
  end
  return {'exists'}
end
redis.call('DEL', p .. ':e:' .. id)
redis.call('HSET', s, 'config', ARGV[4], 'state', ARGV[5], 'owner', w, 'token', 1)
redis.call('PEXPIRE', s, tonumber(ARGV[6]))
redis.call('SADD', p .. ':ws:' .. w, id)
return {'ok', 1}
"""

# ARGV: prefix, id, worker
CLAIM: Final = """
local p, id, w = ARGV[1], ARGV[2], ARGV[3]
local s = p .. ':s:' .. id
if redis.call('EXISTS', s) == 0 then return {'missing'} end
local owner = redis.call('HGET', s, 'owner') or ''
if owner ~= '' and owner ~= w and redis.call('EXISTS', p .. ':w:' .. owner) == 1 then
  return {'owned', owner}
end
local token = redis.call('HINCRBY', s, 'token', 1)
redis.call('HSET', s, 'owner', w, 'serial', 0)
if owner ~= '' then redis.call('SREM', p .. ':ws:' .. owner, id) end
redis.call('SADD', p .. ':ws:' .. w, id)
redis.call('SREM', p .. ':released', id)
return {'ok', token}
"""

# ARGV: prefix, id
LOAD: Final = """
local p, id = ARGV[1], ARGV[2]
local s = p .. ':s:' .. id
if redis.call('EXISTS', s) == 0 then return {'missing'} end
local f = redis.call('HMGET', s, 'config', 'state', 'transcript', 'owner', 'token')
return {'ok', f[1], f[2], f[3] or '', f[4] or '', f[5], redis.call('HGETALL', p .. ':e:' .. id)}
"""

# ARGV: prefix, id, token, retention_ms, state, transcript, replace ("1"), serial,
#       n_put, then n_put (ledger id, frame) pairs, then ledger ids to drop
WRITE: Final = """
local p, id = ARGV[1], ARGV[2]
local s, e = p .. ':s:' .. id, p .. ':e:' .. id
if redis.call('HGET', s, 'token') ~= ARGV[3] then return {'fenced'} end
local serial = tonumber(ARGV[8])
if serial > 0 then
  if serial <= tonumber(redis.call('HGET', s, 'serial') or '0') then return {'ok'} end
  redis.call('HSET', s, 'serial', serial)
end
if ARGV[5] ~= '' then redis.call('HSET', s, 'state', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', s, 'transcript', ARGV[6]) end
if ARGV[7] == '1' then redis.call('DEL', e) end
local n = tonumber(ARGV[9])
local i = 10
for _ = 1, n do
  redis.call('HSET', e, ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HDEL', e, ARGV[i])
  i = i + 1
end
local retention = tonumber(ARGV[4])
redis.call('PEXPIRE', s, retention)
redis.call('PEXPIRE', e, retention)
return {'ok'}
"""

# ARGV: prefix, id, token, worker
RELEASE: Final = """
local p, id = ARGV[1], ARGV[2]
local s = p .. ':s:' .. id
if redis.call('HGET', s, 'token') ~= ARGV[3] then return {'fenced'} end
redis.call('HSET', s, 'owner', '')
redis.call('HINCRBY', s, 'token', 1)
redis.call('SREM', p .. ':ws:' .. ARGV[4], id)
redis.call('SADD', p .. ':released', id)
return {'ok'}
"""

# ARGV: prefix, id, token, worker
END: Final = """
local p, id = ARGV[1], ARGV[2]
local s = p .. ':s:' .. id
if redis.call('HGET', s, 'token') ~= ARGV[3] then return {'fenced'} end
redis.call('DEL', s, p .. ':e:' .. id)
redis.call('SREM', p .. ':ws:' .. ARGV[4], id)
return {'ok'}
"""

# ARGV: prefix, id
DELETE: Final = """
local p, id = ARGV[1], ARGV[2]
local s = p .. ':s:' .. id
local owner = redis.call('HGET', s, 'owner')
if owner and owner ~= '' then redis.call('SREM', p .. ':ws:' .. owner, id) end
redis.call('SREM', p .. ':released', id)
return redis.call('DEL', s, p .. ':e:' .. id)
"""

# ARGV: prefix, limit
ORPHANS: Final = (
    _NOW
    + """
local p, limit = ARGV[1], tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. ':released')) do
  if #out >= limit then return out end
  local owner = redis.call('HGET', p .. ':s:' .. id, 'owner')
  if owner == '' then table.insert(out, id) else redis.call('SREM', p .. ':released', id) end
end
local dead = redis.call('ZRANGEBYSCORE', p .. ':workers', '-inf', now_ms())
for _, w in ipairs(dead) do
  if redis.call('EXISTS', p .. ':w:' .. w) == 0 then
    local mine = p .. ':ws:' .. w
    for _, id in ipairs(redis.call('SMEMBERS', mine)) do
      if redis.call('HGET', p .. ':s:' .. id, 'owner') == w then
        if #out >= limit then return out end
        table.insert(out, id)
      else
        redis.call('SREM', mine, id)
      end
    end
    if redis.call('SCARD', mine) == 0 then redis.call('ZREM', p .. ':workers', w) end
  end
end
return out
"""
)
