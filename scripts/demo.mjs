// `npm run demo`: clusters the bundled 16S sample (276 real 16S rRNA genes of 20 genera, from the
// RDP gold set) with the simlab CLI, writes the TSV, and prints a readable summary: the largest
// clusters with the genera of their members, and the scores against the genus labels; then
// writes the embedding map of the sample as a self-contained page.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sample = path.join(root, 'test/fixtures/dna/16S-sample.fasta');
const outDir = path.join(root, 'demo-output');
const tsv = path.join(outDir, '16S-sample.clusters.tsv');
const cli = path.join(root, 'dist/cli.js');
// The genus is the first word of the last ';' field of the tab-separated lineage.
const genusRegex = ';\\s*([^;\\s]+)[^;]*$';
const threshold = '0.95';

mkdirSync(outDir, { recursive: true });
const run = (args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

console.log(`Clustering ${path.relative(root, sample)} at ${threshold} identity (MinHash + LSH + exact identities + DBSCAN)…`);
run(['cluster', sample, '--threshold', threshold, '--out', tsv]);

const genus = new Map();
for (const line of readFileSync(sample, 'utf8').split('\n')) {
  if (!line.startsWith('>')) continue;
  const id = line.slice(1).split(/\s/)[0];
  const m = new RegExp(genusRegex).exec(line);
  genus.set(id, m ? m[1] : '?');
}
const members = new Map();
for (const line of readFileSync(tsv, 'utf8').trim().split('\n').slice(1)) {
  const [id, cluster] = line.split('\t');
  if (!members.has(cluster)) members.set(cluster, []);
  members.get(cluster).push(id);
}
const noise = members.get('-1') ?? [];
members.delete('-1');
const clusters = [...members.entries()].sort((a, b) => b[1].length - a[1].length || Number(a[0]) - Number(b[0]));

console.log(`\n${genus.size} records → ${clusters.length} clusters, ${noise.length} unclustered (noise)\n`);
console.log('cluster  size  genera of the members');
for (const [id, ids] of clusters.slice(0, 15)) {
  const counts = new Map();
  for (const m of ids) counts.set(genus.get(m), (counts.get(genus.get(m)) ?? 0) + 1);
  const text = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([g, c]) => `${g} ×${c}`).join(', ');
  console.log(`${id.padStart(7)}  ${String(ids.length).padStart(4)}  ${text}`);
}
if (clusters.length > 15) console.log(`    … and ${clusters.length - 15} smaller clusters`);

console.log('\nAgreement with the genus labels:');
process.stdout.write(run(['eval', sample, '--clusters', tsv, '--label-regex', genusRegex]));
console.log(`\nWrote ${path.relative(process.cwd(), tsv)} (record_id<TAB>cluster, noise = -1).`);

// The embedding map of the sample (4-mer profiles → UMAP), as a page that opens without a network.
const map = path.join(outDir, '16S-sample.map.html');
console.log('\nMapping the sample (4-mer profiles → StandardScaler → kNN → UMAP → DBSCAN on the map)…');
execFileSync(process.execPath, [cli, 'embed', sample, '--label-regex', genusRegex, '--out', map], { stdio: ['ignore', 'inherit', 'inherit'] });
console.log(`Open ${path.relative(process.cwd(), map)} in a browser: hover a point for its record, colour by cluster or genus.`);
