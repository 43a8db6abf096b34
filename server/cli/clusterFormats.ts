/**
 * Sequence clusters in the formats other tools read: our TSV with representatives, vsearch and
 * USEARCH `.uc`, cd-hit `.clstr`, mmseqs2's cluster TSV, and a FASTA of the representatives
 * (centroids) with `;size=N`. Pure functions of the clustering; the command writes their text.
 *
 * Decisions:
 * - Our TSV and JSON keep DBSCAN's noise: a noise row has an empty representative and identity.
 * - The other formats have no noise (vsearch and cd-hit put every record in a cluster), so there
 *   a noise record is a cluster of one, its own representative, and every input record appears
 *   once. Clusters are numbered 0, 1, ... in the order of the summary (largest first, ties by
 *   label), then the noise records in file order.
 * - `.uc` H records carry '*' for the alignment (column 8): the identity is computed, the
 *   alignment is not kept. Strand is '+' for sequences ('.' for text, as for proteins).
 * - Centroid sizes add up the members' own `;size=N` when the ids carry them (as vsearch
 *   --sizeout does), else count members; an id's old `;size=N` is replaced.
 */
import { abundanceOf } from '../engine/cluster/representatives';
import { summarizeClusters } from '../engine/cluster/summary';
import { tsvField } from './tsv';

export interface ClusterTable {
  readonly ids: readonly string[];
  readonly lengths: ArrayLike<number>;
  readonly labels: Int32Array;
  /** Per record: its representative's record index, −1 for noise. */
  readonly representative: Int32Array;
  /** Per record: identity to the representative (NaN for noise). */
  readonly identity: Float32Array;
  /** 'sequence' (DNA) or 'text'. */
  readonly kind: 'sequence' | 'text';
}

/** A cluster as the exported formats number it: its representative first among the members. */
export interface ExportedCluster {
  readonly representative: number;
  /** Record indices, the representative first, then the others in file order. */
  readonly members: readonly number[];
}

/** The clusters the exported formats list (see the file comment: noise records are clusters of one). */
export function exportedClusters(table: ClusterTable): ExportedCluster[] {
  const summary = summarizeClusters(table.labels);
  const out: ExportedCluster[] = [];
  for (const c of summary.clusters) {
    const rep = table.representative[c.members[0] as number] as number;
    out.push({ representative: rep, members: [rep, ...c.members.filter((m) => m !== rep)] });
  }
  for (const m of summary.noise) out.push({ representative: m, members: [m] });
  return out;
}

function identityText(identity: number, digits: number): string {
  return (identity * 100).toFixed(digits);
}

/** `record_id<TAB>cluster<TAB>representative<TAB>identity`, one row per record in file order; noise: −1 and two empty fields. */
export function formatTsv(table: ClusterTable): string {
  const lines = ['record_id\tcluster\trepresentative\tidentity'];
  for (let r = 0; r < table.ids.length; r++) {
    const rep = table.representative[r] as number;
    const id = table.identity[r] as number;
    lines.push(`${tsvField(table.ids[r] as string)}\t${table.labels[r]}\t${rep >= 0 ? tsvField(table.ids[rep] as string) : ''}\t${rep >= 0 && id === id ? id.toFixed(4) : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * vsearch/USEARCH `.uc`: ten tab-separated columns — type, cluster number, length (S, H) or size
 * (C), % identity (H), strand (H), two unused, alignment (H), query label, target label (H).
 * One S and one C record per cluster, one H record per other member.
 */
export function formatUc(table: ClusterTable): string {
  const strand = table.kind === 'sequence' ? '+' : '.';
  const label = (r: number): string => tsvField(table.ids[r] as string);
  const lines: string[] = [];
  const clusters = exportedClusters(table);
  clusters.forEach((c, n) => {
    lines.push(['S', n, table.lengths[c.representative], '*', '*', '*', '*', '*', label(c.representative), '*'].join('\t'));
    for (const m of c.members.slice(1)) {
      lines.push(['H', n, table.lengths[m], identityText(table.identity[m] as number, 1), strand, 0, 0, '*', label(m), label(c.representative)].join('\t'));
    }
  });
  clusters.forEach((c, n) => lines.push(['C', n, c.members.length, '*', '*', '*', '*', '*', label(c.representative), '*'].join('\t')));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * cd-hit `.clstr`: a `>Cluster N` line per cluster, then one line per member —
 * `k<TAB>LENnt, >ID... *` for the representative, `k<TAB>LENnt, >ID... at +/97.50%` for the others.
 */
export function formatClstr(table: ClusterTable): string {
  const unit = table.kind === 'sequence' ? 'nt' : 'aa';
  const strand = table.kind === 'sequence' ? '+/' : '';
  const lines: string[] = [];
  exportedClusters(table).forEach((c, n) => {
    lines.push(`>Cluster ${n}`);
    c.members.forEach((m, k) => {
      const head = `${k}\t${table.lengths[m]}${unit}, >${tsvField(table.ids[m] as string)}...`;
      lines.push(k === 0 ? `${head} *` : `${head} at ${strand}${identityText(table.identity[m] as number, 2)}%`);
    });
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** mmseqs2's cluster TSV (createtsv): `representative<TAB>member`, one line per member, the representative's own line first. */
export function formatMmseqs(table: ClusterTable): string {
  const lines: string[] = [];
  for (const c of exportedClusters(table)) {
    const rep = tsvField(table.ids[c.representative] as string);
    for (const m of c.members) lines.push(`${rep}\t${tsvField(table.ids[m] as string)}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

const SIZE_ANNOTATION = /;size=\d+;?/g;

/** FASTA of the representatives, one per exported cluster, `>ID;size=N` then the sequence on one line. */
export function formatCentroids(table: ClusterTable, sequenceOf: (record: number) => string): string {
  const hasSizes = table.ids.some((id) => /;size=\d+/.test(id));
  const lines: string[] = [];
  for (const c of exportedClusters(table)) {
    const size = hasSizes ? c.members.reduce((s, m) => s + abundanceOf(table.ids[m] as string), 0) : c.members.length;
    const id = (table.ids[c.representative] as string).replace(SIZE_ANNOTATION, ';').replace(/;+$/, '');
    lines.push(`>${id};size=${size}`, sequenceOf(c.representative));
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
