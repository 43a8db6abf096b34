/**
 * From a decoded map to what the scatter plot draws: coordinates fitted into [-1, 1] (the plot
 * wants normalised device coordinates) and one category index per point for each colour mode,
 * with its legend. Category 0 is always the grey one: noise, or no label.
 */

/** Normalised device coordinates: centred, one scale for both axes (the map's shape is kept), a small margin. */
export function fitToView(xy: Float32Array): { x: Float32Array; y: Float32Array } {
  const n = xy.length / 2;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const px = xy[2 * i]!;
    const py = xy[2 * i + 1]!;
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
  }
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY) / 2;
  const scale = half > 0 ? 0.92 / half : 1;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (xy[2 * i]! - cx) * scale;
    y[i] = (xy[2 * i + 1]! - cy) * scale;
  }
  return { x, y };
}

/**
 * The camera distance that shows all of [−1, 1]² (where fitToView puts the map) in a plot of
 * this size: regl-scatterplot shows y in [−d, d] and x in [−d·w/h, d·w/h] at distance d, so a
 * plot narrower than tall (a map beside an editor) needs d = h/w, else its sides are cut off.
 */
export function fitDistance(width: number, height: number): number {
  return width > 0 && height > width ? height / width : 1;
}

export interface LegendEntry {
  /** The category index points carry (0 = grey). */
  category: number;
  name: string;
  count: number;
  /** The "other" group: the names of the categories it holds (largest first). */
  members?: string[];
}

export interface Categories {
  /** Category per point. */
  index: Float32Array;
  /** Entries by category, grey first when any point is grey, then by size (largest first). */
  legend: LegendEntry[];
}

/** Clusters by size, largest first, as categories 1…; noise (-1) is category 0. */
export function clusterCategories(clusters: readonly number[] | undefined, n: number): Categories {
  return categorise(
    n,
    (i) => {
      const c = clusters?.[i];
      return c === undefined || c < 0 ? undefined : c;
    },
    (c) => `cluster ${c}`,
    'noise',
  );
}

/** Labels by frequency, most frequent first, as categories 1…; no label is category 0. */
export function labelCategories(labels: readonly (string | null)[] | undefined, n: number): Categories {
  return categorise(n, (i) => labels?.[i] ?? undefined, (label) => label, 'no label');
}

/** Keys are counted as they are (numbers stay numbers: no string per point for 100,000 points). */
function categorise<K extends string | number>(n: number, keyOf: (i: number) => K | undefined, nameOf: (key: K) => string, greyName: string): Categories {
  const counts = new Map<K, number>();
  let grey = 0;
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    if (k === undefined) grey++;
    else counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  // Ties keep first-seen order (Map order; sort is stable): the same input always colours the same way.
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const categoryOf = new Map<K, number>(ranked.map(([k], r) => [k, r + 1]));
  const index = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    index[i] = k === undefined ? 0 : categoryOf.get(k)!;
  }
  const legend: LegendEntry[] = ranked.map(([key, count], r) => ({ category: r + 1, name: nameOf(key), count }));
  if (grey > 0) legend.unshift({ category: 0, name: greyName, count: grey });
  return { index, legend };
}

/**
 * How many of the largest categories get a colour of their own: the Tableau hues but its grey.
 * Past a dozen, hues cannot be told apart on a map (golden-angle hues repeat to the eye), so the
 * rest share one "other" category drawn in Tableau's warm grey, lighter than the noise grey.
 */
export const TOP_CATEGORIES = 9;

/**
 * Keeps the `top` largest categories (1…top) and puts the rest in one "other" category
 * (top + 1, named `other (k <plural>)`, listed last with its members). Grey stays 0.
 */
export function withOther(cats: Categories, plural: string, top = TOP_CATEGORIES): Categories {
  const ranked = cats.legend.filter((e) => e.category > 0);
  if (ranked.length <= top) return cats;
  const other = top + 1;
  const index = cats.index.map((c) => (c > top ? other : c));
  const rest = ranked.slice(top);
  const legend = cats.legend.filter((e) => e.category <= top);
  legend.push({ category: other, name: `other (${rest.length.toLocaleString('en-US')} ${plural})`, count: rest.reduce((s, e) => s + e.count, 0), members: rest.map((e) => e.name) });
  return { index, legend };
}

export const GREY = '#8a8a8a';
/** Tableau 10, then hues a golden angle apart: distinct neighbours for any number of categories. */
const BASE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Colours for categories 0…count-1 (0 is grey). */
export function palette(count: number): string[] {
  const out = [GREY];
  for (let c = 1; c < count; c++) out.push(c - 1 < BASE.length ? BASE[c - 1]! : hslHex(((c - 1 - BASE.length) * 137.508 + 20) % 360, 0.62, 0.55));
  return out;
}

function hslHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (k0: number): string => {
    const k = (k0 + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}
