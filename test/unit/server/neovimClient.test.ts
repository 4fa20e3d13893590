/**
 * The standalone server driven by a real Neovim (headless), as the README's snippet sets it
 * up: `vim.lsp.start` (Neovim 0.8+) or, on Debian 12's Neovim 0.7, its older equivalent
 * `vim.lsp.start_client` + `buf_attach_client`. Skipped when `nvim` is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { embeddedRoot, packageRoot } from '../../../extension/kernelSources/paths';

const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const scratch = mkdtempSync(join(tmpdir(), 'kernel-lens-nvim-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Lua run inside Neovim: start the server, wait for "ready", ask, write the answers. */
function script(root: string, server: string, out: string): string {
  return `
local root, out = ${JSON.stringify(root)}, {}
vim.cmd('edit ' .. root .. '/net/socket.c')
local buf = vim.api.nvim_get_current_buf()
local ready = false
local config = {
  name = 'kernel-lens',
  cmd = { 'node', ${JSON.stringify(server)}, '--stdio' },
  root_dir = root,
  init_options = { profile = 'tcp-ipv4', locale = 'en' },
  handlers = {
    ['kernelLens/indexStatus'] = function(_, p) if p.state == 'ready' then ready = true end end,
  },
}
local id
if vim.lsp.start then
  id = vim.lsp.start(config)
else
  id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, id)
end
vim.wait(60000, function() return ready end, 50)
table.insert(out, 'ready ' .. tostring(ready))
local lnum, col
for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
  local at = l:find('sock->ops->connect(sock, (struct sockaddr *)address', 1, true)
  if at then lnum, col = i, at + #'sock->ops->' - 1 break end
end
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = lnum - 1, character = col } }
for _, r in pairs(vim.lsp.buf_request_sync(buf, 'textDocument/definition', params, 30000) or {}) do
  for _, loc in ipairs(r.result or {}) do table.insert(out, 'definition ' .. loc.uri .. ':' .. loc.range.start.line) end
end
for _, r in pairs(vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 30000) or {}) do
  if r.result then table.insert(out, 'hover ' .. r.result.contents.value:gsub('\\n', ' ')) end
end
vim.fn.writefile(out, ${JSON.stringify(out)})
vim.lsp.stop_client(id)
vim.wait(5000, function() return vim.lsp.client_is_stopped(id) end, 50)
vim.cmd('qa!')
`;
}

void describe(
  'the standalone server in Neovim',
  { skip: nvim.status !== 0 ? 'nvim is not installed' : false, timeout: 120_000 },
  () => {
    void it('go to definition on sock->ops->connect lands on inet_stream_connect; the hover names the dispatch', () => {
      const lua = join(scratch, 'check.lua');
      const out = join(scratch, 'out.txt');
      writeFileSync(lua, script(embeddedRoot(), join(packageRoot(), 'dist', 'server.js'), out));
      const run = spawnSync('nvim', ['--headless', '--clean', '-c', `luafile ${lua}`], {
        env: { ...process.env, HOME: scratch, XDG_STATE_HOME: scratch, XDG_DATA_HOME: scratch },
        encoding: 'utf8',
        timeout: 110_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const lines = readFileSync(out, 'utf8').split('\n');
      assert.equal(lines[0], 'ready true');
      const def = lines.find((l) => l.startsWith('definition '));
      assert.ok(def, lines.join('\n'));
      const [uri, line] = def.slice('definition '.length).split(/:(?=\d+$)/);
      assert.ok(uri!.endsWith('/net/ipv4/af_inet.c'), uri);
      const text = readFileSync(join(embeddedRoot(), 'net/ipv4/af_inet.c'), 'utf8').split('\n')[
        Number(line)
      ];
      assert.match(text ?? '', /^int inet_stream_connect\(/);
      assert.ok(
        lines.some((l) =>
          l.includes('Dispatched via `inet_stream_ops.connect` to **inet_stream_connect**'),
        ),
        lines.join('\n'),
      );
    });
  },
);
