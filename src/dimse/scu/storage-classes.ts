/** Storage SOP classes we offer to receive on a C-GET when the caller does not know which it needs. */
import { constants } from '../dcmjs-dimse.js';

export const STORAGE_CLASSES: readonly string[] = Object.values(constants.StorageClass as Record<string, string>);
