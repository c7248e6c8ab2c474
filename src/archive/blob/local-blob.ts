import type { ByteSource } from '../../dicom/types.js';
import type { OpenBlob } from '../types.js';

/** An open object whose bytes are local (a file, a pack record): synchronous reads, offered as both kinds. */
export function localBlob(source: ByteSource, close: () => Promise<void>): OpenBlob {
  return {
    size: source.size,
    read: async (offset, length) => source.read(offset, length),
    local: () => source,
    close,
  };
}
