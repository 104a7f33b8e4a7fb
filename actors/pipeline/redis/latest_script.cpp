#include "actors/pipeline/redis/latest_script.hpp"

namespace sophia::actors::pipeline::redis {

// Lua's string `<` follows the server's LC_COLLATE (Redis calls
// setlocale), hence the byte-wise comparison. Integers compare as text
// (sign, length, digits) because Lua numbers are doubles and cursors are
// often 64-bit ids or microsecond timestamps.
std::string_view latest_script() {
  return R"lua(
local function bytes_cmp(a, b)
  if a == b then return 0 end
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      if x < y then return -1 end
      return 1
    end
  end
  if #a < #b then return -1 end
  return 1
end
local function int_cmp(a, b)
  local na, nb = string.sub(a, 1, 1) == '-', string.sub(b, 1, 1) == '-'
  if na ~= nb then
    if na then return -1 end
    return 1
  end
  if na then a = string.sub(a, 2); b = string.sub(b, 2) end
  local r
  if #a ~= #b then
    if #a < #b then r = -1 else r = 1 end
  else
    r = bytes_cmp(a, b)
  end
  if na then return -r end
  return r
end
local function rank(t)
  if t == 'null' then return 0 end
  if t == 'true' or t == 'false' then return 1 end
  local c = string.sub(t, 1, 1)
  if c == '"' then return 3 end
  if c == '{' or c == '[' then return 4 end
  return 2
end
local function cursor_cmp(a, b)
  local ra, rb = rank(a), rank(b)
  if ra ~= rb then
    if ra < rb then return -1 end
    return 1
  end
  if ra == 0 then return 0 end
  if ra == 2 then
    if string.find(a, '^-?%d+$') and string.find(b, '^-?%d+$') then
      return int_cmp(a, b)
    end
    local x, y = tonumber(a), tonumber(b)
    if x == y then return 0 end
    if x < y then return -1 end
    return 1
  end
  if ra == 3 then return bytes_cmp(cjson.decode(a), cjson.decode(b)) end
  return bytes_cmp(a, b)
end
local stored = redis.call('HMGET', KEYS[1], 'cursor', 'emitted_at')
if stored[1] then
  local c = cursor_cmp(ARGV[2], stored[1])
  if c < 0 or (c == 0 and int_cmp(ARGV[3], stored[2] or '0') < 0) then
    return 0
  end
end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[1])
  return 2
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'cursor', ARGV[2],
           'emitted_at', ARGV[3])
if ARGV[5] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
else
  redis.call('PERSIST', KEYS[1])
end
return 1
)lua";
}

} // namespace sophia::actors::pipeline::redis
