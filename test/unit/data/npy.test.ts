import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { datasetFolderOfImage } from '../../../server/engine/data/imageFolder';
import { readVectorDataset, vectorFormatOf } from '../../../server/engine/data/vectorDataset';
import { rowOf } from '../../../server/engine/data/vectors';
import { expectParseError, fixture, tempDir } from './helpers';

/** A .npy file as numpy writes it (version 1, header padded to 64 bytes), or version 2. */
function npy(descr: string, shape: number[], body: Uint8Array, opts: { fortran?: boolean; version?: 1 | 2 } = {}): Buffer {
  const version = opts.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const p = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(p);
  if (version === 1) p.writeUInt16LE(header.length, 8);
  else p.writeUInt32LE(header.length, 8);
  return Buffer.concat([p, Buffer.from(header, 'latin1'), body]);
}
const f32 = (v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
const f64 = (v: number[]): Uint8Array => new Uint8Array(Float64Array.from(v).buffer);
const headerBytes = (shape: number[]): number => npy('<f4', shape, new Uint8Array(0)).length;

void test('npy: rank 2 vectors, rank 3 grey images, rank 4 volumes; f4, f8, u1; v2 header; gzip; limit', async () => {
  const t = tempDir();
  try {
    const vec = t.write('v.npy', npy('<f4', [3, 2], f32([1, 2, 3, 4, 5, 6.5])));
    assert.equal(await vectorFormatOf(vec), 'npy');
    const v = await readVectorDataset(vec);
    assert.equal(v.kind, 'table');
    assert.deepEqual(v.shape, [2]);
    assert.deepEqual(Array.from(rowOf(v, 2)), [5, 6.5]);
    assert.deepEqual(v.records.map((r) => r.id), ['0', '1', '2']);
    const limited = await readVectorDataset(vec, { limit: 2 });
    assert.deepEqual(Array.from(limited.data), [1, 2, 3, 4]);
    const img = await readVectorDataset(t.write('i.npy.gz', gzipSync(npy('|u1', [2, 2, 3], Uint8Array.of(0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255)))));
    assert.equal(img.kind, 'image');
    assert.deepEqual(img.shape, [2, 3, 1]);
    assert.deepEqual(Array.from(rowOf(img, 1)), [250, 251, 252, 253, 254, 255]);
    const vol = await readVectorDataset(t.write('w.npy', npy('<f8', [1, 2, 1, 2], f64([0.25, -1, 1e-300, 7]), { version: 2 })));
    assert.equal(vol.kind, 'volume');
    assert.deepEqual(vol.shape, [2, 1, 2]);
    assert.deepEqual(Array.from(vol.data), [0.25, -1, 0, 7]);
  } finally {
    t.cleanup();
  }
});

void test('npy: a file written by numpy itself (when python3 with numpy is installed)', async (ctx) => {
  const t = tempDir();
  try {
    const p = path.join(t.dir, 'np.npy');
    const r = spawnSync('/usr/bin/python3', ['-c', `import numpy as np; np.save(${JSON.stringify(p)}, np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4)`]);
    if (r.status !== 0) return ctx.skip('python3 with numpy not available');
    const d = await readVectorDataset(p);
    assert.deepEqual(d.shape, [3, 4, 1]);
    assert.deepEqual(Array.from(d.data), Array.from({ length: 24 }, (_, i) => i / 4));
  } finally {
    t.cleanup();
  }
});

void test('npy: unsupported layouts, truncation, trailing bytes and NaN are ParseErrors at the byte', async () => {
  const t = tempDir();
  try {
    const fortran = t.write('fortran.npy', npy('<f4', [2, 2], f32([1, 2, 3, 4]), { fortran: true }));
    // The header starts at byte 10; 'fortran_order' is at offset 17 of it.
    await expectParseError(() => readVectorDataset(fortran), fortran, { line: 1, column: 10 + 17 + 1, reason: /fortran_order True is not supported/, field: 'fortran_order' });
    const big = t.write('big.npy', npy('>f4', [1, 1], f32([1])));
    await expectParseError(() => readVectorDataset(big), big, { line: 1, column: 12, reason: /dtype '>f4' is not supported: big-endian/, field: 'descr' });
    const ints = t.write('ints.npy', npy('<i8', [1, 1], new Uint8Array(8)));
    await expectParseError(() => readVectorDataset(ints), ints, { line: 1, column: 12, reason: /dtype '<i8' is not supported: only float32/, field: 'descr' });
    const rank1 = t.write('rank1.npy', npy('<f4', [3], f32([1, 2, 3])));
    await expectParseError(() => readVectorDataset(rank1), rank1, { line: 1, column: 1, reason: /shape \(3\): rank 1/, field: 'shape' });
    const magic = t.write('magic.npy', Buffer.from('not numpy at all'));
    await expectParseError(() => readVectorDataset(magic), magic, { line: 1, column: 1, reason: /wrong magic number: not a .npy file/ });
    const full = npy('<f4', [3, 2], f32([1, 2, 3, 4, 5, 6]));
    const h = headerBytes([3, 2]);
    const cut = t.write('cut.npy', full.subarray(0, h + 4 * 3 + 2));
    await expectParseError(() => readVectorDataset(cut), cut, { line: 1, column: h + 14 + 1, reason: /truncated .npy file: the header announces shape \(3, 2\) of float32 \(\d+ bytes\).*in record 1/ });
    const long = t.write('long.npy', Buffer.concat([full, Buffer.alloc(3)]));
    await expectParseError(() => readVectorDataset(long), long, { line: 1, column: full.length + 1, reason: /3 bytes after the data of shape \(3, 2\)/ });
    const nan = t.write('nan.npy', npy('<f4', [3, 2], f32([1, 2, 3, NaN, 5, 6])));
    await expectParseError(() => readVectorDataset(nan), nan, { line: 1, column: h + 12 + 1, reason: /NaN in record 1 \(value 1\)/ });
    const inf = t.write('inf.npy', npy('<f8', [1, 2], f64([1, Infinity])));
    await expectParseError(() => readVectorDataset(inf), inf, { line: 1, column: h + 8 + 1, reason: /an infinite value in record 0 \(value 1\)/ });
    const noShape = t.write('noshape.npy', Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 20, 0]), Buffer.from("{'descr': '<f4'}   \n")]));
    await expectParseError(() => readVectorDataset(noShape), noShape, { line: 1, column: 11, reason: /no readable 'fortran_order'/ });
  } finally {
    t.cleanup();
  }
});

