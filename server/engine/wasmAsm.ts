/**
 * Just enough of the WebAssembly binary format to assemble the engine's few hand-written SIMD
 * kernels at run time (minhashSimd.ts, models/maxPoolGradSimd.ts), so the project builds with
 * no wasm toolchain. Instructions are byte arrays; a module is its sections in order.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A name as the binary format spells it (length-prefixed ASCII). */
export function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

export const localGet = (i: number): number[] => [0x20, ...uleb(i)];
export const localSet = (i: number): number[] => [0x21, ...uleb(i)];
export const localTee = (i: number): number[] => [0x22, ...uleb(i)];
export const i32Const = (n: number): number[] => [0x41, ...sleb(n)];
export const I32_EQZ = [0x45];
export const I32_NE = [0x47];
export const I32_LT_U = [0x49];
export const I32_ADD = [0x6a];
export const I32_SUB = [0x6b];
export const I32_SHL = [0x74];
export const LOOP = [0x03, 0x40];
export const END = [0x0b];
/** Branch to the innermost enclosing block or loop (depth 0) when the top of the stack is non-zero. */
export const BR_IF_0 = [0x0d, 0];

export const simd = (op: number): number[] => [0xfd, ...uleb(op)];
/** v128.load / v128.store with a 4-byte alignment hint (float and int32 arrays) and an offset. */
export const v128Load = (offset = 0): number[] => [...simd(0x00), 2, ...uleb(offset)];
export const v128Store = (offset = 0): number[] => [...simd(0x0b), 2, ...uleb(offset)];

/** The function body: locals as (count, type) runs, then the code, length-prefixed. */
export function functionBody(locals: [count: number, type: number][], code: number[]): number[] {
  const fn = [...uleb(locals.length), ...locals.flatMap(([count, type]) => [...uleb(count), type]), ...code, ...END];
  return [...uleb(fn.length), ...fn];
}

export const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * The module from `bytes()`, compiled on first use and kept; null when this runtime cannot run
 * it (no WebAssembly, or no SIMD: validation fails), so callers keep their scalar code.
 */
export function lazyModule(bytes: () => Uint8Array<ArrayBuffer>): () => WebAssembly.Module | null {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      const b = bytes();
      compiled = typeof WebAssembly === 'object' && WebAssembly.validate(b) ? new WebAssembly.Module(b) : null;
    }
    return compiled;
  };
}

/**
 * A module that imports its memory as `e.m` (so it runs on another module's heap, e.g. the
 * tfjs wasm backend's) and exports functions of `params` i32 parameters and no result, each
 * [export name, body from functionBody].
 */
export function heapModuleBytes(params: number, functions: [exportName: string, body: number[]][]): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, params, ...new Array<number>(params).fill(I32), 0]);
  const imports = section(2, [1, ...name('e'), ...name('m'), 0x02, 0x00, 1]); // memory, at least 1 page, no maximum
  const func = section(3, [functions.length, ...functions.map(() => 0)]);
  const exports = section(7, [functions.length, ...functions.flatMap(([exportName], i) => [...name(exportName), 0x00, i])]);
  const code = section(10, [functions.length, ...functions.flatMap(([, body]) => body)]);
  return new Uint8Array([...WASM_HEADER, ...type, ...imports, ...func, ...exports, ...code]);
}
