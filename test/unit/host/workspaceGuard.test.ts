/**
 * The workspace guard: a file is inside a workspace folder only once links are resolved on both
 * sides; `..`, links out of a folder (to a file or a folder), and new paths under such a link are
 * outside; a folder that is itself a link still holds its files.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { resolveLinks, workspaceFolderOf } from '../../../server/host/workspaceGuard';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'simlab-guard-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

void test('workspaceFolderOf: links resolved on both sides; new paths through their nearest existing folder', async () => {
  const ws = path.join(tmp, 'ws');
  const outside = path.join(tmp, 'outside');
  mkdirSync(path.join(ws, 'data'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(ws, 'data', 'a.fasta'), '>a\nACGT\n');
  writeFileSync(path.join(outside, 'secret'), 'x');
  symlinkSync(path.join(outside, 'secret'), path.join(ws, 'link-out'));
  symlinkSync(outside, path.join(ws, 'folder-out'));
  symlinkSync(path.join(ws, 'data', 'a.fasta'), path.join(ws, 'link-in'));
  symlinkSync(ws, path.join(tmp, 'ws-link'));
  writeFileSync(path.join(tmp, 'ws-sibling'), 'x'); // shares the folder's name as a prefix

  const folders = [ws];
  assert.equal(await workspaceFolderOf(path.join(ws, 'data', 'a.fasta'), folders), ws);
  assert.equal(await workspaceFolderOf(ws, folders), ws);
  assert.equal(await workspaceFolderOf(path.join(ws, 'link-in'), folders), ws);
  assert.equal(await workspaceFolderOf(path.join(ws, 'data', 'not-yet', 'new.tsv'), folders), ws);
  for (const file of [path.join(ws, '..', 'outside', 'secret'), path.join(ws, 'link-out'), path.join(ws, 'folder-out', 'secret'), path.join(ws, 'folder-out', 'new-file'), path.join(tmp, 'ws-sibling'), '/etc/passwd']) {
    assert.equal(await workspaceFolderOf(file, folders), undefined, file);
  }
  // A workspace folder opened through a link holds the same files, by either name.
  assert.equal(await workspaceFolderOf(path.join(ws, 'data', 'a.fasta'), [path.join(tmp, 'ws-link')]), path.join(tmp, 'ws-link'));
  assert.equal(await workspaceFolderOf(path.join(tmp, 'ws-link', 'link-out'), [path.join(tmp, 'ws-link')]), undefined);
  assert.equal(await workspaceFolderOf(path.join(ws, 'data', 'a.fasta'), []), undefined);
  assert.equal(await resolveLinks(path.join(ws, 'folder-out', 'x', 'y')), path.join(outside, 'x', 'y'));
});
