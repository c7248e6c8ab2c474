import { type DicomJson, num, TAG, text } from '../../api/dicomweb';

/** One displayable frame of a series: instance + 1-based frame number. */
export interface Frame {
  sop: string;
  frame: number;
  frames: number;
  instance: DicomJson;
}

/** Instances in order (Instance Number, then UID), each multi-frame instance expanded into its frames. */
export function framesOf(metadata: DicomJson[]): Frame[] {
  const sorted = [...metadata].sort(
    (a, b) =>
      (num(a, TAG.instanceNumber) ?? 0) - (num(b, TAG.instanceNumber) ?? 0) ||
      (text(a, TAG.sopUid) ?? '').localeCompare(text(b, TAG.sopUid) ?? ''),
  );
  return sorted.flatMap((instance) => {
    const frames = Math.max(1, num(instance, TAG.numberOfFrames) ?? 1);
    const sop = text(instance, TAG.sopUid) ?? '';
    return Array.from({ length: frames }, (_, i) => ({ sop, frame: i + 1, frames, instance }));
  });
}

export interface Window {
  center: number;
  width: number;
}

/** CT presets (Hounsfield units), as most viewers ship them. `undefined`: the instance's own window. */
export const PRESETS: { name: string; window?: Window }[] = [
  { name: 'Instance' },
  { name: 'Brain', window: { center: 40, width: 80 } },
  { name: 'Lung', window: { center: -600, width: 1500 } },
  { name: 'Bone', window: { center: 400, width: 1800 } },
  { name: 'Abdomen', window: { center: 60, width: 400 } },
];

/** The instance's own window (first value of Window Center / Width), else a soft-tissue default. */
export function instanceWindow(d: DicomJson): Window {
  return { center: num(d, TAG.windowCenter) ?? 40, width: num(d, TAG.windowWidth) ?? 400 };
}
