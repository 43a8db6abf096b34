// DBSCAN for low-dimensional points (1-D to 3-D, Euclidean eps) on a uniform grid, and a generic
// DBSCAN over any neighbour function (the fallback for higher dimensions or other metrics).
//
// Labels follow the conventions of ./dbscan.ts exactly (self counts towards minPts; clusters
// numbered by their smallest core point; a border point takes the smallest cluster id among its
// core neighbours; noise −1; "neighbour" means distance ≤ eps, tested as squared distance).
//
// The grid. Cells have side w = eps/√d (a hair less, for floating-point safety), so the cell
// diagonal is below eps and any two points of one cell are neighbours. That gives:
// - a cell holding ≥ minPts points makes all of them core with no distance computed at all
//   (in dense clusters, nearly every point);
// - other points count neighbours in the 5^d cells within reach (offsets −2..2 per axis cover
//   every cell whose nearest point can be within eps), stopping as soon as minPts is reached;
// - all core points of one cell are in one cluster, so clusters are unions of cells: two cells
//   are joined (union-find) when some pair of their core points is within eps, checked with an
//   early exit, adjacent cells first so that most far checks are skipped as already joined;
// - a border point needs one core point within eps per candidate cluster, smallest id first.
// Why not cells of side eps (3^d cells a query)? They must compute every distance; the finer
// grid skips them wherever the data are dense, which is where DBSCAN spends its time.
// Cells are found through a dense array over the bounding grid when that has at most 4 slots a
// point, else through an open-addressing hash table on integer cell coordinates (with a small
// occupancy bitset that answers most "empty cell" look-ups without a probe), so empty space
// costs nothing and memory is O(n) whatever the extent. Points are copied in cell order for locality.

import { fmix32 } from '../features/hash';
import { NOISE } from './dbscan';

export interface VectorDbscanOptions {
  readonly eps: number;
  readonly minPts: number;
}

/** Neighbours of point i: indices j ≠ i within eps (i itself may be included; it is ignored). */
export type NeighbourFunction = (i: number) => ArrayLike<number>;

const UNSET = -2;
const MAX_CELL_COORD = 1 << 30;

function checkCommon(minPts: number, eps?: number): void {
  if (!Number.isInteger(minPts) || minPts < 1) throw new RangeError(`minPts must be a positive integer, got ${minPts}`);
  if (eps !== undefined && !(eps > 0 && Number.isFinite(eps))) throw new RangeError(`eps must be a positive finite number, got ${eps}`);
}

/**
 * Generic DBSCAN: `neighbours(i)` is called exactly once per point. Same labels as
 * `dbscanGraph` on the graph the function describes (it must be symmetric).
 * Memory O(n) plus the neighbour lists of the cluster being expanded.
 */
export function dbscanWithNeighbours(n: number, minPts: number, neighbours: NeighbourFunction): Int32Array {
  checkCommon(minPts);
  const labels = new Int32Array(n).fill(UNSET);
  const countOthers = (i: number, list: ArrayLike<number>): number => {
    let c = 0;
    for (let t = 0; t < list.length; t++) if (list[t] !== i) c++;
    return c;
  };
  let next = 0;
  const stack: ArrayLike<number>[] = [];
  const owners: number[] = [];
  for (let p = 0; p < n; p++) {
    if (labels[p] !== UNSET) continue;
    const list = neighbours(p);
    if (countOthers(p, list) + 1 < minPts) {
      labels[p] = NOISE; // may still become a border point of a later cluster
      continue;
    }
    const c = next++;
    labels[p] = c;
    stack.push(list);
    owners.push(p);
    while (stack.length > 0) {
      const nbrs = stack.pop() as ArrayLike<number>;
      const owner = owners.pop() as number;
      for (let t = 0; t < nbrs.length; t++) {
        const q = nbrs[t];
        if (q === owner) continue;
        if (labels[q] === NOISE) {
          labels[q] = c; // already known non-core: border
          continue;
        }
        if (labels[q] !== UNSET) continue;
        labels[q] = c;
        const qList = neighbours(q);
        if (countOthers(q, qList) + 1 >= minPts) {
          stack.push(qList);
          owners.push(q);
        }
      }
    }
  }
  return labels;
}

