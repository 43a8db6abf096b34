// Timing check for the pipeline's algorithms: prints figures, asserts nothing about time (the
// file is not a *.test.ts, so the test runner does not pick it up). Run:
//   node --import tsx test/unit/cluster/timing.ts [path/to/rRNA16S.gold.fasta]
// The 16S part is skipped when the FASTA is not there (default: ../shared/data/dna beside the repo).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dbscanVectors } from '../../../server/engine/cluster/dbscanVectors';
import { kmerSets } from '../../../server/engine/features/kmers';
import { buildLshIndex, chooseLshParams, estimateFloor, filterPairsByEstimate, identityToJaccard, lshCandidatePairs } from '../../../server/engine/index/lsh';
import { createMinHashFamily, minhashSignatures } from '../../../server/engine/index/minhash';
import { gaussian, mulberry32 } from '../features/rng';

// Wall time and this process's CPU time: other work on a shared machine inflates the first,
// much less the second.
interface Took {
  wall: number;
  cpu: number;
}

function measure<T>(run: () => T): { took: Took; result: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = run();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { took: { wall, cpu: (c.user + c.system) / 1000 }, result };
}

function fmt(t: Took): string {
  return `${t.wall.toFixed(1)} ms (cpu ${t.cpu.toFixed(1)} ms)`;
}

function timeIt<T>(run: () => T, reps: number): { first: Took; best: Took; result: T } {
  const once = measure(run);
  let best = once.took;
  let result = once.result;
  for (let r = 1; r < reps; r++) {
    const again = measure(run);
    if (again.took.cpu < best.cpu) best = again.took;
    result = again.result;
  }
  return { first: once.took, best, result };
}

function dbscanTiming(): void {
  // make_blobs-like: 20 centres uniform in [−10, 10]², unit standard deviation, 5,000 points each.
  const rng = mulberry32(2024);
  const n = 100_000;
  const centres = Array.from({ length: 20 }, () => [rng() * 20 - 10, rng() * 20 - 10]);
  const points = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = centres[i % 20];
    points[2 * i] = c[0] + gaussian(rng);
    points[2 * i + 1] = c[1] + gaussian(rng);
  }
  console.log('DBSCAN grid, 100,000 2-D points in 20 Gaussian blobs (anchor: scikit-learn 1.06 s)');
  for (const [eps, minPts] of [[0.3, 10], [0.5, 5], [0.1, 5], [0.03, 5], [1, 20]]) {
    const { first, best, result } = timeIt(() => dbscanVectors(points, 2, { eps, minPts }), 5);
    let clusters = 0;
    let noise = 0;
    for (const l of result) {
      if (l + 1 > clusters) clusters = l + 1;
      if (l < 0) noise++;
    }
    console.log(`  eps ${eps}, minPts ${minPts}: first run ${fmt(first)}, best of 5 ${fmt(best)} — ${clusters} clusters, ${noise} noise`);
  }
}

function readFasta(file: string): Uint8Array[] {
  const seqs: Uint8Array[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0) seqs.push(new TextEncoder().encode(current.join('').toUpperCase()));
    current = [];
  };
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    if (line.startsWith('>')) flush();
    else current.push(line.trim());
  }
  flush();
  return seqs;
}

function lshTiming(file: string): void {
  const seqs = readFasta(file);
  console.log(`16S gold: ${seqs.length} sequences from ${file}`);
  const kmers = measure(() => kmerSets(seqs, { k: 15 }));
  const sets = kmers.result;
  console.log(`  canonical 15-mer sets, sorted and distinct: ${fmt(kmers.took)} (${sets.values.length} hashes in all)`);
  const raw = measure(() => kmerSets(seqs, { k: 15, distinct: false }));
  console.log(`  canonical 15-mer hashes, raw (distinct: false): ${fmt(raw.took)}`);
  const m = 128;
  const family = createMinHashFamily(m);
  const signing = measure(() => minhashSignatures(family, sets));
  const sigs = signing.result;
  console.log(`  MinHash, ${m} hashes: ${fmt(signing.took)}`);
  for (const identity of [0.97, 0.93]) {
    const t = identityToJaccard(identity, 15);
    const choice = chooseLshParams(t, m);
    const { first, best, result } = timeIt(() => lshCandidatePairs(buildLshIndex(sigs, m, choice)), 3);
    const s = result.stats;
    console.log(
      `  identity ${identity} → Jaccard ${t.toFixed(3)} → ${choice.bands} bands × ${choice.rows} rows (P at t ${choice.recallAtThreshold.toFixed(2)}): ` +
        `index + candidates first ${fmt(first)}, best of 3 ${fmt(best)} — ${s.pairs} pairs of ${(seqs.length * (seqs.length - 1)) / 2} ` +
        `(${s.rawPairs} visited, largest bucket ${s.largestBucket}, ${s.cappedBuckets} capped)`,
    );
    const floor = estimateFloor(t, m);
    const filtered = measure(() => filterPairsByEstimate(result, sigs, m, floor));
    console.log(`    kept by MinHash estimate ≥ ${floor.toFixed(3)}: ${filtered.result.stats.pairs} pairs, ${fmt(filtered.took)}`);
  }
}

dbscanTiming();
const fasta = process.argv[2] ?? path.resolve(__dirname, '../../../../shared/data/dna/rRNA16S.gold.fasta');
if (existsSync(fasta)) lshTiming(fasta);
else console.log(`16S timing skipped: ${fasta} not found`);
