-- A plain-Lua mock of the Resolve API subset the free-edition script uses (the quirks that matter:
-- absolute frames, timeline markers relative to the start, ImportMedia into the current bin only,
-- overlaps dropped silently, nil from locked tracks, fractional frames refused).
local M = {}
local next_id = 0
local function uid(prefix) next_id = next_id + 1; return prefix .. next_id end

local function u32(s, i) local a, b, c, d = s:byte(i, i + 3); return a + b * 256 + c * 65536 + d * 16777216 end
local function u16(s, i) local a, b = s:byte(i, i + 1); return a + b * 256 end
function M.wav_info(path)        -- samples, sample rate, channels of a RIFF/WAVE file
  local fh = io.open(path, "rb"); if not fh then return nil end
  local s = fh:read("*a"); fh:close()
  local pos, sr, ch, align, data = 13, nil, nil, nil, nil
  while pos + 8 <= #s do
    local id, size = s:sub(pos, pos + 3), u32(s, pos + 4)
    if id == "fmt " then ch, sr, align = u16(s, pos + 10), u32(s, pos + 12), u16(s, pos + 20) end
    if id == "data" then data = size end
    pos = pos + 8 + size + (size % 2)
  end
  return math.floor(data / align), sr, ch
end

local function item(track, mpi, start, dur, left, empty)
  local it = { track = track, mpi = mpi, start = start, dur = dur, left = left or 0, id = uid("item-"), markers = {}, empty = empty }
  local function v(x) if it.empty then return nil end return x end
  function it:GetStart() return v(self.start) end
  function it:GetEnd() return v(self.start + self.dur) end
  function it:GetDuration() return v(self.dur) end
  function it:GetLeftOffset() return v(self.left) end
  function it:GetName() return v(self.mpi and self.mpi.name or "Clip") end
  function it:GetUniqueId() return v(self.id) end
  function it:GetMediaPoolItem() return v(self.mpi) end
  function it:GetMarkers() return self.markers end
  function it:UpdateMarkerCustomData(f, cd) local m = self.markers[f]; if not m then return false end m.customData = cd; return true end
  return it
end