/** Brute-force Euclidean neighbour function over packed points (O(n) per call). */
export function bruteForceNeighbours(points: ArrayLike<number>, dim: number, eps: number): NeighbourFunction {
  const n = Math.floor(points.length / dim);
  const eps2 = eps * eps;
  return (i) => {
    const out: number[] = [];
    const bi = i * dim;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const bj = j * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = points[bi + k] - points[bj + k];
        s += d * d;
      }
      if (s <= eps2) out.push(j);
    }
    return out;
  };
}

/**
 * DBSCAN of n points packed as `points[i·dim + k]`. Grid algorithm for dim ≤ 3 (see the file
 * comment); for dim > 3 it falls back to `dbscanWithNeighbours` with brute-force queries, O(n²).
 */
export function dbscanVectors(points: ArrayLike<number>, dim: number, options: VectorDbscanOptions): Int32Array {
  const { eps, minPts } = options;
  checkCommon(minPts, eps);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (points.length % dim !== 0) throw new RangeError(`points length ${points.length} is not a multiple of dim ${dim}`);
  const n = points.length / dim;
  for (let t = 0; t < points.length; t++) {
    if (!Number.isFinite(points[t])) throw new RangeError(`point ${Math.floor(t / dim)} has a non-finite coordinate`);
  }
  if (dim > 3) return dbscanWithNeighbours(n, minPts, bruteForceNeighbours(points, dim, eps));
  return gridDbscan(points, n, dim, eps, minPts);
}

/** Cell lookup: `table[slot]` is a cell index or −1. */
interface CellTable {
  /** Dense array over the bounding grid (true) or open-addressing hash table (false). */
  readonly dense: boolean;
  readonly ex: number;
  readonly ey: number;
  readonly ez: number;
  readonly mask: number;
  readonly table: Int32Array;
  /** Integer coordinates of each cell, 3 per cell. */
  readonly cellXyz: Int32Array;
  /** Hash table only: one bit per hash value & bitMask, set when some cell has that value. */
  readonly occupied: Uint32Array;
  readonly bitMask: number;
}

function cellHash(x: number, y: number, z: number): number {
  return fmix32((Math.imul(x, 0x9e3779b1) ^ Math.imul(y, 0x85ebca77) ^ Math.imul(z, 0xc2b2ae3d)) >>> 0);
}

/** The slot of cell (x, y, z): where it is or where it would go; −1 outside a dense grid. */
function slotOf(t: CellTable, x: number, y: number, z: number): number {
  if (t.dense) return x < 0 || y < 0 || z < 0 || x >= t.ex || y >= t.ey || z >= t.ez ? -1 : x + t.ex * (y + t.ey * z);
  return probe(t, cellHash(x, y, z), x, y, z);
}

function probe(t: CellTable, hash: number, x: number, y: number, z: number): number {
  const table = t.table;
  const xyz = t.cellXyz;
  let slot = hash & t.mask;
  for (;;) {
    const c = table[slot];
    if (c < 0 || (xyz[3 * c] === x && xyz[3 * c + 1] === y && xyz[3 * c + 2] === z)) return slot;
    slot = (slot + 1) & t.mask;
  }
}

/** The cell at (x, y, z), or −1. In the hash table, a small occupancy bitset answers most misses without a probe. */
function findCell(t: CellTable, x: number, y: number, z: number): number {
  if (t.dense) return x < 0 || y < 0 || z < 0 || x >= t.ex || y >= t.ey || z >= t.ez ? -1 : t.table[x + t.ex * (y + t.ey * z)];
  const h = cellHash(x, y, z);
  const bit = h & t.bitMask;
  if (((t.occupied[bit >>> 5] >>> (bit & 31)) & 1) === 0) return -1;
  return t.table[probe(t, h, x, y, z)];
}

function sqDist(xs: Float64Array, dim: number, p: number, q: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const d = xs[p * dim + k] - xs[q * dim + k];
    s += d * d;
  }
  return s;
}

interface Grid {
  readonly cells: number;
  readonly lookup: CellTable;
  /** Points of cell c, at sorted positions [cellStart[c], cellStart[c + 1]). */
  readonly cellStart: Int32Array;
  /** Sorted position → point index. */
  readonly order: Int32Array;
  /** Coordinates by sorted position. */
  readonly xs: Float64Array;
  /** Point index → cell. */
  readonly pointCell: Int32Array;
}

