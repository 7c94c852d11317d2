-- Headless Neovim as a real LSP client of `ztc lsp --stdio`: open an example file, receive its
-- diagnostics, ask for completion and hover, edit the buffer and see the diagnostics update;
-- complete a rule set after `use`, read the code lenses of the expectations and run their command.
-- Environment: ZTC_BIN (bin/ztc.js), ZTC_PROJECT (a copy of examples/acme), ZTC_CONFIG (ztc.lua), ZTC_OUT.
local out = {}
local function log(s) table.insert(out, s) end
local failures = 0
local function check(name, ok, detail)
  log((ok and "ok   " or "FAIL ") .. name .. ((not ok and detail) and (" -- " .. detail) or ""))
  if not ok then failures = failures + 1 end
end
local function finish()
  log(failures == 0 and "RESULT PASS" or ("RESULT FAIL (" .. failures .. ")"))
  vim.fn.writefile(out, os.getenv("ZTC_OUT"))
  for _, c in pairs(vim.lsp.get_active_clients()) do c.stop() end
  vim.wait(1000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
  vim.cmd(failures == 0 and "qall!" or "cquit! 1")
end

local function codes(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(list, tostring(code))
  end
  table.sort(list)
  return table.concat(list, ",")
end

local function main()
  log("nvim " .. vim.version().major .. "." .. vim.version().minor .. "." .. vim.version().patch)
  local project = os.getenv("ZTC_PROJECT")
  -- The README's configuration, with the server from this checkout.
  dofile(os.getenv("ZTC_CONFIG")).setup({
    cmd = { "node", os.getenv("ZTC_BIN"), "lsp", "--stdio" },
    init_options = { today = "2026-11-21" },
  })
  local published = 0
  local orig = vim.lsp.handlers["textDocument/publishDiagnostics"]
  vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
    if result and result.uri and result.uri:match("search/policy%.zt$") then published = published + 1 end
    return orig(err, result, ctx, config)
  end

  vim.cmd("edit " .. vim.fn.fnameescape(project .. "/tenants/search/policy.zt"))
  local buf = vim.api.nvim_get_current_buf()
  check("filetype is zt", vim.bo[buf].filetype == "zt", vim.bo[buf].filetype)
  local got = vim.wait(20000, function() return published > 0 and #vim.diagnostic.get(buf) > 0 end, 50)
  -- The example's two deliberate warnings in this file: the coarse rule (ZT3025) and the missing port (ZT3014).
  check("diagnostics arrive for the opened file", got and codes(buf) == "ZT3014,ZT3025", codes(buf))
  local d = vim.diagnostic.get(buf)[1]
  if d then log("DIAG " .. (d.lnum + 1) .. ":" .. (d.col + 1) .. " " .. d.message) end

  -- Completion after "to " on the rule to api.openai.com (line 8): the approved destinations of tenant search.
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local row
  for i, l in ipairs(lines) do if l:find("api.openai.com", 1, true) then row = i - 1 end end
  local col = lines[row + 1]:find("api.openai.com", 1, true) - 1
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = row, character = col } }
  local labels = {}
  for _, resp in pairs(vim.lsp.buf_request_sync(buf, "textDocument/completion", params, 10000) or {}) do
    local items = resp.result and (resp.result.items or resp.result) or {}
    for _, it in ipairs(items) do table.insert(labels, it.label) end
  end
  local joined = table.concat(labels, ",")
  log("COMPLETION " .. joined)
  check("completion offers the approved destinations", joined:find("api.openai.com", 1, true) ~= nil and joined:find("*.s3.eu-west-1.amazonaws.com", 1, true) ~= nil, joined)
  check("completion offers no destination of another tenant", joined:find("api.stripe.com", 1, true) == nil, joined)

  -- Hover on the rule: the YAML it compiles to.
  params.position.character = 4
  local hover = ""
  for _, resp in pairs(vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 10000) or {}) do
    if resp.result and resp.result.contents then hover = resp.result.contents.value or "" end
  end
  check("hover shows the compiled YAML", hover:find("matchName: api.openai.com", 1, true) ~= nil, hover:sub(1, 200))

  -- Edit: an unapproved destination is an error at once; undoing the edit clears it.
  local before = lines[row + 1]
  vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { (before:gsub("api%.openai%.com", "api.evil.example")) })
  local updated = vim.wait(10000, function() return codes(buf) == "ZT3001,ZT3014,ZT3025" end, 50)
  check("diagnostics update after an edit", updated, codes(buf))
  vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { before })
  local cleared = vim.wait(10000, function() return codes(buf) == "ZT3014,ZT3025" end, 50)
  check("diagnostics update after undoing it", cleared, codes(buf))

  -- Rule sets: completion after `use` in the payments policy offers the imported ones (plain
  -- text here: this client declares no snippet support).
  vim.cmd("edit " .. vim.fn.fnameescape(project .. "/tenants/payments/policy.zt"))
  local pbuf = vim.api.nvim_get_current_buf()
  local plines = vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)
  local urow
  for i, l in ipairs(plines) do if l:find("use kube-apiserver", 1, true) then urow = i - 1 end end
  local ucol = plines[urow + 1]:find("kube-apiserver", 1, true) - 1
  local inserted = ""
  for _, resp in pairs(vim.lsp.buf_request_sync(pbuf, "textDocument/completion", { textDocument = { uri = vim.uri_from_bufnr(pbuf) }, position = { line = urow, character = ucol } }, 10000) or {}) do
    for _, it in ipairs(resp.result and (resp.result.items or resp.result) or {}) do
      if it.label == "kube-apiserver" then inserted = it.textEdit and it.textEdit.newText or "" end
    end
  end
  check("completion after use offers the imported rule set with its parameters", inserted == "kube-apiserver(port: 6443)", inserted)

  -- Tests: a code lens per expect statement says it holds; the lens's command explains the flow.
  vim.cmd("edit " .. vim.fn.fnameescape(project .. "/tenants/payments/tests.zt"))
  local tbuf = vim.api.nvim_get_current_buf()
  local tparams = { textDocument = { uri = vim.uri_from_bufnr(tbuf) } }
  local lenses = {}
  for _, resp in pairs(vim.lsp.buf_request_sync(tbuf, "textDocument/codeLens", tparams, 10000) or {}) do
    for _, l in ipairs(resp.result or {}) do table.insert(lenses, l) end
  end
  local holding = 0
  for _, l in ipairs(lenses) do if l.command and l.command.title == "✓ holds" then holding = holding + 1 end end
  check("code lenses say every expect of tests.zt holds", #lenses == 12 and holding == 12, #lenses .. " lenses, " .. holding .. " hold")
  local verdict, text = "", ""
  if lenses[2] and lenses[2].command then
    for _, resp in pairs(vim.lsp.buf_request_sync(tbuf, "workspace/executeCommand", { command = lenses[2].command.command, arguments = lenses[2].command.arguments }, 10000) or {}) do
      if resp.result then verdict, text = resp.result.verdict or "", resp.result.text or "" end
    end
  end
  log("EXPLAIN " .. (text:gsub("\n.*", "")))
  check("the lens's command explains the expect's flow (ztc explain)", verdict == "dropped" and text:find("flow: payments/api -> api.example.org 443/tcp", 1, true) ~= nil, verdict .. " " .. text:sub(1, 200))
  finish()
end

local ok, err = pcall(main)
if not ok then
  log("lua error: " .. tostring(err))
  failures = failures + 1
  finish()
end
