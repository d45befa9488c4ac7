import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkHostPathType, hostPathTypeDecision, pathKind } from './host-path.js';

describe('hostPath type decisions', () => {
  it('checks each type with upstream messages', () => {
    assert.deepEqual(hostPathTypeDecision('/x', 'Directory', 'file'), { error: 'hostPath type check failed: /x is not a directory' });
    assert.deepEqual(hostPathTypeDecision('/x', 'Directory', 'missing'), { error: 'hostPath type check failed: /x is not a directory' });
    assert.deepEqual(hostPathTypeDecision('/x', 'DirectoryOrCreate', 'missing'), { create: 'directory' });
    assert.deepEqual(hostPathTypeDecision('/x', 'DirectoryOrCreate', 'file'), { error: 'hostPath type check failed: /x is not a directory' });
    assert.deepEqual(hostPathTypeDecision('/x', 'File', 'directory'), { error: 'hostPath type check failed: /x is not a file' });
    assert.deepEqual(hostPathTypeDecision('/x', 'FileOrCreate', 'missing'), { create: 'file' });
    assert.deepEqual(hostPathTypeDecision('/x', 'FileOrCreate', 'directory'), { error: 'hostPath type check failed: /x is not a file' });
    assert.deepEqual(hostPathTypeDecision('/x', 'Socket', 'file'), { error: 'hostPath type check failed: /x is not a socket file' });
    assert.deepEqual(hostPathTypeDecision('/x', 'CharDevice', 'file'), { error: 'hostPath type check failed: /x is not a character device' });
    assert.deepEqual(hostPathTypeDecision('/x', 'BlockDevice', 'char-device'), { error: 'hostPath type check failed: /x is not a block device' });
    assert.deepEqual(hostPathTypeDecision('/x', '', 'missing'), { ok: true });
    assert.deepEqual(hostPathTypeDecision('/x', 'Socket', 'socket'), { ok: true });
  });
});

describe('hostPath checks on disk', () => {
  let tmp: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'capstan-hp-'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('creates directories and files for the OrCreate types', async () => {
    const d = path.join(tmp, 'a/b');
    assert.equal(await checkHostPathType(d, 'DirectoryOrCreate'), undefined);
    assert.equal(await pathKind(d), 'directory');
    const f = path.join(tmp, 'f');
    assert.equal(await checkHostPathType(f, 'FileOrCreate'), undefined);
    assert.equal(await pathKind(f), 'file');
    assert.equal(await checkHostPathType(f, 'Directory'), `hostPath type check failed: ${f} is not a directory`);
  });

  it('recognises sockets and character devices', async () => {
    const sock = path.join(tmp, 's.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      assert.equal(await checkHostPathType(sock, 'Socket'), undefined);
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.equal(await checkHostPathType('/dev/null', 'CharDevice'), undefined);
  });
});