function binPoints(points: ArrayLike<number>, n: number, dim: number, w: number, eps: number): Grid {
  // Integer cell coordinates of every point (unused axes stay 0).
  const pointXyz = new Int32Array(n * 3);
  const extent = new Float64Array([1, 1, 1]);
  for (let k = 0; k < dim; k++) {
    let mk = Infinity;
    for (let i = 0; i < n; i++) mk = Math.min(mk, points[i * dim + k]);
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const c = Math.floor((points[i * dim + k] - mk) / w);
      if (c >= MAX_CELL_COORD) throw new RangeError(`eps ${eps} is too small for the extent of the data (over 2^30 grid cells per axis)`);
      pointXyz[3 * i + k] = c;
      if (c > hi) hi = c;
    }
    extent[k] = hi + 1;
  }
  // A dense array over the bounding grid when it is small (≤ 4 slots a point), else a hash
  // table with load ≤ 1/2.
  const slots = extent[0] * extent[1] * extent[2];
  const dense = slots <= Math.max(4 * n, 4096);
  let size = 16;
  if (dense) size = slots;
  else while (size < 2 * n) size *= 2;
  let bits = 32;
  if (!dense) while (bits < 16 * n) bits *= 2;
  const lookup: CellTable = {
    dense,
    occupied: new Uint32Array(bits / 32),
    bitMask: bits - 1,
    ex: extent[0],
    ey: extent[1],
    ez: extent[2],
    mask: size - 1,
    table: new Int32Array(size).fill(-1),
    cellXyz: new Int32Array(n * 3),
  };
  const pointCell = new Int32Array(n);
  const table = lookup.table;
  const cellXyz = lookup.cellXyz;
  let cells = 0;
  for (let i = 0; i < n; i++) {
    const x = pointXyz[3 * i];
    const y = pointXyz[3 * i + 1];
    const z = pointXyz[3 * i + 2];
    const slot = slotOf(lookup, x, y, z);
    let c = table[slot];
    if (c < 0) {
      c = cells++;
      table[slot] = c;
      cellXyz[3 * c] = x;
      cellXyz[3 * c + 1] = y;
      cellXyz[3 * c + 2] = z;
      if (!dense) {
        const bit = cellHash(x, y, z) & lookup.bitMask;
        lookup.occupied[bit >>> 5] |= 1 << (bit & 31);
      }
    }
    pointCell[i] = c;
  }
  // Counting sort of the points by cell (ascending index inside a cell); coordinates copied
  // in that order for locality.
  const cellStart = new Int32Array(cells + 1);
  for (let i = 0; i < n; i++) cellStart[pointCell[i] + 1]++;
  for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
  const order = new Int32Array(n);
  const fill = cellStart.slice(0, cells);
  for (let i = 0; i < n; i++) order[fill[pointCell[i]]++] = i;
  const xs = new Float64Array(n * dim);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    for (let k = 0; k < dim; k++) xs[p * dim + k] = points[i * dim + k];
  }
  return { cells, lookup, cellStart, order, xs, pointCell };
}

interface CellNeighbours {
  /** Non-empty neighbour cells of c: list[start[c], start[c + 1]); the adjacent ones (every |offset| ≤ 1) end at mid[c]. */
  readonly start: Int32Array;
  readonly mid: Int32Array;
  readonly list: Int32Array;
}