function M.world(opts)
  local w = { saves = 0, import_calls = 0, append_calls = 0 }
  local fps_num, fps_den = opts.fps_num or 24000, opts.fps_den or 1001
  local tl = { tracks = { video = {}, audio = {} }, markers = {}, start = opts.start_frame or 86400, length = opts.length or 2400 }
  local function add_track(kind, name, sub) table.insert(tl.tracks[kind], { name = name, sub = sub or "", locked = false, items = {} }) end
  add_track("video", "Video 1"); add_track("audio", "Audio 1", "stereo")
  local function free(t, s, e)
    for _, i in ipairs(t.items) do if not (i.start + i.dur <= s or e <= i.start) then return false end end
    return true
  end
  function tl:GetName() return "Cut 1" end
  function tl:GetUniqueId() return "tl-1" end
  function tl:GetSetting(k)
    if k == "timelineFrameRate" then return opts.fps or "23.976" end
    if k == "timelineDropFrameTimecode" then return "0" end
    if k == "timelineSampleRate" then return "48000" end
    return nil
  end
  function tl:GetStartFrame() return self.start end
  function tl:GetEndFrame() return self.start + self.length end
  function tl:GetStartTimecode() return opts.start_tc or "01:00:00:00" end
  function tl:GetTrackCount(k) return #self.tracks[k] end
  function tl:GetTrackName(k, i) local t = self.tracks[k][i]; return t and t.name end
  function tl:SetTrackName(k, i, n) local t = self.tracks[k][i]; if not t then return false end t.name = n; return true end
  function tl:GetTrackSubType(k, i) local t = self.tracks[k][i]; return t and t.sub end
  function tl:GetIsTrackLocked(k, i) local t = self.tracks[k][i]; return t and t.locked end
  function tl:AddTrack(k, sub) add_track(k, (k == "audio" and "Audio " or "Video ") .. (#self.tracks[k] + 1), sub); return true end
  function tl:DeleteTrack(k, i) table.remove(self.tracks[k], i); return true end
  function tl:GetItemListInTrack(k, i)
    local t = self.tracks[k][i]; if not t then return nil end
    local out = {}
    for _, x in ipairs(t.items) do out[#out + 1] = x end
    table.sort(out, function(a, b) return a.start < b.start end)
    return out
  end
  function tl:DeleteClips(items)
    for _, victim in ipairs(items) do
      for _, ts in pairs(self.tracks) do for _, t in ipairs(ts) do
        for n = #t.items, 1, -1 do if t.items[n] == victim then table.remove(t.items, n) end end
      end end
    end
    return true
  end
  function tl:GetMarkers() return self.markers end
  function tl:UpdateMarkerCustomData(f, cd) local m = self.markers[f]; if not m then return false end m.customData = cd; return true end

  local root = { name = "Master", clips = {}, subs = {} }
  local function folder_methods(f)
    function f:GetName() return self.name end
    function f:GetClipList() return self.clips end
    function f:GetSubFolderList() return self.subs end
    return f
  end
  folder_methods(root)
  local mp = { current = root }
  function mp:GetRootFolder() return root end
  function mp:GetCurrentFolder() return self.current end
  function mp:SetCurrentFolder(f) self.current = f; return true end
  function mp:AddSubFolder(parent, name) local f = folder_methods({ name = name, clips = {}, subs = {} }); table.insert(parent.subs, f); return f end
  function mp:ImportMedia(paths)
    w.import_calls = w.import_calls + 1
    local out = {}
    for _, p in ipairs(paths) do
      local n, sr, ch = M.wav_info(p)
      if n then
        local mpi = { path = p, name = p:match("[^/]+$"), third = {},
                      frames = math.floor(n * fps_num / (sr * fps_den) + 0.5) }
        function mpi:GetClipProperty(k) if k == "File Path" then return self.path end return "" end
        function mpi:SetThirdPartyMetadata(k, v) self.third[k] = v; return true end
        function mpi:GetThirdPartyMetadata(k) return self.third[k] or "" end
        table.insert(self.current.clips, mpi)
        out[#out + 1] = mpi
      end
    end
    return out
  end
  function mp:AppendToTimeline(infos)
    w.append_calls = w.append_calls + 1
    for _, i in ipairs(infos) do
      if i.recordFrame and i.recordFrame ~= math.floor(i.recordFrame) then return nil end
    end
    local out = {}
    for _, i in ipairs(infos) do
      local t = tl.tracks.audio[i.trackIndex]
      local left = i.startFrame or 0
      local dur = i.endFrame and (i.endFrame - left) or (i.mediaPoolItem.frames - left)
      local s = i.recordFrame
      if not t or t.locked or not free(t, s, s + dur) then
        out[#out + 1] = item(t, i.mediaPoolItem, 0, 0, 0, true)
      else
        local it = item(t, i.mediaPoolItem, s, dur, left)
        table.insert(t.items, it)
        out[#out + 1] = it
      end
    end
    return out
  end
  local project = {}
  function project:GetName() return "Short Film" end
  function project:GetSetting(k) return tl:GetSetting(k) end
  function project:GetMediaPool() return mp end
  function project:GetCurrentTimeline() return tl end
  local pm = {}
  function pm:GetCurrentProject() return project end
  function pm:SaveProject() w.saves = w.saves + 1; return true end
  local r = {}
  function r:GetProjectManager() return pm end
  function r:GetProductName() return "DaVinci Resolve" end
  function r:GetVersion() return { 21, 1, 0, 3, "" } end

  function w.add_clip(name, offset, frames, left)
    local mpi = { name = name, path = "/media/" .. name .. ".mov" }
    function mpi:GetClipProperty(k) if k == "File Path" then return self.path end return "" end
    local it = item(tl.tracks.video[1], mpi, tl.start + offset, frames, left)
    table.insert(tl.tracks.video[1].items, it)
    return it
  end
  function w.add_marker(offset, note, duration, color)
    tl.markers[offset] = { color = color or "Blue", name = "", note = note, duration = duration or 1, customData = "" }
  end
  w.resolve, w.timeline, w.pool, w.root = r, tl, mp, root
  return w
end

return M
