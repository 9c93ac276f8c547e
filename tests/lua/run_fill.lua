-- Run the free-edition script twice on the mock (arg 1: the script), print what is on the SceneFill tracks.
package.path = arg[0]:gsub("[^/]+$", "") .. "?.lua;" .. package.path
local mock = require("mock_resolve")
local w = mock.world({})
w.add_clip("sh010", 0, 96, 1000)
w.add_clip("sh020", 96, 144, 0)
w.add_marker(0, "light rain on a window")
w.add_marker(96, "quiet office room tone", 72, "Green")
w.add_marker(120, "distant traffic", 48, "Yellow")
w.add_marker(200, "", 1)
resolve = w.resolve
local function dump(label)
  for idx, t in ipairs(w.timeline.tracks.audio) do
    for _, it in ipairs(t.items) do
      print(table.concat({ label, t.name, t.sub, it.start, it.dur, it.mpi.path, it.mpi.third.scenefill and "tagged" or "" }, "\t"))
    end
  end
end
dofile(arg[1])
dump("RUN1")
print("CALLS", w.import_calls, w.append_calls, w.saves)
for f, m in pairs(w.timeline.markers) do print("MARKER", f, m.customData) end
dofile(arg[1])
dump("RUN2")
print("CALLS", w.import_calls, w.append_calls, w.saves)
local bin = w.root.subs[1]
print("BIN", bin and bin.name, bin and #bin.clips, w.pool.current == w.root)
