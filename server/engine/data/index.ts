/** Dataset readers: the public surface of `engine/data`. */
export * from './records';
export { LineSplitter, readLines, readFileLines, fileChunks, maybeGunzip, isGzipMagic, GzipError, type ByteSource, type Line } from './lines';
export { parseFasta, readFasta, readAllFasta } from './fasta';
export { parseFastq, readFastq, readAllFastq } from './fastq';
export { type SequenceReadOptions } from './sequenceCommon';
export { parseTextLines, parseJsonl, readTextLines, readJsonl, readAllTextLines, readAllJsonl, DEFAULT_TEXT_FIELDS, type JsonlReadOptions } from './text';
export * from './labels';
export * from './detect';
export * from './dataset';
export * from './nucleotides';
export * from './vectors';
export { readVectorDataset, vectorFormatOf, datasetFolderOfImage, type VectorReadOptions } from './vectorDataset';
export { resizeImage, probeImage, decodeImage, isImageName, IMAGE_EXTENSIONS, type ImageInfo } from './images';
