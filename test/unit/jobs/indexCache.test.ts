/**
 * The index cache (server/jobs/indexCache.ts): entries round-trip; writes are atomic (a temp file
 * renamed into place, none left behind, concurrent writers never leave a half file); an entry of
 * another format version, for another key, truncated or corrupted reads as absent — and a
 * corrupt file is removed so the next save starts clean.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { INDEX_FORMAT_VERSION, IndexCache, indexKey } from '../../../server/jobs/indexCache';
import { hashFile } from '../../../server/worker/contentHash';

let root: string;
let counter = 0;
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'simlab-index-cache-test-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh cache in its own (not yet existing) folder. */
function freshCache(): IndexCache {
  return new IndexCache(path.join(root, `cache-${counter++}`, 'nested'));
}

function data(n: number, seed = 1): Uint32Array {
  const out = new Uint32Array(n);
  let x = seed >>> 0;
  for (let t = 0; t < n; t++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[t] = x;
  }
  return out;
}

const KEY = indexKey('c0ffee', { k: 15, numHashes: 128, seed: 7 });
const fileOf = (cache: IndexCache, key = KEY) => path.join(cache.dir, `${key}.slix`);
const listing = (cache: IndexCache) => readdirSync(cache.dir).sort();

void describe('IndexCache', () => {
  void test('save then load returns the header and the data; a missing entry is absent', async () => {
    const cache = freshCache();
    assert.equal(await cache.load(KEY), undefined, 'nothing saved yet (the folder does not even exist)');
    for (const [n, header] of [[0, { n: 0 }], [1, { n: 1, note: 'é ünïcode' }], [4097, { n: 4097, numHashes: 128, file: '/a/b.fasta' }]] as const) {
      const key = indexKey(`hash-${n}`, { n });
      const payload = data(n, n + 1);
      await cache.save(key, header, payload);
      const loaded = await cache.load<typeof header>(key);
      assert.ok(loaded, `entry of ${n} words`);
      assert.deepEqual(loaded.data, payload);
      for (const [k, v] of Object.entries(header)) assert.deepEqual((loaded.header as Record<string, unknown>)[k], v);
    }
  });

  void test('a view into a larger buffer saves only its own words', async () => {
    const cache = freshCache();
    const big = data(100);
    await cache.save(KEY, {}, big.subarray(10, 20));
    assert.deepEqual((await cache.load(KEY))?.data, big.slice(10, 20));
  });

  void test('data in shared memory (where the signatures and features live) saves and loads alike', async () => {
    const cache = freshCache();
    const shared = new Uint32Array(new SharedArrayBuffer(4 * 300));
    shared.set(data(300));
    await cache.save(KEY, { n: 300 }, shared.subarray(5, 250));
    assert.deepEqual((await cache.load(KEY))?.data, data(300).slice(5, 250));
  });

  void test('save replaces an entry and leaves no temp files, also with concurrent writers of one key', async () => {
    const cache = freshCache();
    await cache.save(KEY, { v: 1 }, data(1000, 1));
    await cache.save(KEY, { v: 2 }, data(1000, 2));
    assert.deepEqual((await cache.load<{ v: number }>(KEY))?.header.v, 2);
    assert.deepEqual(listing(cache), [`${KEY}.slix`]);

    // Two jobs on one file (say, cluster and find-similar) save the same entry at the same moment:
    // within one clock tick (the clock is held still so that this is so on every run).
    const realNow = Date.now;
    Date.now = () => 1_800_000_000_000;
    let settled: PromiseSettledResult<void>[];
    try {
      settled = await Promise.allSettled(Array.from({ length: 6 }, (_, w) => cache.save(KEY, { v: 10 + w }, data(50_000, 10 + w))));
    } finally {
      Date.now = realNow;
    }
    for (const s of settled) assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
    const loaded = await cache.load<{ v: number }>(KEY);
    assert.ok(loaded, 'a whole entry is there');
    assert.deepEqual(loaded.data, data(50_000, loaded.header.v), 'header and payload come from the same writer');
    assert.deepEqual(listing(cache), [`${KEY}.slix`], 'no temp files left');
  });

  void test('a reader racing writers sees the old entry or a whole new one, never a half file', async () => {
    const cache = freshCache();
    await cache.save(KEY, { v: 0 }, data(200_000, 0));
    const reads: Promise<void>[] = [];
    const writes: Promise<void>[] = [];
    for (let w = 1; w <= 4; w++) {
      writes.push(cache.save(KEY, { v: w }, data(200_000, w)));
      reads.push(
        cache.load<{ v: number }>(KEY).then((got) => {
          assert.ok(got, 'never absent: the old file stays until the new one replaces it');
          assert.deepEqual(got.data, data(200_000, got.header.v));
        }),
      );
    }
    await Promise.all([...writes, ...reads]);
    assert.deepEqual(listing(cache), [`${KEY}.slix`]);
  });

  void test('another format version is absent', async () => {
    const cache = freshCache();
    await cache.save(KEY, {}, data(16));
    const file = fileOf(cache);
    const bytes = readFileSync(file);
    assert.equal(bytes.readUInt32LE(4), INDEX_FORMAT_VERSION);
    bytes.writeUInt32LE(INDEX_FORMAT_VERSION + 1, 4);
    writeFileSync(file, bytes);
    assert.equal(await cache.load(KEY), undefined);
    // A new save replaces it.
    await cache.save(KEY, {}, data(16));
    assert.deepEqual((await cache.load(KEY))?.data, data(16));
  });

  void test('an entry saved under another key is absent (and removed)', async () => {
    const cache = freshCache();
    const other = indexKey('c0ffee', { k: 15, numHashes: 128, seed: 8 });
    assert.notEqual(other, KEY, 'the key depends on the parameters');
    assert.notEqual(indexKey('c0ffef', { k: 15, numHashes: 128, seed: 7 }), KEY, 'the key depends on the content hash');
    assert.equal(indexKey('c0ffee', { seed: 7, numHashes: 128, k: 15 }), KEY, 'the key does not depend on the order of the parameters');
    await cache.save(other, {}, data(16));
    // The file of `other` put where KEY's entry belongs (a renamed or copied file).
    writeFileSync(fileOf(cache), readFileSync(fileOf(cache, other)));
    assert.equal(await cache.load(KEY), undefined);
    assert.ok(!existsSync(fileOf(cache)), 'removed');
    assert.ok(await cache.load(other), 'the right entry is untouched');
  });

  /** Each way of damaging a saved file; every one must read as absent and be removed. */
  const damages: [string, (bytes: Buffer) => Buffer][] = [
    ['empty file', () => Buffer.alloc(0)],
    ['cut inside the prefix', (b) => b.subarray(0, 7)],
    ['cut inside the JSON header', (b) => b.subarray(0, 20)],
    ['cut inside the payload, at a word boundary', (b) => b.subarray(0, b.length - 400)],
    ['cut inside the payload, mid-word', (b) => b.subarray(0, b.length - 3)],
    ['extra bytes after the payload', (b) => Buffer.concat([b, Buffer.alloc(8)])],
    ['bad magic', (b) => Buffer.concat([Buffer.from('XXXX'), b.subarray(4)])],
    ['header length past the end', (b) => { const c = Buffer.from(b); c.writeUInt32LE(0xfffffff0, 8); return c; }],
    ['garbage in the JSON header', (b) => { const c = Buffer.from(b); c[12] = 0x7e; return c; }],
    ['a flipped bit in the payload', (b) => { const c = Buffer.from(b); c[c.length - 100] ^= 0x10; return c; }],
    ['a zeroed block of the payload', (b) => { const c = Buffer.from(b); c.fill(0, c.length - 800, c.length - 400); return c; }],
  ];
  for (const [what, damage] of damages) {
    void test(`a damaged file is absent and removed: ${what}`, async () => {
      const cache = freshCache();
      await cache.save(KEY, { n: 500 }, data(500));
      const file = fileOf(cache);
      writeFileSync(file, damage(readFileSync(file)));
      assert.equal(await cache.load(KEY), undefined);
      assert.ok(!existsSync(file), 'the corrupt file is removed');
      await cache.save(KEY, { n: 500 }, data(500));
      assert.deepEqual((await cache.load(KEY))?.data, data(500), 'and rebuilt by the next save');
    });
  }

  void test('hashFile is the SHA-256 of the bytes', async () => {
    const file = path.join(root, 'content.txt');
    writeFileSync(file, 'ACGT\n');
    assert.equal(await hashFile(file), createHash('sha256').update('ACGT\n').digest('hex'));
  });
});
