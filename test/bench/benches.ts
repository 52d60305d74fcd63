import { batchBenches } from './batch';
import type { Bench } from './harness';
import { uploadBench } from './upload';

/** Every benchmark of the project; feature work appends its own here. */
export const benches: Bench[] = [...batchBenches, uploadBench];
