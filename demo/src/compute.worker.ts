// Blame and context diffs of large sections, off the page's thread (see workerCompute in App.tsx).
import { serveCompute, type ComputeRequest, type ComputeResponse } from '../../src/react/compute-core.js';

serveCompute(self as unknown as { onmessage: ((event: MessageEvent<ComputeRequest>) => void) | null; postMessage(message: ComputeResponse): void });
