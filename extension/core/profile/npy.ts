/** Moved to core/inputs/npy.ts (inputs are one engine module); kept for old imports. */
export { parseNpy, NpyError, type NpyArray } from '../inputs/npy';
