/**
 * The named choices of the model stack — backends, distances, mining, learning-rate schedules,
 * latent losses and positives — and the file names of a model folder: plain data, no tfjs. The
 * modules that implement them re-export them; the CLI takes them from here to describe and check
 * its options without loading TensorFlow.js, which would cost every command its start-up time.
 */

/** Which TensorFlow.js backend to use (backend.ts). */
export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'node', 'wasm', 'cpu'];

/** The distance between embeddings in the loss (losses.ts). */
export type DistanceKind = 'euclidean' | 'cosine' | 'combined';
export const DISTANCE_KINDS: readonly DistanceKind[] = ['euclidean', 'cosine', 'combined'];

/** Which triplets or pairs of a batch the loss is taken over (mining.ts). */
export type MiningKind = 'batch-all' | 'batch-hard' | 'semi-hard' | 'contrastive';
export const MINING_KINDS: readonly MiningKind[] = ['batch-all', 'batch-hard', 'semi-hard', 'contrastive'];

/** The learning rate over the epochs (trainingLoop.ts). */
export type LearningRateSchedule = 'constant' | 'cosine' | 'step';
export const LR_SCHEDULES: readonly LearningRateSchedule[] = ['constant', 'cosine', 'step'];

/** The autoencoder's loss on its latent codes (autoencoderStep.ts). */
export type LatentLossKind = 'contrastive' | 'triplet';
export const LATENT_LOSS_KINDS: readonly LatentLossKind[] = ['contrastive', 'triplet'];

/** Where the autoencoder's latent positives come from (autoencoderTraining.ts). */
export type LatentPositives = 'auto' | 'labels' | 'views';
export const LATENT_POSITIVES: readonly LatentPositives[] = ['auto', 'labels', 'views'];

/** The files of a saved model folder (modelStore.ts). */
export const MODEL_FILES = { topology: 'model.json', weights: 'weights.bin', manifest: 'manifest.json' } as const;
