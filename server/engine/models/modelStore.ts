/**
 * A trained model on disk: one folder holding
 *   model.json     the tfjs layers format (topology + a weights manifest naming weights.bin)
 *   weights.bin    the weights, as tfjs encodes them
 *   manifest.json  what the model is and how to feed it (ModelManifest), with the SHA-256 of the
 *                  other two files
 * The pure-tfjs package has no file:// handler in Node, so saving goes through
 * `tf.io.withSaveHandler` and loading through `tf.io.fromMemory`.
 *
 * Writes are atomic per file (temp file, then rename) and in the order weights.bin, model.json,
 * manifest.json: the manifest comes last and carries the hashes, so a save cut short (a crash
 * between two renames, a checkpoint overwritten halfway) is detected on load instead of giving a
 * model with mismatched weights. Every load error names the file and says what is wrong.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StandardScalerJson } from '../features/scaler';
import type { AutoencoderKind } from './autoencoder';
import type { EncoderKind } from './encoders';
// Registers the custom layers (attention, 3-D batch norm, the autoencoder's upsampling and crop)
// with tfjs serialization before any load.
import './attention';
import './batchNorm3d';
import './spatialLayers';
import { MODEL_FILES } from './choices';
export { MODEL_FILES };

export const MODEL_FORMAT = 'similarity-lab-model';
export const MODEL_FORMAT_VERSION = 1;

/** The kind of data a model was trained on (DESIGN.md's four kinds; tables include JSONL vectors). */
export type ModelDataKind = 'table' | 'sequence' | 'image' | 'volume';

/** How records become encoder inputs; applying a model repeats exactly this. */
export interface ModelPreprocessing {
  /** 'scaled': StandardScaler (tables); 'raw': pixels or voxels / 255 as vectorFeatures 'raw' does; 'one-hot': DNA (oneHot.ts). */
  features: 'scaled' | 'raw' | 'one-hot';
  scaler?: StandardScalerJson;
  /** 'one-hot': the fixed length (first bases kept, zero padding). */
  oneHotLength?: number;
  /** Images: every image is resampled to [h, w] with this many channels before use. */
  imageSize?: [number, number];
  channels?: 1 | 3;
  /** Tables: the numeric columns, in order. */
  columns?: string[];
}

export interface ModelHistorySummary {
  epochs: number;
  bestEpoch: number;
  stopReason: string;
  seconds: number;
  samplesPerSecond: number;
  /** One entry per epoch: mean loss and the validation scores. */
  perEpoch: { epoch: number; loss: number; valLoss?: number; precisionAt1?: number; mapAtR?: number; tripletAccuracy?: number }[];
}

export type ModelKind = 'siamese' | 'autoencoder';
export const MODEL_KINDS: readonly ModelKind[] = ['siamese', 'autoencoder'];

/** What an autoencoder model is (the saved model is input → reconstruction; its `latent` layer gives the embeddings). */
export interface AutoencoderSummary {
  kind: AutoencoderKind;
  latentDim: number;
  output: 'sigmoid' | 'linear';
  /** The loss weights it was trained with. */
  weights: { reconstruction: number; latent: number; perceptual: number };
  latentLoss: 'contrastive' | 'triplet';
  /** Where the latent loss's positives came from. */
  positives: { labels: boolean; views: boolean };
  /** The perceptual loss's extractor: 'random' (fixed random conv net), 'siamese' (a trained encoder), or none. */
  perceptual: 'random' | 'siamese' | null;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  version: number;
  modelId: string;
  /** ISO 8601. */
  created: string;
  /** 'siamese': model.json is the encoder. 'autoencoder': model.json is input → reconstruction; embeddings are its latent (autoencoderFromModel). */
  model: ModelKind;
  data: {
    kind: ModelDataKind;
    /** The reader's format name (csv, idx, image-folder, fasta...). */
    format: string;
    /** The dataset it was trained on, as given. */
    dataset: string;
    records: number;
    /** One encoder input, without the batch dimension. */
    inputShape: number[];
    /** The encoder's kind (an autoencoder's: its kind too). */
    encoderKind: EncoderKind;
  };
  /** Autoencoders only. */
  autoencoder?: AutoencoderSummary;
  preprocessing: ModelPreprocessing;
  /** The resolved training configuration (training.ts). */
  config: unknown;
  /** The best epoch's validation scores, and anything else worth keeping. */
  metrics: Record<string, number>;
  history: ModelHistorySummary;
  /** The tfjs backend it was trained on. */
  backend: string;
  /** Class names; the model's labels were codes into this list. */
  classes: string[];
  /** Siamese: the embedding size; autoencoders: the latent size. */
  embeddingDim: number;
  /** The distance the model was trained for (and scores with); an autoencoder's: its latent loss's. */
  distance: 'euclidean' | 'cosine' | 'combined';
  euclideanWeight: number;
  /** SHA-256 (hex) of model.json and weights.bin as saved. */
  files: Record<string, string>;
}

/** A model folder that cannot be read: the message names the file. Counts as bad input (exit 2). */
export class ModelFileError extends Error {
  override readonly name = 'InputError';
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffer = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  return new Uint8Array(buffer);
}