void test('volume folder: rank-3 .npy files in class folders, ids relative, sorted', async () => {
  const dir = fixture('volumes');
  assert.equal(await vectorFormatOf(dir), 'volume-folder');
  const d = await readVectorDataset(dir);
  assert.equal(d.kind, 'volume');
  assert.equal(d.format, 'volume-folder');
  assert.deepEqual(d.shape, [6, 6, 6]);
  assert.deepEqual(d.records.map((r) => [r.id, r.label]), [
    ['ball/r2.npy', 'ball'],
    ['ball/r3.npy', 'ball'],
    ['cube/h1.npy', 'cube'],
    ['cube/h2.npy', 'cube'],
  ]);
  assert.equal(d.records[1]!.file, path.join(dir, 'ball', 'r3.npy'));
  // make-volumes.mjs: value = inside + voxel index / 1000; voxel (2, 2, 2) is inside every shape.
  const at = (i: number, z: number, y: number, x: number): number => d.data[i * 216 + z * 36 + y * 6 + x]!;
  assert.equal(at(0, 2, 2, 2), Math.fround(1 + (2 * 36 + 2 * 6 + 2) / 1000));
  assert.equal(at(0, 0, 0, 0), 0);
  assert.equal(at(1, 0, 0, 0), 0);
  assert.equal(at(3, 0, 0, 0), 1);
  assert.equal(await datasetFolderOfImage(path.join(dir, 'cube', 'h1.npy')), dir);
  assert.equal((await readVectorDataset(dir, { limit: 3 })).records.length, 3);
});

void test('volume folder: a volume of another shape or rank is a ParseError naming its file', async () => {
  const t = tempDir();
  try {
    mkdirSync(path.join(t.dir, 'a'));
    t.write('a/1.npy', npy('<f4', [1, 1, 2], f32([1, 2])));
    t.write('a/2.npy', npy('<f4', [1, 2, 1], f32([1, 2])));
    await expectParseError(() => readVectorDataset(t.dir), `${t.dir}/a/2.npy`, { line: 1, column: 1, reason: /differs from the shape \(1, 1, 2\) of a\/1.npy/, field: 'shape' });
    t.write('a/2.npy', npy('<f4', [2, 1], f32([1, 2])));
    await expectParseError(() => readVectorDataset(t.dir), `${t.dir}/a/2.npy`, { line: 1, column: 1, reason: /a volume is rank 3/, field: 'shape' });
    assert.ok(existsSync(path.join(t.dir, 'a', '1.npy')));
  } finally {
    t.cleanup();
  }
});
