import { batchBenches } from './batch';
import type { Bench } from './harness';
import { openDocumentBench } from './openDocument';
import { packageBench } from './package';
import { uploadBench } from './upload';

/** Every benchmark of the project; feature work appends its own here. */
export const benches: Bench[] = [...batchBenches, openDocumentBench, uploadBench, packageBench];