/** A new model id: the name (letters, digits, - _ .), the kind of model and a timestamp. */
export function newModelId(name: string, date = new Date(), kind: ModelKind = 'siamese'): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  return `${safe}-${kind}-${date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * Saves `model` and its manifest into `dir` (created if needed; files in it replaced atomically).
 * `manifest.files` is filled in here. Returns the manifest as written.
 */
export async function saveModel(dir: string, model: tf.LayersModel, manifest: Omit<ModelManifest, 'files' | 'format' | 'version'>): Promise<ModelManifest> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.modelTopology || !artifacts.weightSpecs) throw new Error('saveModel: tfjs produced no topology or weight specs');
  const weights = weightBytes(artifacts.weightData);
  const topology = JSON.stringify({
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
  });
  const full: ModelManifest = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...manifest, files: { [MODEL_FILES.topology]: sha256(topology), [MODEL_FILES.weights]: sha256(weights) } };
  await mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, MODEL_FILES.weights), weights);
  await writeAtomic(path.join(dir, MODEL_FILES.topology), topology);
  await writeAtomic(path.join(dir, MODEL_FILES.manifest), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

async function readNamed(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new ModelFileError(`${file}: missing — ${what}`);
    throw new ModelFileError(`${file}: cannot be read (${(err as Error).message})`);
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ModelFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads and checks manifest.json only (cheap: for listing models). */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, MODEL_FILES.manifest);
  const m = parseJson(file, (await readNamed(file, `${dir} is not a Similarity Lab model folder (train one with \`simlab train\`)`)).toString('utf8'));
  if (!isObject(m) || m.format !== MODEL_FORMAT) throw new ModelFileError(`${file}: not a Similarity Lab model manifest (format is ${isObject(m) ? JSON.stringify(m.format) : typeof m}, expected "${MODEL_FORMAT}")`);
  if (typeof m.version !== 'number' || m.version > MODEL_FORMAT_VERSION) throw new ModelFileError(`${file}: format version ${String(m.version)} is newer than this Similarity Lab reads (${MODEL_FORMAT_VERSION})`);
  for (const field of ['modelId', 'model', 'data', 'preprocessing', 'files', 'classes', 'distance'] as const) {
    if (m[field] === undefined) throw new ModelFileError(`${file}: field '${field}' is missing`);
  }
  if (!MODEL_KINDS.includes(m.model as ModelKind)) throw new ModelFileError(`${file}: field 'model' is ${JSON.stringify(m.model)}, expected ${MODEL_KINDS.join(' or ')}`);
  if (m.model === 'autoencoder' && !isObject(m.autoencoder)) throw new ModelFileError(`${file}: field 'autoencoder' is missing (an autoencoder model describes its kind and latent size there)`);
  const data = m.data;
  if (!isObject(data) || !Array.isArray(data.inputShape) || !data.inputShape.every((d) => Number.isInteger(d) && (d as number) > 0)) throw new ModelFileError(`${file}: field 'data.inputShape' must be a list of positive integers`);
  if (!['table', 'sequence', 'image', 'volume'].includes(data.kind as string)) throw new ModelFileError(`${file}: field 'data.kind' is ${JSON.stringify(data.kind)}, expected table, sequence, image or volume`);
  if (!isObject(m.files)) throw new ModelFileError(`${file}: field 'files' must be an object of SHA-256 hashes`);
  return m as unknown as ModelManifest;
}

export interface LoadedModel {
  model: tf.LayersModel;
  manifest: ModelManifest;
}

/** Loads a model folder written by `saveModel`, checking each file against the manifest. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const manifest = await readManifest(dir);
  const topologyFile = path.join(dir, MODEL_FILES.topology);
  const weightsFile = path.join(dir, MODEL_FILES.weights);
  const topologyText = (await readNamed(topologyFile, 'the model topology of this folder is gone')).toString('utf8');
  const weights = await readNamed(weightsFile, 'the weights of this folder are gone');
  for (const [file, content] of [
    [topologyFile, topologyText],
    [weightsFile, weights],
  ] as const) {
    const expected = manifest.files[path.basename(file)];
    if (expected !== undefined && sha256(content) !== expected) {
      throw new ModelFileError(`${file}: does not match ${MODEL_FILES.manifest} (SHA-256 differs): the model was not saved completely or was changed; save or train it again`);
    }
  }
  const json = parseJson(topologyFile, topologyText);
  if (!isObject(json) || !isObject(json.modelTopology) || !Array.isArray(json.weightsManifest)) throw new ModelFileError(`${topologyFile}: not a tfjs layers model (no modelTopology or weightsManifest)`);
  const specs = (json.weightsManifest as { weights?: tf.io.WeightsManifestEntry[] }[]).flatMap((g) => g.weights ?? []);
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: buffer }));
  } catch (err) {
    throw new ModelFileError(`${topologyFile}: tfjs cannot build the model (${(err as Error).message})`);
  }
  const shape = model.inputs[0]!.shape.slice(1);
  if (shape.join(',') !== manifest.data.inputShape.join(',')) {
    model.dispose();
    throw new ModelFileError(`${path.join(dir, MODEL_FILES.manifest)}: input shape [${manifest.data.inputShape.join(', ')}] does not match the model's [${shape.join(', ')}]`);
  }
  return { model, manifest };
}
