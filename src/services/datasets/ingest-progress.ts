/** The `datasetIngestProgress` event of an upload (published by the upload endpoint, pushed by the subscription). */

/** Where an upload is: receiving bytes, parsing on the worker thread, stored, or failed. */
export type IngestPhase = 'RECEIVING' | 'PARSING' | 'STORED' | 'FAILED';

/** The `datasetIngestProgress` event. */
export interface IngestProgressEvent {
  uploadId: string;
  phase: IngestPhase;
  bytesReceived: number;
  /** From `Content-Length`; null for a chunked body. */
  totalBytes: number | null;
  datasetId?: string;
  datasetVersionId?: string;
  /** FAILED: the error's message and code. */
  message?: string;
  code?: string;
}
