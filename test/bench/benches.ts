import type { Bench } from './harness';

/** Every benchmark of the project; feature work appends its own here. */
export const benches: Bench[] = [];
