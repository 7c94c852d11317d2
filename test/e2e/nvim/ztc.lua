-- The Neovim configuration from README.md ("Editors"): .zt filetype and the ztc language server.
-- Works on Neovim 0.7 (vim.lsp.start_client) and 0.8+ (vim.lsp.start). The e2e test loads this file
-- as it is, so the README snippet is the one that is tested.
local M = {}

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { "ztc", "lsp", "--stdio" }
  -- Neovim 0.7 detects filetypes with Vim script unless told otherwise: say it both ways.
  if vim.filetype and vim.filetype.add then vim.filetype.add({ extension = { zt = "zt" } }) end
  vim.cmd([[autocmd BufRead,BufNewFile *.zt setfiletype zt]])
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "zt",
    callback = function(args)
      local file = vim.api.nvim_buf_get_name(args.buf)
      -- The project is the folder of the nearest ztc.yaml.
      local found = vim.fs and vim.fs.find and vim.fs.find("ztc.yaml", { upward = true, path = vim.fs.dirname(file) })[1]
        or vim.fn.findfile("ztc.yaml", vim.fn.fnamemodify(file, ":p:h") .. ";")
      local root = (found and found ~= "") and vim.fn.fnamemodify(found, ":p:h") or vim.fn.getcwd()
      local config = { name = "ztc", cmd = cmd, root_dir = root, init_options = opts.init_options }
      if vim.lsp.start then
        vim.lsp.start(config, { bufnr = args.buf })
      else
        -- Neovim 0.7: one client per root, attached to every .zt buffer of that project.
        M.clients = M.clients or {}
        local id = M.clients[root]
        if not id or not vim.lsp.get_client_by_id(id) then
          id = vim.lsp.start_client(config)
          M.clients[root] = id
        end
        vim.lsp.buf_attach_client(args.buf, id)
      end
      vim.bo[args.buf].commentstring = "// %s"
    end,
  })
end

return M
