/**
 * What task `train` (tasks/train.ts, tasks/trainAutoencoder.ts) takes, reports and returns: the
 * types the host's orchestrator (jobs/trainModel.ts) and both training tasks share. Apart from
 * the tasks, so that the tasks and their run reporter import them without importing each other.
 */
import type { AutoencoderTrainingConfig } from '../../engine/models/autoencoderTraining';
import type { ModelManifest } from '../../engine/models/modelStore';
import type { BackendPreference } from '../../engine/models/backend';
import type { ParallelBuffers } from '../../engine/models/dataParallel';
import type { TrainingConfig, TrainingResult } from '../../engine/models/training';
import type { PackedSymbols } from '../packedSymbols';
import type { TrainingMetricsNotification } from '../../protocol';

export type TrainInputsPayload = { kind: 'dense'; data: Float32Array; inputShape: number[] } | { kind: 'one-hot'; packed: PackedSymbols; length: number };

/** What the orchestrator knows of the model before training (the rest is filled in here). */
export type ManifestBase = Pick<ModelManifest, 'modelId' | 'created' | 'model' | 'data' | 'preprocessing' | 'classes'>;

interface TrainTaskCommon {
  out: string;
  backend: BackendPreference;
  inputs: TrainInputsPayload;
  /** One class code per record (< 0: unlabelled). */
  labels: Int32Array;
  manifest: ManifestBase;
  /** Dataset name for the dashboard's title. */
  dataset: string;
  /** Seconds between step reports; default 0.25. */
  reportEverySeconds?: number;
  /** Int32Array over a SharedArrayBuffer: index 0 set non-zero = stop gracefully (keep the best epoch). */
  stopFlag?: Int32Array;
}

/** A data-parallel run's shared buffers (task `trainPrepare` makes them); the `train` task is rank 0. */
export interface TrainParallel {
  buffers: ParallelBuffers;
}

/** Task `trainPrepare`: the shared buffers of a data-parallel run on `workers` threads. */
export type TrainPreparePayload =
  | { model?: 'siamese'; backend: BackendPreference; inputShape: number[]; config: TrainingConfig; workers: number }
  /** An autoencoder's batch and latent layout depend on the data (the split, the latent's positives). */
  | { model: 'autoencoder'; backend: BackendPreference; inputs: TrainInputsPayload; labels: Int32Array; config: AutoencoderTrainingConfig; workers: number };

/** Task `trainFollower`: rank `rank` (1…workers−1) of a data-parallel run; the rest as the leader's payload. */
export type TrainFollowerPayload = {
  backend: BackendPreference;
  inputs: TrainInputsPayload;
  labels: Int32Array;
  buffers: ParallelBuffers;
  rank: number;
} & ({ model?: 'siamese'; config: TrainingConfig } | { model: 'autoencoder'; config: AutoencoderTrainingConfig; perceptualModelDir?: string });

export type TrainTaskPayload = TrainTaskCommon &
  (
    | { model?: 'siamese'; config: TrainingConfig; parallel?: TrainParallel }
    | {
        model: 'autoencoder';
        config: AutoencoderTrainingConfig;
        /** A trained Siamese model folder whose encoder is the perceptual loss's extractor. */
        perceptualModelDir?: string;
        parallel?: TrainParallel;
      }
  );

/** One progress report: the `similarityLab/trainingMetrics` params, plus what it reports. */
export type TrainingMetricsReport = TrainingMetricsNotification.Params & { event: 'step' | 'epoch' };

export interface TrainTaskResult {
  modelId: string;
  out: string;
  manifest: ModelManifest;
  metrics: Record<string, number>;
  stopReason: TrainingResult['stopReason'];
  bestEpoch: number;
  epochs: number;
  seconds: number;
  samplesPerSecond: number;
  backend: string;
  /** Worker threads the run trained on (data-parallel when more than 1). */
  workers: number;
}
