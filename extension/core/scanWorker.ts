/**
 * Worker thread for the text scan (bundled as dist/scanWorker.js): stats and scans a slice of
 * a tree's files, reusing the previous scan where size and mtime match. The machine's cores
 * split the 1.1 GB a whole tree reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { scanFiles, type ScanJob } from './scanFiles';

const job = workerData as ScanJob;
parentPort?.postMessage(scanFiles(job, (path) => readFileSync(join(job.root, path), 'latin1')));