function neighbourCells(grid: Grid, dim: number): CellNeighbours {
  // Offsets −2..2 on each used axis, the adjacent ones first.
  const offs: number[] = [];
  let nearCount = 0;
  for (let ring = 0; ring < 2; ring++) {
    for (let dx = -2; dx <= 2; dx++) {
      for (let dy = dim > 1 ? -2 : 0; dy <= (dim > 1 ? 2 : 0); dy++) {
        for (let dz = dim > 2 ? -2 : 0; dz <= (dim > 2 ? 2 : 0); dz++) {
          if (dx === 0 && dy === 0 && dz === 0) continue;
          const isNear = Math.max(Math.abs(dx), Math.abs(dy), Math.abs(dz)) <= 1;
          if (isNear !== (ring === 0)) continue;
          offs.push(dx, dy, dz);
          if (isNear) nearCount++;
        }
      }
    }
  }
  const off = Int32Array.from(offs);
  const offsetCount = off.length / 3;
  const cells = grid.cells;
  const lookup = grid.lookup;
  const xyz = lookup.cellXyz;
  const table = lookup.table;
  const { ex, ey, ez } = lookup;
  const delta = new Int32Array(offsetCount);
  for (let o = 0; o < offsetCount; o++) delta[o] = off[3 * o] + ex * (off[3 * o + 1] + ey * off[3 * o + 2]);
  const start = new Int32Array(cells + 1);
  const mid = new Int32Array(cells);
  let list = new Int32Array(Math.max(64, cells * 4));
  let len = 0;
  for (let c = 0; c < cells; c++) {
    const x = xyz[3 * c];
    const y = xyz[3 * c + 1];
    const z = xyz[3 * c + 2];
    if (len + offsetCount > list.length) {
      const grown = new Int32Array(Math.max(list.length * 2, len + offsetCount));
      grown.set(list);
      list = grown;
    }
    if (lookup.dense) {
      // Direct slot arithmetic: slot(x + dx, y + dy, z + dz) = slot + delta[o], bounds checked.
      const base = x + ex * (y + ey * z);
      for (let o = 0; o < offsetCount; o++) {
        if (o === nearCount) mid[c] = len;
        const nx = x + off[3 * o];
        const ny = y + off[3 * o + 1];
        const nz = z + off[3 * o + 2];
        if (nx < 0 || ny < 0 || nz < 0 || nx >= ex || ny >= ey || nz >= ez) continue;
        const d = table[base + delta[o]];
        if (d >= 0) list[len++] = d;
      }
    } else {
      for (let o = 0; o < offsetCount; o++) {
        if (o === nearCount) mid[c] = len;
        const d = findCell(lookup, x + off[3 * o], y + off[3 * o + 1], z + off[3 * o + 2]);
        if (d >= 0) list[len++] = d;
      }
    }
    if (nearCount === offsetCount) mid[c] = len;
    start[c + 1] = len;
  }
  return { start, mid, list };
}

/** Core flags by sorted position: a full cell is all core; other points count with an early exit. */
function markCore(grid: Grid, nb: CellNeighbours, dim: number, eps2: number, minPts: number): Uint8Array {
  const { cells, cellStart, xs } = grid;
  const isCore = new Uint8Array(xs.length / dim);
  for (let c = 0; c < cells; c++) {
    const s = cellStart[c];
    const e = cellStart[c + 1];
    const own = e - s;
    if (own >= minPts) {
      isCore.fill(1, s, e);
      continue;
    }
    for (let p = s; p < e; p++) {
      let count = own;
      for (let t = nb.start[c]; t < nb.start[c + 1] && count < minPts; t++) {
        const d = nb.list[t];
        const de = cellStart[d + 1];
        for (let q = cellStart[d]; q < de; q++) {
          if (sqDist(xs, dim, p, q) <= eps2 && ++count >= minPts) break;
        }
      }
      if (count >= minPts) isCore[p] = 1;
    }
  }
  return isCore;
}

/** Moves core points to the front of each cell (stable); returns each cell's end of core points. */
function partitionCore(grid: Grid, isCore: Uint8Array, dim: number): Int32Array {
  const { cells, cellStart, order, xs } = grid;
  const coreEnd = new Int32Array(cells);
  let tmpOrder = new Int32Array(64);
  let tmpXs = new Float64Array(64 * dim);
  for (let c = 0; c < cells; c++) {
    const s = cellStart[c];
    const e = cellStart[c + 1];
    if (e - s > tmpOrder.length) {
      tmpOrder = new Int32Array(e - s);
      tmpXs = new Float64Array((e - s) * dim);
    }
    let w = s;
    let rest = 0;
    for (let p = s; p < e; p++) {
      if (isCore[p] === 1) {
        order[w] = order[p];
        for (let k = 0; k < dim; k++) xs[w * dim + k] = xs[p * dim + k];
        w++;
      } else {
        tmpOrder[rest] = order[p];
        for (let k = 0; k < dim; k++) tmpXs[rest * dim + k] = xs[p * dim + k];
        rest++;
      }
    }
    coreEnd[c] = w;
    for (let t = 0; t < rest; t++) {
      order[w + t] = tmpOrder[t];
      for (let k = 0; k < dim; k++) xs[(w + t) * dim + k] = tmpXs[t * dim + k];
    }
    isCore.fill(1, s, w);
    isCore.fill(0, w, e);
  }
  return coreEnd;
}

