// Blame and context diffs of large sections, off the page's thread (see workerCompute in App.tsx). The public entry,
// as an app's worker imports it; the package has no side effects, so the worker bundle keeps only the compute code.
import { serveCompute, type ComputeRequest, type ComputeResponse } from 'scratchpad-store/react';

serveCompute(self as unknown as { onmessage: ((event: MessageEvent<ComputeRequest>) => void) | null; postMessage(message: ComputeResponse): void });
