-- SceneFill menu script: Fill From Markers, for DaVinci Resolve's free edition (Lua; 21.1+ runs only Lua).
-- Written by `scenefill resolve install`; `scenefill resolve uninstall` removes it.
--
-- Every timeline and clip marker with a note gets audio of exactly its range on a stereo
-- "SceneFill" audio track (a second one where ranges overlap), files in a "SceneFill" bin.
-- This script only talks to Resolve: it writes the timeline as JSON, runs
-- `scenefill resolve lua-plan` (the same Python core as the Studio scripts: notes, ranges,
-- rendering, layout), then imports, places and verifies what that plan says, in one
-- ImportMedia and one AppendToTimeline call. Set SCENEFILL_MARKER_COLORS=Blue,Green to fill
-- only some colours; SCENEFILL_SERVER to render on a running `scenefill serve`.

local SCENEFILL = os.getenv("SCENEFILL_EXE") or "scenefill"
local TRACK = "SceneFill"
local BIN = "SceneFill"

local function say(msg) print("SceneFill: " .. tostring(msg)) end

-- ------------------------------------------------------------------ JSON (encode only)
local ARRAY = {}
local function arr(t) return setmetatable(t, ARRAY) end
local ESC = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function jstr(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    return ESC[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end
local function encode(v)
  local t = type(v)
  if v == nil then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t == "string" then return jstr(v) end
  local out = {}
  if getmetatable(v) == ARRAY then
    for i = 1, #v do out[#out + 1] = encode(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  for k, x in pairs(v) do out[#out + 1] = jstr(k) .. ":" .. encode(x) end
  return "{" .. table.concat(out, ",") .. "}"
end

-- ------------------------------------------------------------------ helpers
local function list(t)          -- Resolve answers lists as 1-based tables (or nil)
  local out = {}
  if type(t) ~= "table" then return out end
  for i = 1, #t do out[#out + 1] = t[i] end
  if #out == 0 then             -- the deprecated {[1]=..} dict form with holes
    local keys = {}
    for k in pairs(t) do if type(k) == "number" then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do out[#out + 1] = t[k] end
  end
  return out
end

local function markers(owner)
  local out = arr({})
  local m = owner:GetMarkers() or {}
  for frame, info in pairs(m) do
    out[#out + 1] = { frame = frame, color = info.color or "", name = info.name or "", note = info.note or "",
                      duration = info.duration or 1, customData = info.customData or "" }
  end
  return out
end

local function quote(s)
  if package.config:sub(1, 1) == "\\" then return '"' .. s .. '"' end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function split(line)
  local out = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do out[#out + 1] = field end
  return out
end

local function audio_tracks(tl)
  local byname = {}
  for i = 1, (tl:GetTrackCount("audio") or 0) do byname[tl:GetTrackName("audio", i) or ""] = i end
  return byname
end

local function is_ours(name)
  return name == TRACK or name:match("^" .. TRACK .. " %d+$") ~= nil
end

-- ------------------------------------------------------------------ snapshot
local function snapshot(project, tl)
  local snap = {
    project = project:GetName() or "", timeline = tl:GetName() or "", timeline_id = tl:GetUniqueId() or "",
    fps = tl:GetSetting("timelineFrameRate") or "", project_fps = project:GetSetting("timelineFrameRate") or "",
    drop = tl:GetSetting("timelineDropFrameTimecode") or project:GetSetting("timelineDropFrameTimecode") or "0",
    sample_rate = tl:GetSetting("timelineSampleRate") or project:GetSetting("timelineSampleRate") or "48000",
    start_frame = tl:GetStartFrame(), end_frame = tl:GetEndFrame(), start_tc = tl:GetStartTimecode() or "",
    markers = markers(tl), tracks = arr({}),
  }
  for _, kind in ipairs({ "video", "audio" }) do
    for idx = 1, (tl:GetTrackCount(kind) or 0) do
      local name = tl:GetTrackName(kind, idx) or ""
      local ours = kind == "audio" and is_ours(name)
      local track = { type = kind, index = idx, name = name, locked = tl:GetIsTrackLocked(kind, idx) and true or false,
                      subtype = kind == "audio" and (tl:GetTrackSubType(kind, idx) or "") or "", items = arr({}) }
      for _, item in ipairs(list(tl:GetItemListInTrack(kind, idx))) do
        local s, e = item:GetStart(), item:GetEnd()
        if s and e then         -- a locked/refused item answers nil everywhere: not there
          local mpi = item:GetMediaPoolItem()
          local row = { uid = item:GetUniqueId() or "", name = item:GetName() or "", start = s, ["end"] = e,
                        left = item:GetLeftOffset() or 0, markers = ours and arr({}) or markers(item),
                        file = mpi and (mpi:GetClipProperty("File Path") or "") or "" }
          if ours and mpi then row.scenefill = mpi:GetThirdPartyMetadata("scenefill") or "" end
          track.items[#track.items + 1] = row
        end
      end
      snap.tracks[#snap.tracks + 1] = track
    end
  end
  return snap
end

-- ------------------------------------------------------------------ main
local function main()
  local r = resolve or (Resolve and Resolve()) or (bmd and bmd.scriptapp and bmd.scriptapp("Resolve"))
  if not r then return say("cannot reach DaVinci Resolve") end
  local pm = r:GetProjectManager()
  local project = pm and pm:GetCurrentProject()
  if not project then return say("no project is open in DaVinci Resolve: open one and run again") end
  local tl = project:GetCurrentTimeline()
  if not tl then
    return say((project:GetName() or "the project") .. " has no current timeline: open a timeline in the Edit page and run again")
  end

  say("reading the timeline")
  local base = os.tmpname()
  local snap_path, plan_path = base .. ".json", base .. ".plan"
  local fh = assert(io.open(snap_path, "w"))
  fh:write(encode(snapshot(project, tl)))
  fh:close()

  say("rendering (this waits for " .. SCENEFILL .. ")")
  local exe = SCENEFILL:find(" %-m ") and SCENEFILL or quote(SCENEFILL)
  local cmd = exe .. " resolve lua-plan " .. quote(snap_path) .. " " .. quote(plan_path)
  local colors = os.getenv("SCENEFILL_MARKER_COLORS")
  if colors and colors ~= "" then cmd = cmd .. " --colors " .. quote(colors) end
  os.execute(cmd)
  local plan = io.open(plan_path, "r")
  if not plan then
    os.remove(snap_path); os.remove(base)
    return say("`" .. SCENEFILL .. "` did not run: is SceneFill installed? (run `scenefill resolve install` again)")
  end
  local deletes, appends, tags, stamps, infos = {}, {}, {}, {}, {}
  for line in plan:lines() do
    local f = split(line)
    if f[1] == "ERROR" then
      plan:close(); os.remove(snap_path); os.remove(plan_path); os.remove(base)
      return say(f[2])
    elseif f[1] == "DELETE" then deletes[f[2]] = true
    elseif f[1] == "APPEND" then appends[#appends + 1] = { track = f[2], record = tonumber(f[3]), frames = tonumber(f[4]), path = f[5] }
    elseif f[1] == "TAG" then tags[#tags + 1] = { path = f[2], json = f[3] }
    elseif f[1] == "STAMP" then stamps[#stamps + 1] = { owner = f[2], key = tonumber(f[3]), data = f[4] }
    elseif f[1] == "INFO" then infos[#infos + 1] = f[2] end
  end
  plan:close(); os.remove(snap_path); os.remove(plan_path); os.remove(base)

  -- the bin, and one import of what it lacks
  local mp = project:GetMediaPool()
  local root = mp:GetRootFolder()
  local bin
  for _, folder in ipairs(list(root:GetSubFolderList())) do
    if folder:GetName() == BIN then bin = folder end
  end
  bin = bin or mp:AddSubFolder(root, BIN)
  if not bin then return say("Resolve refused to create the '" .. BIN .. "' bin; nothing was changed") end
  local media = {}
  for _, clip in ipairs(list(bin:GetClipList())) do media[clip:GetClipProperty("File Path") or ""] = clip end
  local missing = {}
  for _, t in ipairs(tags) do if not media[t.path] then missing[#missing + 1] = t.path end end
  if #missing > 0 then
    local previous = mp:GetCurrentFolder()
    mp:SetCurrentFolder(bin)
    for _, clip in ipairs(list(mp:ImportMedia(missing))) do media[clip:GetClipProperty("File Path") or ""] = clip end
    if previous then mp:SetCurrentFolder(previous) end
  end
  for _, a in ipairs(appends) do
    if not media[a.path] then return say("Resolve would not import " .. a.path .. "; nothing was placed") end
  end
  for _, t in ipairs(tags) do
    if media[t.path] then media[t.path]:SetThirdPartyMetadata("scenefill", t.json) end
  end

  -- tracks, one delete, one append
  local tracks = audio_tracks(tl)
  local created = {}
  for _, a in ipairs(appends) do
    if not tracks[a.track] then
      if not tl:AddTrack("audio", "stereo") then return say("Resolve refused to add an audio track; nothing was changed") end
      local idx = tl:GetTrackCount("audio")
      tl:SetTrackName("audio", idx, a.track)
      tracks[a.track] = idx
      created[#created + 1] = idx
    end
  end
  local doomed, restore = {}, {}
  for name, idx in pairs(tracks) do
    if is_ours(name) then
      for _, item in ipairs(list(tl:GetItemListInTrack("audio", idx))) do
        if deletes[item:GetUniqueId() or ""] then
          doomed[#doomed + 1] = item
          local left = item:GetLeftOffset() or 0
          restore[#restore + 1] = { mediaPoolItem = item:GetMediaPoolItem(), startFrame = left,
                                    endFrame = left + (item:GetDuration() or 0), mediaType = 2, trackIndex = idx,
                                    recordFrame = item:GetStart() }
        end
      end
    end
  end
  local function undo()
    if #restore > 0 then mp:AppendToTimeline(restore) end
    table.sort(created, function(a, b) return a > b end)
    for _, idx in ipairs(created) do tl:DeleteTrack("audio", idx) end
  end
  if #doomed > 0 and not tl:DeleteClips(doomed, false) then
    undo()
    return say("Resolve refused to remove SceneFill's previous clips (open the Edit page); nothing was changed")
  end
  if #appends > 0 then
    local infos_ = {}
    for _, a in ipairs(appends) do
      infos_[#infos_ + 1] = { mediaPoolItem = media[a.path], mediaType = 2, trackIndex = tracks[a.track],
                              recordFrame = math.floor(a.record) }
    end
    local placed = list(mp:AppendToTimeline(infos_))
    if #placed == 0 then
      undo()
      return say("Resolve refused to place the SceneFill clips; the timeline is as it was")
    end
  end
  pm:SaveProject()

  -- read every placed item back
  local problems, ok = {}, 0
  for _, a in ipairs(appends) do
    local found
    for _, item in ipairs(list(tl:GetItemListInTrack("audio", tracks[a.track]))) do
      local mpi = item:GetMediaPoolItem()
      if item:GetStart() == a.record and mpi and mpi:GetClipProperty("File Path") == a.path then found = item end
    end
    if not found then
      problems[#problems + 1] = "Resolve refused or moved " .. a.path .. " (record frame " .. a.record .. ")"
    elseif found:GetDuration() ~= a.frames then
      problems[#problems + 1] = "Resolve placed " .. tostring(found:GetDuration()) .. " frames of " .. a.path .. ", not " .. a.frames
    else
      ok = ok + 1
    end
  end
  if #appends > 0 and ok == 0 then
    undo()
    return say("Resolve refused every SceneFill clip (" .. problems[1] .. "); the timeline is as it was")
  end

  -- the filled markers keep SceneFill's id (conform finds them after a recut)
  local by_uid = {}
  for _, kind in ipairs({ "video", "audio" }) do
    for idx = 1, (tl:GetTrackCount(kind) or 0) do
      for _, item in ipairs(list(tl:GetItemListInTrack(kind, idx))) do by_uid[item:GetUniqueId() or ""] = item end
    end
  end
  for _, s in ipairs(stamps) do
    local owner = s.owner == "" and tl or by_uid[s.owner]
    if owner then owner:UpdateMarkerCustomData(s.key, s.data) end
  end

  for _, line in ipairs(infos) do say(line) end
  if #appends == 0 and next(deletes) == nil then say("nothing to change")
  else say(ok .. " clip(s) placed" .. (#problems > 0 and (", " .. #problems .. " NOT placed") or "")) end
  for _, p in ipairs(problems) do say("NOT PLACED: " .. p) end
end

main()