function root(parent: Int32Array, c: number): number {
  while (parent[c] !== c) {
    parent[c] = parent[parent[c]];
    c = parent[c];
  }
  return c;
}

/** Union-find over cells holding core points: joined when two of their core points are within eps. */
function joinCells(grid: Grid, nb: CellNeighbours, coreEnd: Int32Array, dim: number, eps2: number): Int32Array {
  const { cells, cellStart, xs } = grid;
  const parent = new Int32Array(cells);
  for (let c = 0; c < cells; c++) parent[c] = c;
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < cells; c++) {
      const cs = cellStart[c];
      const ce = coreEnd[c];
      if (ce === cs) continue;
      const from = pass === 0 ? nb.start[c] : nb.mid[c];
      const to = pass === 0 ? nb.mid[c] : nb.start[c + 1];
      for (let t = from; t < to; t++) {
        const d = nb.list[t];
        const ds = cellStart[d];
        const de = coreEnd[d];
        if (d < c || de === ds) continue; // each unordered pair once; core cells only
        const ra = root(parent, c);
        const rb = root(parent, d);
        if (ra === rb) continue;
        let touch = false;
        for (let p = cs; p < ce && !touch; p++) {
          for (let q = ds; q < de; q++) {
            if (sqDist(xs, dim, p, q) <= eps2) {
              touch = true;
              break;
            }
          }
        }
        if (!touch) continue;
        if (ra < rb) parent[rb] = ra;
        else parent[ra] = rb;
      }
    }
  }
  return parent;
}

function gridDbscan(points: ArrayLike<number>, n: number, dim: number, eps: number, minPts: number): Int32Array {
  const labels = new Int32Array(n).fill(NOISE);
  if (n === 0) return labels;
  const eps2 = eps * eps;
  // Slightly under eps/√d: the margin (1e-6 relative) dwarfs floating-point error in the cell
  // computation for any extent below 2^30 cells, so "same cell ⇒ within eps" holds exactly.
  const w = (eps / Math.sqrt(dim)) * (1 - 1e-6);
  const grid = binPoints(points, n, dim, w, eps);
  const nb = neighbourCells(grid, dim);
  const isCore = markCore(grid, nb, dim, eps2, minPts);
  const coreEnd = partitionCore(grid, isCore, dim);
  const parent = joinCells(grid, nb, coreEnd, dim, eps2);
  const { cells, cellStart, order, xs, pointCell } = grid;

  // Cluster ids in order of each cluster's smallest core point.
  const position = new Int32Array(n); // point index → sorted position
  for (let p = 0; p < n; p++) position[order[p]] = p;
  const rootId = new Int32Array(cells).fill(-1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (isCore[position[i]] === 0) continue;
    const r = root(parent, pointCell[i]);
    if (rootId[r] < 0) rootId[r] = next++;
    labels[i] = rootId[r];
  }
  const cellCluster = new Int32Array(cells).fill(-1);
  for (let c = 0; c < cells; c++) if (coreEnd[c] > cellStart[c]) cellCluster[c] = rootId[root(parent, c)];

  // Border points: the smallest cluster id among core points within eps.
  const NONE = 0x7fffffff;
  for (let c = 0; c < cells; c++) {
    const e = cellStart[c + 1];
    for (let p = coreEnd[c]; p < e; p++) {
      // A core point in the same cell is within eps by construction.
      let best = cellCluster[c] >= 0 ? cellCluster[c] : NONE;
      for (let t = nb.start[c]; t < nb.start[c + 1]; t++) {
        const d = nb.list[t];
        const id = cellCluster[d];
        if (id < 0 || id >= best) continue;
        const de = coreEnd[d];
        for (let q = cellStart[d]; q < de; q++) {
          if (sqDist(xs, dim, p, q) <= eps2) {
            best = id;
            break;
          }
        }
      }
      if (best !== NONE) labels[order[p]] = best;
    }
  }
  return labels;
}
